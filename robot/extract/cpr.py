"""Finds the one patient CPR number in a document's text and fields, rejecting numbers that only look like one."""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from robot.model import CprCandidate, CprResult, CprVerdict, Evidence, PdfContent, Reason
from robot.privacy import CPR_SEPARATORS

# Six digits, an optional single separator, four digits. Digits on either side
# mean a longer number (a 13-digit location number), never a CPR.
_CANDIDATE = re.compile(rf"(?<!\d)(\d{{6}})([{CPR_SEPARATORS}]?)(\d{{4}})(?!\d)")

# A digit group joined to the candidate by one separator makes it part of a
# longer number: "Reg.nr. 1234 <ten digits>", "27.12.08-<ten digits>", "+45 ...".
_CHAINED_BEFORE = re.compile(r"(?:\d[\s./\-\u2013,]|\+\s?)$")
_CHAINED_AFTER = re.compile(r"^[./\-\u2013,]\d")
# The digit group that chains onto a number from the left, to look past it for the label.
_LEADING_GROUP = re.compile(r"[\d./\-\u2013,]+\s?$")

_CPR_LABEL = re.compile(
    r"\bc\.?\s?p\.?\s?r\b\.?(?:\s?-?\s?(?:nr|nummer|no)\b\.?)?"
    r"|\bperson\s?-?\s?(?:nr|nummer)\b\.?|\bpersonnr\b\.?|\bpers\.?\s?nr\b\.?"
    r"|\berstatnings-?\s?(?:cpr|personnummer)\b|\bpersonnummer\b|\bfødselsnummer\b"
    # words naming the person the document is about also mark the number after them
    r"|\bpatient(?:en)?\b|\bborger(?:en)?\b|\bvedr\b\.?|\bvedrørende\b",
    re.IGNORECASE,
)

# Labels of numbers that look like a CPR and are something else.
_OTHER_LABEL = re.compile(
    r"\b(?:tlf|telefon\w*|mobil\w*|fax|cvr\w*|se-?\s?nr|p-?\s?nr|p-?\s?nummer|produktionsenhed\w*"
    r"|yder\w*|lokations\w*|ean\w*|gln|sor(?:-?kode)?|konto\w*|reg\.?\s?-?nr|reg|registrerings\w*|iban"
    r"|journal\w*|j\.?\s?nr|sagsnr|sagsnummer|sags-?id|rekvisition\w*|rekv|ordre\w*|faktura\w*"
    r"|løbe-?nr|løbenummer|dokument-?nr|dokumentnummer|bilagsnr|kunde-?nr|kundenummer"
    r"|autorisations\w*|henvisnings\w*)\b\.?",
    re.IGNORECASE,
)

# What may stand between a label and its number: punctuation, and after another
# number's label only "nr"/"nummer"; after a CPR label a few words without digits.
_OTHER_LABEL_GAP = re.compile(r"^[\s:.#\-\u2013=()/]*(?:(?:nr|nummer|no)\b\.?[\s:.#\-\u2013=()]*)?$", re.IGNORECASE)
_CPR_LABEL_GAP = re.compile(r"^[^\d]{0,25}$")

# How far before a number a label may stand on the same line.
_LABEL_WINDOW = 60

_MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def passes_mod11(digits: str) -> bool:
    """The pre-2007 modulus-11 check; raises confidence, never vetoes."""
    return sum(int(d) * w for d, w in zip(digits, _MOD11_WEIGHTS)) % 11 == 0


def century(year2: int, seventh: int) -> int | None:
    """The century of a birth year from the 7th digit (DOMAIN.md); None where no number is issued."""
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if year2 <= 36 else 1900
    if year2 <= 36:
        return 2000
    if year2 >= 58:
        return 1800
    return None


def birth_date(digits: str, today: date, substitute: bool = False) -> date | None:
    """The birth date a CPR number encodes, or None when it encodes no valid, past date."""
    day, month, year2, seventh = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if substitute:
        day -= 60 if day > 60 else 40
    base = century(year2, seventh)
    if base is None:
        return None
    try:
        born = date(base + year2, month, day)
    except ValueError:
        return None
    return born if born <= today else None


def find_cpr(content: PdfContent, today: date | None = None) -> CprResult:
    """Exactly one distinct accepted CPR and nothing else that may be a person's -> that CPR; else a reason."""
    today = today or date.today()
    candidates = (*_candidates_in_lines(content, today), *_candidates_in_fields(content, today))
    return judge(candidates)


def judge(candidates: tuple[CprCandidate, ...]) -> CprResult:
    """The verdict over all candidates. Anything that may be a second person blocks."""
    accepted = {c.digits for c in candidates if c.verdict is CprVerdict.ACCEPTED}
    blocking = {c.digits for c in candidates if c.verdict in (CprVerdict.DOUBTFUL, CprVerdict.INVALID)} - accepted
    invalid = {c.digits for c in candidates if c.verdict is CprVerdict.INVALID}
    if len(accepted) == 1 and not blocking:
        return CprResult(cpr=next(iter(accepted)), reason=None, candidates=candidates)
    if len(accepted) + len(blocking) >= 2:
        return CprResult(cpr=None, reason=Reason.AMBIGUOUS_CPR, candidates=candidates)
    if invalid:
        return CprResult(cpr=None, reason=Reason.INVALID_CPR, candidates=candidates)
    return CprResult(cpr=None, reason=Reason.NO_CPR, candidates=candidates)


