"""Reads the patient's name as the document prints it in the patient block: beside the CPR number, or after a name
label next to it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from robot.extract.cpr_labels import CPR_LABEL, GENERIC_LABEL, NAME_BEFORE, OTHER_LABEL, other_person_lines
from robot.extract.cpr_text import DigitRun, digit_runs, normalise, readings, value_of
from robot.model import CprResult, CprVerdict, Evidence, PdfContent, PrintedName
from robot.name_match import names_match

# A label whose value is the patient's name: "Navn", "Patientens navn", "Borger", "Patient", "Vedr." ...
_QUALIFIER = r"(?:\s*\([^)]{0,40}\))?"  # "Navn (fulde)", "Borger (navn og personnummer)"
NAME_LABEL = re.compile(
    r"^\s*navn\s*(?:og|,|/)\s*(?:cpr|pers)[\w.\-]*"
    r"|^\s*(?:efternavn\s*(?:,|/|og)\s*fornavn|fornavn\s*(?:,|/|og)\s*efternavn|for-?\s*og\s+efternavn)\b:?"
    r"|^\s*(?:cpr|pers)[\w.\-]*\s+og\s+navn\b"
    r"|^\s*(?:(?:patientens|borgerens|borgers|patients|sikredes|den\s+sygemeldtes)\s+)?(?:fulde\s+)?(?:navn|name)\b\.?"
    rf"{_QUALIFIER}(?:\s+p(?:å|aa)\s+(?:borger|patient)(?:en)?)?"
    rf"|^\s*(?:patient|borger|pt\.?|sygemeldte|ans(?:ø|oe)ger|sikrede|klient)\b{_QUALIFIER}\s*:?"
    r"|\bpatient(?:en)?\b\s*:|\bborger(?:en)?\b\s*:|\bpt\.\s*:|\bsygemeldte\s*:|\bans(?:ø|oe)ger\s*:"
    r"|^\s*(?:vedr\b\.?|vedr(?:ø|oe)rende\b|ang(?:å|aa)ende\b|ang\.)",  # a subject line, not "Attest vedr. ..."
    re.IGNORECASE,
)
# The name after a number that starts its line: capitalised words up to a separator ("· 38 år", ", ").
NAME_AFTER_WORDS = re.compile(r"^\s*[·|,(-]?\s*((?:[A-ZÆØÅÄÖÜÉ][^\W\d_]*(?:[-'’][^\W\d_]+)*\.?,?\s*){2,6})")
# One word of a name: letters, with hyphens, apostrophes or a dot (an initial) inside or after.
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.\-]*(?:[-'’][^\W\d_]+)*\.?$")
_SPLIT = re.compile(r"\s*(?:,|\(|\)|;|\s{2,}|\s[-|/]\s|\bcpr\b|\bfødt\b|\bf\.|:)\s*", re.IGNORECASE)
_MIN_WORDS, _MAX_WORDS = 2, 6
_FRAGMENT = 12  # a line this short may be the second half of a wrapped label
# Words that begin a name field's neighbour, never part of a name.
_NOT_NAMES = frozenset({"cpr", "nr", "personnummer", "adresse", "tlf", "telefon", "født", "lægeattest", "attest",
                        "statusattest", "og", "vedr", "vedrørende", "navn", "patient", "borger", "til", "fra",
                        "patientens", "borgerens", "borgers", "sikredes", "fulde", "efternavn", "fornavn",
                        "undertegnede", "personnr", "pers", "sygemeldte", "klient", "ansøger", "alder", "dato"})


def find_patient_names(content: PdfContent, cpr: CprResult) -> tuple[PrintedName, ...]:
    """Every name the document prints for its patient: beside the accepted CPR (on its line, or ending the line above
    a number that starts its line), after each name label anywhere (also on the next line when the label ends its
    line), and in form fields labelled as a name; never on a line about another person. Empty when the CPR was not
    accepted."""
    if cpr.cpr is None:
        return ()
    # the lines holding the patient's number: where it was accepted, and where it stands again (a banner)
    places = {(c.evidence.page, c.evidence.line) for c in cpr.candidates
              if c.digits == cpr.cpr and c.verdict is not CprVerdict.OTHER_PERSON and c.evidence.source == "text"}
    lines = [(line.page, line.line, normalise(line.text)) for line in content.lines]
    texts: list[str | None] = []
    for (_, _, line_text), taint in zip(lines, other_person_lines([t for _, _, t in lines])):
        if taint is None:
            texts.append(line_text)
        elif taint.own_line and taint.doctor_at is not None:  # "Vedr.: Mona Moeller ... Praktiserende læge:"
            texts.append(line_text[: taint.doctor_at])
        else:
            texts.append(None)  # about another person
    beside: list[PrintedName] = []
    labelled: list[PrintedName] = []
    for index, (page, number, _) in enumerate(lines):
        text = texts[index]
        if text is None:
            continue
        following = (texts[index + 1] or "") if index + 1 < len(lines) else ""
        if (page, number) in places:
            own = list(_names_on_cpr_line(text, cpr.cpr, page, number))  # "0309441397 MORTENSEN, ANDERS": a banner
            starts_with_number = bool(re.match(r"^\s*\d", text))
            above = texts[index - 1] or "" if index > 0 and starts_with_number and not own else ""
            beside.extend(_names_on_cpr_line(f"{above} {text}".strip(), cpr.cpr, page, number) if above else own)
        else:
            labelled.extend(_labelled_names(text, following, page, number))
            previous = texts[index - 1] if index > 0 else None
            # a label wrapped in a narrow cell ("Efternavn," / "fornavn:"); not a heading after a name ("Vurdering")
            if previous and len(text.strip()) <= _FRAGMENT and not any(_labelled_names(previous, "", page, number)):
                labelled.extend(_labelled_names(f"{previous} {text}", following, page, number))
    return _distinct([*beside, *labelled, *_field_names(content)])


def conflicting_names(names: Sequence[PrintedName]) -> tuple[PrintedName, PrintedName] | None:
    """Two names the document prints for its patient that cannot be one person's ("Patient: Kasper Ærenlund" and
    "Ledsaget af Pernille Kjær-Olsen, cpr.nr. ..."): the CPR may then be the other person's."""
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            if not names_match(first.text, second.text):
                return first, second
    return None


