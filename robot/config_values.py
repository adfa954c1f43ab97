"""Checks of one value read from a config table: each returns it typed or raises the error `fail` builds."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

Fail = Callable[[str], Exception]  # given what was expected, the error to raise (it names the file and the key)


def text(value: Any, fail: Fail) -> str:
    if not isinstance(value, str):
        raise fail("a string")
    return value


def whole_number(value: Any, fail: Fail, expected: str = "a whole number") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(expected)
    return value


def seconds(value: Any, fail: Fail, expected: str = "a number of seconds") -> float:
    """A finite number (nan and inf are refused; the caller checks its own range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(expected)
    return float(value)


def flag(value: Any, fail: Fail) -> bool:
    if not isinstance(value, bool):
        raise fail("true or false")
    return value


def path(value: Any, fail: Fail, base_dir: Path | None) -> Path:
    """A non-empty path; a relative one is taken from `base_dir` (the config file's folder) when given."""
    if not isinstance(value, str) or not value:
        raise fail("a path as a string")
    return base_dir / value if base_dir is not None else Path(value)
