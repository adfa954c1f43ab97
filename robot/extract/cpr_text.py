"""The written forms of a CPR number: text normalised for reading, runs of digit groups, and their ten-digit readings."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Every space a PDF, a form or a mail may print between digit groups reads as " " (no-break, thin, hair, figure,
# narrow no-break, ideographic ...); every dash and minus sign as "-"; invisible characters (zero-width space and
# joiners, word joiner, byte-order mark, soft hyphen) are dropped. Tabs read as a space.
_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe63\uff0d"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_NORMAL = str.maketrans({**{c: " " for c in _SPACES}, **{c: "-" for c in _DASHES}, **{c: None for c in _INVISIBLE}})

# Between two digit groups of one number: a space, or a dot, hyphen, slash or the bar of a printed box with at most
# one space on either side ("010190 - 1017", "0 | 1 | 0 ..."); two spaces only between the single digits of boxes
# (two spaces between longer groups part table cells: "010190-1017  12345678").
_SEPARATOR = r"(?: ?[.\-/|] ?| |(?<=(?<!\d)\d)  (?=\d(?!\d)))"
_RUN = re.compile(rf"\d+(?:{_SEPARATOR}\d+)*")
_GROUP = re.compile(r"\d+")
_BETWEEN = re.compile(rf"(?<=\d){_SEPARATOR}(?=\d)")

CPR_DIGITS = 10


@functools.lru_cache(maxsize=4096)  # the CPR, name and form readers read the same lines
def normalise(text: str) -> str:
    """`text` with every space as " ", every dash as "-" and invisible characters removed."""
    return text.translate(_NORMAL)


@dataclass(frozen=True)
class DigitRun:
    """Digit groups printed as one number: "01 01 90-1017" is the groups 01, 01, 90, 1017."""

    start: int  # in the normalised text
    end: int
    groups: tuple[str, ...]
    separators: tuple[str, ...]  # between groups: len(groups) - 1

    @property
    def digit_count(self) -> int:
        return sum(len(group) for group in self.groups)


@dataclass(frozen=True)
class Reading:
    """Ten digits read from consecutive whole groups of a run (a window of it)."""

    run: DigitRun
    first: int  # group index, inclusive
    last: int

    @property
    def digits(self) -> str:
        return "".join(self.run.groups[self.first : self.last + 1])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(group) for group in self.run.groups[self.first : self.last + 1])

    @property
    def whole(self) -> bool:
        """The reading is the whole run: no digits before or after it."""
        return self.first == 0 and self.last == len(self.run.groups) - 1

    @property
    def glued(self) -> bool:
        """Part of a longer number: digits before it, or after it joined by a dot, dash, slash or bar."""
        if self.first > 0:
            return True
        return self.last < len(self.run.groups) - 1 and self.run.separators[self.last].strip() != ""

    @property
    def classic(self) -> bool:
        """Written `DDMMYY-SSSS` or `DDMMYY SSSS` (one dash or space between date and serial, nothing else)."""
        return self.shape == (6, 4) and self.run.separators[self.first].strip() in ("", "-")


def digit_runs(text: str) -> Iterator[DigitRun]:
    """Every run of digit groups in normalised `text`, left to right."""
    for match in _RUN.finditer(text):
        run = match.group(0)
        groups = tuple(_GROUP.findall(run))
        separators = tuple(_BETWEEN.findall(run)) if len(groups) > 1 else ()
        yield DigitRun(match.start(), match.end(), groups, separators)


def readings(run: DigitRun) -> Iterator[Reading]:
    """Every window of whole consecutive groups that holds exactly ten digits grouped as a CPR number may be, left to
    right. Not a CPR's grouping: a break after eight digits, a four-digit group before the last (a year: the date
    range "05.05.2024 - 07.08.2024" holds ten digits "05 05 2024 07" that are no number)."""
    groups = run.groups
    for first in range(len(groups)):
        total = 0
        for last in range(first, len(groups)):
            total += len(groups[last])
            if total == CPR_DIGITS and _cpr_grouping(groups[first : last + 1], run.separators[first:last]):
                yield Reading(run, first, last)
            if total >= CPR_DIGITS:
                break


def _cpr_grouping(groups: tuple[str, ...], separators: tuple[str, ...]) -> bool:
    """The date's digits in one group or split after the day and the month, the serial's in any groups split by
    spaces ("DDMMYY-SS SS"), or one digit per box; never a four-digit group before the last (a year), never a dot or
    dash inside the serial (a date range: "08.04.25 - 15.07.25")."""
    if all(len(group) == 1 for group in groups) or len(groups) == 1:
        return True
    if any(len(group) == 4 for group in groups[:-1]):
        return False
    position = 0
    for group, separator in zip(groups[:-1], separators):
        position += len(group)
        if position in (1, 3, 5) or (position > 6 and (6 not in _breaks(groups) or separator.strip())):
            return False
    return True


def _breaks(groups: tuple[str, ...]) -> set[int]:
    positions, position = set(), 0
    for group in groups[:-1]:
        position += len(group)
        positions.add(position)
    return positions


@dataclass(frozen=True)
class Value:
    """A whole run read as one CPR number: its ten digits, and the four-digit year when the date was printed with
    one (`DD.MM.YYYY-SSSS`), which must then agree with the century the 7th digit gives."""

    digits: str
    full_year: int | None = None


# A date with a four-digit year, then the serial: "DD.MM.YYYY-SSSS", "DDMMYYYY-SSSS".
_FULL_YEAR_SHAPES = ((2, 2, 4, 4), (8, 4))


def value_of(run: DigitRun) -> Value | None:
    """The run read as exactly one CPR number: all of its digits, in any grouping; None when it cannot be."""
    digits = "".join(run.groups)
    if len(digits) == CPR_DIGITS:
        return Value(digits)
    if tuple(len(group) for group in run.groups) in _FULL_YEAR_SHAPES:
        return Value(digits[:4] + digits[6:], int(digits[4:8]))
    return None


# How a CPR is printed when something else follows it after a space: DDMMYY-SSSS, DD MM YY-SSSS, one run of ten.
_LEADING_SHAPES = ((6, 4), (2, 2, 2, 4), (10,))


def leading_value(run: DigitRun) -> tuple[DigitRun, DigitRun] | None:
    """A CPR printed in a usual grouping at the start of a longer run, and the rest of the run after the space that
    ends it: "010388-1234 37 år" (the age), "091268 1234 09.12.1968" (a birth-date column)."""
    total, sizes = 0, []
    for index, group in enumerate(run.groups[:-1]):
        total += len(group)
        sizes.append(len(group))
        if total == CPR_DIGITS:
            if tuple(sizes) in _LEADING_SHAPES and run.separators[index] == " ":
                head = DigitRun(run.start, run.end, run.groups[: index + 1], run.separators[:index])
                rest = DigitRun(run.start, run.end, run.groups[index + 1 :], run.separators[index + 1 :])
                return head, rest
            return None
        if total > CPR_DIGITS:
            return None
    return None


def joined(first: DigitRun, second: DigitRun) -> DigitRun:
    """Two runs read as one, the line break between them as a space: "... Iversen, 29 09" / "60-4021, på ..."."""
    return DigitRun(first.start, second.end, first.groups + second.groups, (*first.separators, " ",
                                                                            *second.separators))


def has_separator(reading: Reading) -> bool:
    """The reading's digits are printed in groups (a written CPR form), not as one bare run of ten."""
    return reading.last > reading.first