def _names_on_cpr_line(text: str, cpr: str, page: int, number: int) -> Iterator[PrintedName]:
    """A line holding the CPR: a labelled name on it, else the capitalised words just before the CPR number or its
    label ("Anders Jensen, CPR-nr. ...", "set Anders Jensen (personnummer ...)", "Jensen, Anders (DDMMYY-SSSS)")."""
    labelled = list(_labelled_names(text, "", page, number))
    if labelled:
        yield from labelled
        return
    every = list(digit_runs(text))
    # the CPR's own run; or, when a line break split the number, the part that ends this line
    runs = [run for run in every if cpr in {r.digits for r in readings(run)} | _value_digits(run)] or every[-1:]
    cut = runs[0].start if runs else len(text)
    labels = [label for label in CPR_LABEL.finditer(text[:cut]) if not any(ch.isdigit() for ch in text[label.end():cut])]
    if labels:  # the first of the labels before the number ("personnummer (cpr)", "cpr-nr./personnr.")
        cut = labels[0].start()
    after = text[runs[0].end:] if runs else ""
    banner = NAME_AFTER_WORDS.match(after) if runs and not text[: runs[0].start].strip() else None
    if banner:  # "310583-1234 Kasper Olsen": an EPJ banner, the name after the number
        words = _name_words(banner.group(1).replace(",", " "))
        if len(words) > _MIN_WORDS and re.match(r"\s*\d", after[banner.end(1):]):
            words = words[:-1]  # "Morten Winther Algade 71B": the street of the address that follows
        if words:
            yield PrintedName(" ".join(words), Evidence(source="text", snippet=text.strip()[:160], page=page,
                                                         line=number, label=None))
            return
    # "Aksel Højer med CPR ...", "MØRCH, EMIL (Patientens CPR-nummer ..."
    found = NAME_BEFORE.search(re.sub(r"\s+(?:med|har)\s*$|\s*\(?\s*(?:patient(?:en)?s|borger(?:en)?s|sikredes|pt\.)\s*$", " ",
                                      text[:cut], flags=re.IGNORECASE))
    words = _name_words(found.group("name").replace(",", " ")) if found else []
    if found and words:
        shown = found.group("name").strip(" ,") if len(words) == len(found.group("name").replace(",", " ").split()) \
            else " ".join(words)
        yield PrintedName(shown, Evidence(source="text", snippet=text.strip()[:160], page=page, line=number,
                                          label=None))


