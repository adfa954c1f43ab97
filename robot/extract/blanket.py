"""Tells which LÆ form (or other known document) a PDF is: form lines first, titles next, sentences last."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from robot.model import BlanketMention, BlanketResult, Evidence, PdfContent, Reason, TextLine
from robot.rules.catalogue import Catalogue, KnownDocument

# The heading area: this many first lines of the first page with text.
HEADING_LINES = 15
# How far before a form code a reference phrase may stand ("tidligere fremsendt LÆ 265").
_REFERENCE_WINDOW = 40
# A line with this many words besides the form code is a sentence: its code is a mention, not the form's label.
_PROSE_WORDS = 6
# ... or this many and a full stop at the end.
_SENTENCE_WORDS = 3
# A heading line naming a known document or a title is at most this many words.
_HEADING_WORDS = 5
_WORD = re.compile(r"[^\W\d_]{2,}")
_PAGE_NUMBER = re.compile(r"\b(?:side|page|s\.)\s*\d+\s*(?:af|of|/)\s*\d+", re.IGNORECASE)


@dataclass(frozen=True)
class _Patterns:
    code: re.Pattern[str]
    reference: re.Pattern[str]
    same_line_reference: re.Pattern[str] | None


@lru_cache(maxsize=8)
def _patterns(prefixes: tuple[str, ...], reference_words: tuple[str, ...],
              reference_line_words: tuple[str, ...] = ()) -> _Patterns:
    """Regexes built from the catalogue: form codes in any of its spellings, and reference phrases."""
    spelled = []
    for prefix in prefixes:
        letters = [c for c in prefix if c.isalnum()]
        spelled.append(r"\.?\s?".join(re.escape(c) for c in letters) + r"\.?")
    code = re.compile(
        rf"(?<![^\W\d_])(?:{'|'.join(spelled)})[\s\-\u2010-\u2015\u2212:.]{{0,3}}(\d{{3}})(?!\d)", re.IGNORECASE
    )
    phrases = "|".join(r"\s+".join(re.escape(part) for part in w.split())
                       for w in sorted(reference_words, key=len, reverse=True)) or r"(?!x)x"
    # a date may stand between the words and the code: "svar på anmodning af 12.03.2024 (LÆ 121)"
    dated = r"(?:\s+(?:af|fra|dateret|den|modtaget)?\s*[\d./\-]{6,10})?"
    filler = r"(?:\s+(?:blanket\w*|formular\w*|skema\w*))?"  # "udfyldes på blanket LÆ 135"
    reference = re.compile(rf"(?:^|[^\w])(?:{phrases})\.?{filler}{dated}[\s(:\-\u2013,]*$", re.IGNORECASE)
    stems = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in reference_line_words)
    same_line = re.compile(rf"(?<!\w)(?:{stems})", re.IGNORECASE) if stems else None
    return _Patterns(code=code, reference=reference, same_line_reference=same_line)


def _catalogue_patterns(catalogue: Catalogue) -> _Patterns:
    return _patterns(catalogue.prefixes, catalogue.reference_words, catalogue.reference_line_words)


def find_blanket(content: PdfContent, catalogue: Catalogue) -> BlanketResult:
    """The document's form. Order: a known non-LÆ document named by a heading line; form codes on form lines
    (headings, footers: they must agree, else the heading's decide); a title starting a heading line; form codes
    inside sentences (they must agree). References to other forms never count."""
    heading = _heading_lines(content.lines)
    mentions = tuple(_mentions(content, heading, _catalogue_patterns(catalogue)))
    own = [m for m in mentions if not m.reference]

    document = _known_document(heading, catalogue)
    if document is not None:
        name, kind, evidence = document
        # the document's own form is none: a receipt names the form it acknowledges, it is not that form
        return BlanketResult(code=None, title=name, kind=kind, reason=None, mentions=mentions,
                             why=f"heading names a {name.lower()} ({evidence.snippet!r})")

    standalone = [m for m in own if not m.prose]
    if standalone:
        codes = _distinct(standalone)
        if len(codes) == 1:
            return _result(codes[0], catalogue, mentions, "form code on a heading or form line")
        answer = _answer_naming_its_request(codes, heading, catalogue)
        if answer is not None:
            return _result(answer, catalogue, mentions,
                           f"form code and title of LÆ {answer} in the heading, beside the request it answers")
        return BlanketResult(code=None, title=None, kind=None, reason=Reason.AMBIGUOUS_BLANKET, mentions=mentions,
                             why=f"form lines name different forms: {', '.join(codes)}")

    titled = _title_in_heading(heading, catalogue)
    if titled is not None:
        code, evidence = titled
        mention = BlanketMention(code=code, evidence=evidence, heading=True, reference=False)
        return _result(code, catalogue, (*mentions, mention), f"form title in the heading ({evidence.snippet!r})")

    # a code only inside sentences ("Hermed fremsendes statusattest (LÆ 125) ...") names a form, it does not
    # label this document: a cover letter is no certificate
    if own:
        why = f"form codes only inside sentences ({', '.join(_distinct(own))}), no form line or title"
    else:
        why = "only references to other forms" if mentions else "no form code or title found"
    return BlanketResult(code=None, title=None, kind=None, reason=Reason.NO_BLANKET, mentions=mentions, why=why)


def _answer_naming_its_request(codes: list[str], heading: tuple[TextLine, ...], catalogue: Catalogue) -> str | None:
    """A certificate whose heading also names the request it answers ("Modtaget rekvisition LÆ 281" above "LÆ 285
    Attest til sygedagpengeopfølgning"): requests end in 1 and their answers in 5 (LÆ 121 -> LÆ 125). Taken only
    when the heading's title is the answer's own, so a request naming the form to return stays a request."""
    if len(codes) != 2:
        return None
    kinds = {code: (catalogue.blankets[code].kind if code in catalogue.blankets else None) for code in codes}
    requests = [c for c in codes if kinds[c] == "anmodning" and c.endswith("1")]
    answers = [c for c in codes if kinds[c] == "attest" and c.endswith("5")]
    if len(requests) != 1 or len(answers) != 1 or requests[0][:-1] != answers[0][:-1]:
        return None
    titled = _title_in_heading(heading, catalogue)
    return answers[0] if titled is not None and titled[0] == answers[0] else None


def _distinct(mentions: list[BlanketMention]) -> list[str]:
    return list(dict.fromkeys(m.code for m in mentions if m.code))


def _result(code: str | None, catalogue: Catalogue, mentions: tuple[BlanketMention, ...], why: str) -> BlanketResult:
    blanket = catalogue.blankets.get(code or "")
    if blanket is None:
        return BlanketResult(code=None, title=None, kind=None, reason=Reason.UNKNOWN_BLANKET, mentions=mentions,
                             why=f"{why}: LÆ {code} is not in the catalogue")
    return BlanketResult(code=blanket.code, title=blanket.title, kind=blanket.kind, reason=None,
                         mentions=mentions, why=why)


def _heading_lines(lines: tuple[TextLine, ...]) -> tuple[TextLine, ...]:
    with_text = [line for line in lines if line.text.strip()]
    if not with_text:
        return ()
    first_page = with_text[0].page
    return tuple(line for line in with_text if line.page == first_page)[:HEADING_LINES]


def _mentions(content: PdfContent, heading: tuple[TextLine, ...], patterns: _Patterns) -> Iterator[BlanketMention]:
    """Every form code printed in the text (also split over two lines) or held in a form field."""
    heading_keys = {(line.page, line.line) for line in heading}
    for page_lines in _by_page(content.lines):
        joined, starts = _join(page_lines)
        for match in patterns.code.finditer(joined):
            index = _line_index(starts, match.start())
            line = page_lines[index]
            line_before = joined[starts[index]:match.start()]
            evidence = Evidence(source="text", snippet=" ".join(match.group(0).split()), page=line.page,
                                line=line.line)
            yield BlanketMention(code=match.group(1), evidence=evidence,
                                 heading=(line.page, line.line) in heading_keys,
                                 reference=_is_reference(joined[:match.start()], line_before, patterns),
                                 prose=_is_prose(line.text, match.group(0)))
    for form_field in content.fields:
        for match in patterns.code.finditer(form_field.value):
            before = form_field.value[:match.start()]
            evidence = Evidence(source="field", snippet=" ".join(match.group(0).split()), field=form_field.name,
                                label=form_field.label)
            yield BlanketMention(code=match.group(1), evidence=evidence, heading=True,
                                 reference=_is_reference(before, before.rsplit("\n", 1)[-1], patterns),
                                 prose=_is_prose(form_field.value, match.group(0)))


def _is_reference(text_before: str, line_before: str, patterns: _Patterns) -> bool:
    """A reference phrase right before the code on its line, or ending the previous line when the code begins one."""
    # the sentence may have broken just before the code: "Attesten udfyldes på" / "blanket LÆ 135"
    crossing = len(_WORD.findall(line_before)) <= 1
    window = text_before if crossing else line_before
    crosses_after_a_date = crossing and text_before[:len(text_before) - len(line_before)].rstrip()[-1:].isdigit()
    if not crosses_after_a_date and patterns.reference.search(window[-_REFERENCE_WINDOW:]):
        return True
    return bool(patterns.same_line_reference and patterns.same_line_reference.search(line_before))


def _is_prose(line: str, code_text: str) -> bool:
    """A sentence around the code ("Der er samtidig udfyldt LÆ 285 til kommunen.", "Oplysningerne supplerer
    LÆ 285 fra 20.03.2026.") rather than a heading, footer or form line ("LÆ 125 - side 1 af 2")."""
    if _PAGE_NUMBER.search(line):
        return False  # a footer: "Afdeling for Depression og Angst LÆ 265 · Side 1/2"
    words = len(_WORD.findall(line.replace(code_text.split("\n")[0], " ")))
    return words >= _PROSE_WORDS or (words >= _SENTENCE_WORDS and line.rstrip().endswith("."))


def _by_page(lines: tuple[TextLine, ...]) -> Iterator[list[TextLine]]:
    page: list[TextLine] = []
    for line in lines:
        if page and line.page != page[0].page:
            yield page
            page = []
        page.append(line)
    if page:
        yield page


def _join(lines: list[TextLine]) -> tuple[str, list[int]]:
    """The page's lines joined by newlines, and where each line starts in the joined text."""
    starts, position = [], 0
    for line in lines:
        starts.append(position)
        position += len(line.text) + 1
    return "\n".join(line.text for line in lines), starts


def _line_index(starts: list[int], offset: int) -> int:
    index = 0
    for n, start in enumerate(starts):
        if start > offset:
            break
        index = n
    return index


@lru_cache(maxsize=8)
def _document_words(documents: tuple[KnownDocument, ...]) -> re.Pattern[str] | None:
    """One regex for every known document's heading words at the start of a line; the group says which."""
    alternatives = [
        f"(?P<d{index}>" + "|".join(re.escape(word) for word in document.heading_words) + ")"
        for index, document in enumerate(documents)
    ]
    return re.compile(rf"^\W*(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE) if alternatives else None


def _known_document(heading: tuple[TextLine, ...], catalogue: Catalogue) -> tuple[str, str, Evidence] | None:
    """A heading line that starts with a known document's word and is no sentence ("Kvittering for modtagelse")."""
    pattern = _document_words(catalogue.documents)
    if pattern is None:
        return None
    for line in heading:
        found = pattern.search(line.text)
        if found and found.lastgroup and len(_WORD.findall(line.text)) <= _HEADING_WORDS:
            document = catalogue.documents[int(found.lastgroup[1:])]
            evidence = Evidence(source="text", snippet=line.text.strip()[:160], page=line.page, line=line.line)
            return document.name, document.kind, evidence
    return None


def _title_in_heading(heading: tuple[TextLine, ...], catalogue: Catalogue) -> tuple[str, Evidence] | None:
    """The first heading line that starts with a form title, also when the title wraps onto the next line
    ("Lægeattest til rehabiliterings-" / "team"); the longest title wins at the same place."""
    patterns = _catalogue_patterns(catalogue)
    titles = sorted(
        ((title, blanket.code) for blanket in catalogue.blankets.values() for title in (blanket.title, *blanket.aliases)),
        key=lambda pair: len(pair[0]), reverse=True,
    )
    for index, line in enumerate(heading):
        following = heading[index + 1].text if index + 1 < len(heading) else ""
        text = line.text.rstrip()
        joined = text[:-1] + following.lstrip() if text.endswith("-") else f"{text} {following}"
        for candidate in (text, joined):
            start = patterns.code.sub(" ", candidate).lstrip(" \t-–:.()")
            for title, code in titles:
                pattern = r"\s+".join(re.escape(part) for part in title.split())
                found = re.match(rf"{pattern}(?!\w)", start, re.IGNORECASE)
                if found and len(_WORD.findall(start[found.end():])) < _HEADING_WORDS:
                    evidence = Evidence(source="text", snippet=line.text.strip()[:160], page=line.page,
                                        line=line.line)
                    return code, evidence
    return None


def codes_in(text: str, catalogue: Catalogue) -> list[str]:
    """Form codes named in a short text such as a subject or a file name, references left out, in order."""
    patterns = _catalogue_patterns(catalogue)
    text = text.replace("_", " ")  # file names: "LAE_285_attest.pdf"
    return [match.group(1) for match in patterns.code.finditer(text)
            if not _is_reference(text[:match.start()], text[:match.start()], patterns)]
