"""Masking of CPR numbers in any text that may leave the ledger: logs, notices, errors, CLI output."""

from __future__ import annotations

import re
from typing import Any, Protocol, TextIO

# Anything CPR-shaped is masked, valid or not: over-masking a phone number is harmless, leaking a CPR is not.
# CPR-shaped: ten digits not inside a longer digit run, in any written form the CPR reader knows (robot.extract
# .cpr_text): between digits up to three spaces (any kind), dots, dashes, slashes, bars or invisible characters.
# Only timestamps and dates stay readable: a break after a four-digit year ("06.12.2026 13:56") is no CPR form.
_BETWEEN = (" \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000.\\-/|\u2010-\u2015\u2212\ufe63\uff0d\u2043"
            "\u00ad\u200b-\u200d\u2060\ufeff")
_CPR_SHAPED = re.compile(rf"(?<!\d)(?=(\d(?:[{_BETWEEN}]{{0,3}}\d){{9}})(?!\d))")
# Every form below (labelled, full year, CPR-shaped) holds ten digits with at most three of these between any two:
# a text without such a run has nothing to mask, and most texts (log fields, sidecar values) are that.
_TEN_DIGITS_CLOSE = re.compile(rf"\d(?:[{_BETWEEN}]{{0,3}}\d){{9}}")
_DIGIT_GROUP = re.compile(r"\d+")
_BETWEEN_GROUPS = re.compile(r"(?<=\d)\D+(?=\d)")
# The date printed with a four-digit year: "DD.MM.YYYY-SSSS" (the CPR reader takes it when the year agrees).
_FULL_YEAR = re.compile(rf"(?<!\d)(\d\d)[{_BETWEEN}]{{1,3}}(\d\d)[{_BETWEEN}]{{1,3}}\d\d(\d\d)[{_BETWEEN}]{{0,3}}\d{{4}}(?!\d)")


def mask_cpr_text(text: str) -> str:
    """Replace every CPR-shaped number in `text` by `DDMMYY-xxxx`, until none is left: masking the tail of a longer
    number ("Bankkonto: 2011 1812181234") may leave digits that read as a CPR with the ones before them."""
    for _ in range(4):
        masked = _mask_once(text)
        if masked == text:
            return masked
        text = masked
    return text


# After a CPR label the reader takes ten digits in any grouping ("CPR-nr. 2603902 966"): so does the mask.
_LABELLED = re.compile(rf"(?i)(?:\bc\.?\s?p\.?\s?r|\bpers(?:on)?\w*)[\w.\-/ ]{{0,14}}?[\s:.(]*"
                       rf"(\d(?:[{_BETWEEN}]{{0,3}}\d){{9}})(?!\d)")


def _mask_once(text: str) -> str:
    if _TEN_DIGITS_CLOSE.search(text) is None:
        return text
    text = _LABELLED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + f"{re.sub(r'[^0-9]', '', m.group(1))[:6]}-xxxx",
                         text)
    text = _FULL_YEAR.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}-xxxx"
                          if _date_like(m.group(1) + m.group(2)) else m.group(0), text)
    spans: list[tuple[int, int, str]] = []
    for match in _CPR_SHAPED.finditer(text):
        start, end = match.start(1), match.end(1)
        if spans and start < spans[-1][1]:
            continue
        groups = _DIGIT_GROUP.findall(match.group(1))
        separators = _BETWEEN_GROUPS.findall(match.group(1))
        digits = "".join(groups)
        if _cpr_grouping(groups, separators) and _date_like(digits) and not _inside_a_hash(text, start, end):
            spans.append((start, end, digits[:6]))
    if not spans:
        return text
    pieces: list[str] = []
    at = 0
    for start, end, date_part in spans:
        pieces += [text[at:start], f"{date_part}-xxxx"]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _date_like(digits: str) -> bool:
    """Day and month a CPR number may have (substitute numbers add 40 or 60 to the day)."""
    day, month = int(digits[:2]), int(digits[2:4])
    return 1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 91)


