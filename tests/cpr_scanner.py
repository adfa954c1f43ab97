"""One scanner for full CPR numbers in anything the robot put out: ten digits in any written form people use
(DDMMYY-SSSS, DDMMYY SSSS, DDMMYY - SSSS, DD MM YY-SSSS, DD.MM.YY-SSSS, DDMMYYSSSS, one digit per box, with any
space, dot, dash, slash or invisible character between), whose date and 7th digit give a valid birth date; and
DD.MM.YYYY-SSSS. Written apart from robot.privacy on purpose: a test must not share the code it checks."""

from __future__ import annotations

import re
from datetime import date

from robot.extract.cpr import birth_date

_GAP = r"[\s.\-/|\u00ad\u200b-\u200d\u2010-\u2015\u2060\u2212\ufe63\uff0d\ufeff]{1,3}"
_OPTIONAL = rf"(?:{_GAP})?"
_FORMS = (
    rf"\d\d{_OPTIONAL}\d\d{_OPTIONAL}\d\d{_OPTIONAL}\d{{4}}",  # DDMMYY-SSSS and every grouping of date and serial
    rf"\d{{6}}{_OPTIONAL}\d(?:{_OPTIONAL}\d){{3}}",  # the serial split: DDMMYY-SS SS
    rf"\d(?:{_GAP}\d){{9}}",  # one digit per box
    rf"\d(?:{_GAP}\d){{5}}{_OPTIONAL}\d{{4}}",  # the date in boxes, the serial in one
)
_CANDIDATE = re.compile(rf"(?<![0-9])(?=({'|'.join(_FORMS)})(?![0-9]))")
_FULL_YEAR = re.compile(r"(?<!\d)(\d\d)[.\-/ ](\d\d)[.\-/ ](\d\d)(\d\d)\s?[-\u2013]?\s?(\d{4})(?!\d)")
TODAY = date(2026, 12, 31)


def full_cprs(text: str) -> list[str]:
    """Every full CPR number in `text` (substitute numbers included), as ten digits."""
    found = []
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if birth_date(digits, TODAY) or birth_date(digits, TODAY, substitute=True):
            found.append(digits)
    for match in _FULL_YEAR.finditer(text):
        digits = match.group(1) + match.group(2) + match.group(4) + match.group(5)
        if birth_date(digits, TODAY) and birth_date(digits, TODAY).year == int(match.group(3) + match.group(4)):  # type: ignore[union-attr]
            found.append(digits)
    return found


def masked(digits: str) -> str:
    return f"{digits[:6]}-xxxx"


class Scanner:
    """`FULL_CPR.search(text)`: the first full CPR in `text`, masked for the failure message, or None."""

    def search(self, text: str) -> str | None:
        found = full_cprs(text)
        return masked(found[0]) if found else None


FULL_CPR = Scanner()