def _value_digits(run: DigitRun) -> set[str]:
    value = value_of(run)
    return {value.digits} if value else set()


# Letters every name label contains one of: most lines hold none, and NAME_LABEL need not run over them.
_NAME_LABEL_HINTS = ("navn", "name", "patient", "borger", "pt", "vedr", "ang", "sygemeldte", "ansøger", "ansoeger",
                     "sikrede", "klient", "cpr", "pers")


_NAME_LABEL_HINT = re.compile("|".join(map(re.escape, _NAME_LABEL_HINTS)))  # one scan, not one per hint


def _labelled_names(text: str, next_line: str, page: int, number: int) -> Iterator[PrintedName]:
    """The name after each name label on the line (or on the next line when the label ends its line)."""
    lowered = text.lower()
    if not _NAME_LABEL_HINT.search(lowered):
        return
    for match in NAME_LABEL.finditer(text):
        rest = text[match.end():]
        if not rest.strip(" :.-") and next_line and not NAME_LABEL.match(next_line):  # not the next field's label
            rest = next_line
        words = _name_value(rest)
        if words:
            yield PrintedName(" ".join(words), Evidence(source="text", snippet=text.strip()[:160], page=page,
                                                         line=number, label=match.group(0).strip()))


# A CPR label and its value between a name label and the name ("Vedr. borgerens cpr-nr. 051089 0124 - Ida Poulsen").
_CPR_BEFORE_NAME = re.compile(rf"^[\s:.\-(]*(?:(?:patient(?:en)?s|borger(?:en)?s|sikredes)\s+)?(?:(?:{CPR_LABEL.pattern})"
                              r"[\s:.\-/()]*)+", re.IGNORECASE)


def _name_value(rest: str) -> list[str]:
    """The name at the start of `rest`: "Anders Juul Jensen", or "Jensen, Anders" (surname first)."""
    rest = _CPR_BEFORE_NAME.sub("", rest)
    rest = re.sub(r"^[\s:.\-]*(?:[\d .\-/]+\d)?[\s:.\-,]*", "", rest)  # a CPR value between label and name
    pieces = [piece for piece in _SPLIT.split(rest) if piece is not None]
    if not pieces:
        return []
    first = _name_words(pieces[0], single=len(pieces) > 1)
    if len(first) == 1:  # "Jensen, Anders"
        second = _name_words(pieces[1], single=True)
        return second + first if second else []
    return first


def _name_words(text: str, *, from_end: bool = False, single: bool = False) -> list[str]:
    """The capitalised words of `text` that read as a name: 2-6 words of letters (hyphens, apostrophes, an initial's
    dot), none a label. From the start (a label's value) or from the end (the words before a CPR). With `single`, a
    lone surname is returned too (the caller joins the first names after its comma)."""
    words = text.split()
    if from_end:
        words.reverse()
    kept: list[str] = []
    for word in words:
        if (not _NAME_WORD.match(word) or not word[0].isupper() or word.lower().strip(".") in _NOT_NAMES
                or OTHER_LABEL.fullmatch(word) or CPR_LABEL.match(word) or GENERIC_LABEL.fullmatch(word)):
            break
        kept.append(word)
    if from_end:
        kept.reverse()
    kept = kept[:_MAX_WORDS]
    if single and len(kept) == 1 and len(kept[0]) >= 2:
        return kept
    if len(kept) < _MIN_WORDS or sum(len(w.strip(".")) >= 2 for w in kept) < 2:
        return []
    return kept


def _field_names(content: PdfContent) -> Iterator[PrintedName]:
    for form_field in content.fields:
        label = " ".join(filter(None, (re.sub(r"[._\[\]0-9]+", " ", form_field.name), form_field.label)))
        if not re.search(r"\bnavn\b|\bname\b", label, re.IGNORECASE) or other_person_lines([label])[0]:
            continue
        words = _name_value(normalise(form_field.value))
        if words:
            yield PrintedName(" ".join(words), Evidence(source="field", snippet=form_field.value.strip()[:160],
                                                         field=form_field.name, label=label.strip()))


def _distinct(names: Sequence[PrintedName]) -> tuple[PrintedName, ...]:
    seen: set[str] = set()
    kept: list[PrintedName] = []
    for name in names:
        if name.text not in seen:
            seen.add(name.text)
            kept.append(name)
    return tuple(kept)