def _inside_a_hash(text: str, start: int, end: int) -> bool:
    """The digits are part of a long hexadecimal token (a SHA-256, a document reference), not a number of their own."""
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX:
        left -= 1
    while right < len(text) and text[right] in _HEX:
        right += 1
    token = text[left:right]
    return len(token) >= 32 and any(ch.isalpha() for ch in token)


_HEX = frozenset("0123456789abcdefABCDEF")


def _cpr_grouping(groups: list[str], separators: list[str]) -> bool:
    """Ten digits grouped the way a CPR number may be written: the date's digits in one group or split after the
    day and the month, the serial's in any groups split by spaces ("DDMMYY-SS SS"); one digit per box. Not a CPR
    grouping: a break inside the serial without one between date and serial ("06.12.2026 13", a four-digit year),
    or a dot or dash inside the serial ("08.04.25 - 15.07.25", a date range)."""
    if all(len(group) == 1 for group in groups):
        return True
    breaks, position = [], 0
    for group in groups[:-1]:
        position += len(group)
        breaks.append(position)
    for position, separator in zip(breaks, separators):
        if position in (1, 3, 5) or (position > 6 and (6 not in breaks or separator.strip())):
            return False
    return True


def mask_cpr(cpr: str) -> str:
    """Mask one CPR number given as ten digits (with or without separator)."""
    digits = re.sub(r"\D", "", cpr)
    return f"{digits[:6]}-xxxx"


class MaskingStream:
    """A text stream that masks every CPR-shaped number written through it: what a command prints cannot carry a full
    CPR, whatever the command forgot (`extract --reveal-cpr` is the one way around it)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_cpr_text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def mask_deep(value: Any) -> Any:
    """Mask CPR-shaped numbers in strings inside nested dicts, lists and tuples."""
    if _plainly_nothing_to_mask(value):
        return value
    return _mask_deep(value)


def _plainly_nothing_to_mask(value: Any) -> bool:
    """Whether `value` is plain data (dicts, lists, tuples, strings, None, booleans, floats, short ints) whose
    strings masking would leave as they are: then the copy masking makes is spared (a sidecar's or a log event's
    fields, almost always). The strings are first searched at once, joined by a character no CPR form has between
    its digits, for a run of ten digits; only the strings with such a run are masked to see."""
    texts: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if isinstance(item, str):  # a str subclass too (a form code): masking reads only its text
            texts.append(item)
        elif kind is dict:
            pending.extend(item.keys())
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif kind is int:
            if not 9 <= len(str(item)) <= 10:
                continue
            return False
        elif item is not None and kind is not bool and kind is not float:
            return False  # bytes, other objects: the slow path renders and masks them
    if _TEN_DIGITS_CLOSE.search("\n#\n".join(texts)) is None:
        return True
    # a long digit run (a Message-ID's timestamp) is common and rarely a CPR: only those strings are masked to see
    return all(mask_cpr_text(text) == text for text in texts if _TEN_DIGITS_CLOSE.search(text))


def _mask_deep(value: Any) -> Any:
    if isinstance(value, str):
        return mask_cpr_text(value)
    if isinstance(value, dict):
        return {key: _mask_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_deep(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool) and 9 <= len(str(value)) <= 10:
        # a CPR passed as a number has lost its leading zero; mask it all the same
        return mask_cpr_text(str(value).zfill(10))
    if isinstance(value, (bytes, bytearray)):
        return mask_cpr_text(bytes(value).decode("latin-1"))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # any other object is rendered as text here, so its repr cannot carry a CPR past the mask
    return mask_cpr_text(str(value))


class _NumberedCase(Protocol):
    @property
    def case_id(self) -> str: ...

    @property
    def title(self) -> str | None: ...


def case_title(case: _NumberedCase | None) -> str | None:
    """The case number people read (a case's title as the case system prints it), masked, when it is not the case
    id itself: a notice names the case the way the caseworker finds it, not by a system's internal id."""
    if case is None or not case.title or case.title.strip() == case.case_id:
        return None
    return mask_cpr_text(case.title.strip())
