"""Masking of CPR numbers in any text that may leave the ledger: logs, notices, errors, CLI output."""

from __future__ import annotations

import re
from typing import Any

# Anything CPR-shaped is masked, valid or not: over-masking a phone number is
# harmless, leaking a CPR is not. Six digits, an optional dash/space, four digits,
# not inside a longer digit run.
# Every character a CPR's two halves may be printed apart with (the CPR reader uses the same set).
CPR_SEPARATORS = " \u00a0\u2007\u202f\\-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d\u2043"
_CPR_SHAPED = re.compile(rf"(?<!\d)(\d{{6}})[{CPR_SEPARATORS}]?\d{{4}}(?!\d)")


def mask_cpr_text(text: str) -> str:
    """Replace every CPR-shaped number in `text` by `DDMMYY-xxxx`."""
    return _CPR_SHAPED.sub(lambda m: f"{m.group(1)}-xxxx", text)


def mask_cpr(cpr: str) -> str:
    """Mask one CPR number given as ten digits (with or without separator)."""
    digits = re.sub(r"\D", "", cpr)
    return f"{digits[:6]}-xxxx"


def mask_deep(value: Any) -> Any:
    """Mask CPR-shaped numbers in strings inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return mask_cpr_text(value)
    if isinstance(value, dict):
        return {key: mask_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_deep(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool) and 9 <= len(str(value)) <= 10:
        # a CPR passed as a number has lost its leading zero; mask it all the same
        return mask_cpr_text(str(value).zfill(10))
    if isinstance(value, (bytes, bytearray)):
        return mask_cpr_text(bytes(value).decode("latin-1"))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # any other object is rendered as text here, so its repr cannot carry a CPR past the mask
    return mask_cpr_text(str(value))