def _candidates_in_lines(content: PdfContent, today: date) -> Iterator[CprCandidate]:
    previous_text, previous_page = "", 0
    for line in content.lines:
        if line.page != previous_page:
            previous_text, previous_page = "", line.page
        for match in _CANDIDATE.finditer(line.text):
            before, after = line.text[: match.start()], line.text[match.end() :]
            context = _across_lines(previous_text, before)
            evidence = Evidence(source="text", snippet=line.text.strip()[:160], page=line.page, line=line.line)
            yield _verdict(match, before, after, context, evidence, today)
        previous_text = line.text


def _across_lines(previous: str, before: str) -> str:
    """The text before a number, reaching back into the previous line: table cells and labels wrap
    ("P-" / "nummer <ten digits>", "CPR-nr." / "<DDMMYY-SSSS>")."""
    tail = previous.rstrip()[-_LABEL_WINDOW:]
    if tail.endswith("-"):
        return tail + before  # a word broken at its hyphen
    return before if before.strip() or not tail else f"{tail} "


def _candidates_in_fields(content: PdfContent, today: date) -> Iterator[CprCandidate]:
    for form_field in content.fields:
        field_label = " ".join(filter(None, (_humanise(form_field.name), form_field.label)))
        for value_line in form_field.value.splitlines():
            for match in _CANDIDATE.finditer(value_line):
                before, after = value_line[: match.start()], value_line[match.end() :]
                context = before if before.strip() else field_label
                evidence = Evidence(source="field", snippet=value_line.strip()[:160], field=form_field.name)
                yield _verdict(match, before, after, context, evidence, today)


def _humanise(field_name: str) -> str:
    """Field names such as `patient.cpr_nr` read as label text `patient cpr nr`."""
    return re.sub(r"[._\[\]0-9]+", " ", field_name)


def _adjacent_label(context: str) -> tuple[str, str] | None:
    """The label standing right before a number, as ('cpr' | 'other', printed text), if any."""
    window = context[-_LABEL_WINDOW:]
    found: list[tuple[int, str, str]] = []
    for kind, pattern, gap in (("cpr", _CPR_LABEL, _CPR_LABEL_GAP), ("other", _OTHER_LABEL, _OTHER_LABEL_GAP)):
        for m in pattern.finditer(window):
            if gap.match(window[m.end() :]):
                found.append((m.end(), kind, m.group(0).strip()))
    if not found:
        return None
    # nearest wins; at the same place a CPR label wins ("CPR/Personnr")
    _, kind, text = max(found, key=lambda item: (item[0], item[1] == "cpr"))
    return kind, text


def _verdict(
    match: re.Match[str], before: str, after: str, context: str, evidence: Evidence, today: date
) -> CprCandidate:
    digits = match.group(1) + match.group(3)
    separated = bool(match.group(2))
    mod11 = passes_mod11(digits)
    label = _adjacent_label(context)
    labelled = label is not None and label[0] == "cpr"
    evidence = Evidence(**{**evidence.__dict__, "label": label[1] if label else None})

    def candidate(verdict: CprVerdict, why: str, born: date | None = None, substitute: bool = False) -> CprCandidate:
        return CprCandidate(digits=digits, evidence=evidence, verdict=verdict, why=why, labelled=labelled,
                            mod11=mod11, birth_date=born, substitute=substitute)

    born = birth_date(digits, today)
    if _CHAINED_BEFORE.search(before) or _CHAINED_AFTER.search(after):
        # "Reg.- og kontonr.: 4031 <ten digits>" is one labelled number; but "Boulevarden 13 <DDMMYY-SSSS>" is a
        # street number beside a CPR: a valid birth date inside a longer number may be a person, so it blocks
        prefix_label = _adjacent_label(_LEADING_GROUP.sub("", context))
        if prefix_label is not None and prefix_label[0] == "other":
            return candidate(CprVerdict.REJECTED, f"part of a longer number labelled {prefix_label[1]}")
        if born is not None:
            return candidate(CprVerdict.DOUBTFUL, "valid birth date beside other digits: may be a CPR", born)
        return candidate(CprVerdict.REJECTED, "part of a longer number")
    if label is not None and label[0] == "other":
        if born is not None and separated and mod11:
            return candidate(CprVerdict.DOUBTFUL, f"written as a CPR though labelled {label[1]}", born)
        return candidate(CprVerdict.REJECTED, f"labelled as another number ({label[1]})")
    if born is not None:
        if labelled:
            return candidate(CprVerdict.ACCEPTED, "CPR label and valid date", born)
        if separated:
            return candidate(CprVerdict.ACCEPTED, "valid date, written as a CPR", born)
        if mod11:
            return candidate(CprVerdict.ACCEPTED, "valid date and modulus 11", born)
        return candidate(CprVerdict.DOUBTFUL, "unlabelled ten digits with a valid date failing modulus 11", born)
    if labelled and 41 <= int(digits[:2]) <= 91:
        substitute_born = birth_date(digits, today, substitute=True)
        if substitute_born is not None:
            return candidate(CprVerdict.ACCEPTED, "CPR label and valid substitute number", substitute_born, True)
    if labelled:
        return candidate(CprVerdict.INVALID, "labelled as CPR but no valid birth date")
    return candidate(CprVerdict.REJECTED, "not a valid birth date")


def format_cpr(digits: str) -> str:
    """Ten digits as `DDMMYY-SSSS`."""
    return f"{digits[:6]}-{digits[6:]}"
