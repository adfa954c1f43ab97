"""CPR helpers shared by generate.py and evaluate.py (independent of the robot)."""
from __future__ import annotations

import datetime as _dt
import re

W = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def mod11(s: str) -> bool:
    return sum(int(c) * w for c, w in zip(s, W)) % 11 == 0


def century(yy: int, d7: int) -> int | None:
    if d7 <= 3:
        return 1900
    if d7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    # 5-8
    if yy <= 36:
        return 2000
    if yy >= 58:
        return 1800
    return None


def birth_date(s: str, allow_substitute: bool = False):
    """The birth date a ten-digit string encodes, or None."""
    if len(s) != 10 or not s.isdigit():
        return None
    dd, mm, yy, d7 = int(s[0:2]), int(s[2:4]), int(s[4:6]), int(s[6])
    if allow_substitute and dd > 60:
        dd -= 60
    c = century(yy, d7)
    if c is None:
        return None
    try:
        return _dt.date(c + yy, mm, dd)
    except ValueError:
        return None


def valid_date(s: str) -> bool:
    return birth_date(s) is not None


def mask(c: str) -> str:
    return f"{c[:6]}-xxxx"


# Separators people put between digit groups of a CPR number.
_SEP = r"(?:[ \u00a0\u2009\u202f\u2007]*[-\u2010\u2011\u2012\u2013./][ \u00a0\u2009\u202f\u2007]*|[ \u00a0\u2009\u202f\u2007]{1,3})?"
# DD sep MM sep YY sep SSSS (also SS sep SS), no digit or letter directly around it.
CPR_ANY = re.compile(
    r"(?<![0-9A-Za-z])(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"(\d{2})" + _SEP + r"(\d{2})(?![0-9A-Za-z])"
)
# Boxes/fields read as "1 2 0 3 7 9 - 1 2 3 4" (one digit, one separator).
CPR_SPREAD = re.compile(r"(?<![0-9A-Za-z])((?:\d[ \u00a0\u2009\u202f|,-]{1,3}){9}\d)(?![0-9A-Za-z])")


# DD.MM.YYYY-SSSS (a full birth date, then the serial)
CPR_YYYY = re.compile(r"(?<![0-9A-Za-z])(\d{2})[.\-/ ](\d{2})[.\-/ ](\d{2})(\d{2})[ \u00a0\u2009\u202f]*[-\u2010\u2011\u2012\u2013\u2212/ ][ \u00a0\u2009\u202f]*(\d{4})(?![0-9A-Za-z])")


def find_cpr_like(text: str):
    """(start, end, ten digits) of every CPR-shaped number with a valid birth date, in any written form."""
    out = []
    taken = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in CPR_YYYY.finditer(text):
        d = m.group(1) + m.group(2) + m.group(4) + m.group(5)
        if valid_date(d):
            out.append((m.start(), m.end(), d))
            taken.append((m.start(), m.end()))
    for m in CPR_ANY.finditer(text):
        d = "".join(m.groups())
        if valid_date(d) and free(m.start(), m.end()):
            out.append((m.start(), m.end(), d))
            taken.append((m.start(), m.end()))
    for m in CPR_SPREAD.finditer(text):
        d = re.sub(r"\D", "", m.group(1))
        if len(d) == 10 and valid_date(d) and free(m.start(), m.end()):
            out.append((m.start(), m.end(), d))
            taken.append((m.start(), m.end()))
    return out


def mask_text(text: str) -> str:
    """Mask every CPR-shaped number (valid birth date, any written form) in place: its last four digits
    become x, its separators stay, so the written form can still be seen."""
    chars = list(text)
    for s, e, _ in find_cpr_like(text):
        idx = [i for i in range(s, e) if chars[i].isdigit()]
        for i in idx[-4:]:
            chars[i] = "x"
    return "".join(chars)
