"""`lae-robot requests report`: one month of requests per certificate form and addressee organisation, as CSV and
as text: sent, answered, overdue, returned, median and 90th-percentile turnaround, certificates without a request."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from robot.app import Robot
from robot.commands.refused import CommandRefused
from robot.commands.shown import LOCAL, table
from robot.ledger.request_records import RequestState, StoredRequest
from robot.private_files import OWNER_ONLY

COLUMNS = ("month", "form", "organisation", "sent", "answered", "overdue", "returned", "median_days", "p90_days",
           "certificates_without_request")


@dataclass
class _Line:
    sent: int = 0
    answered: int = 0
    overdue: int = 0
    returned: int = 0
    turnarounds: list[float] = field(default_factory=list)
    without_request: int = 0


def month_report(robot: Robot, month: str, csv_file: Path | None, out: TextIO) -> int:
    """The month's lines as a table (and to `csv_file`, owner-only, when given). A request counts in the month it
    was sent; overdue: told late, or answered after its deadline. No CPR in either."""
    first, following = _month(month)
    register = robot.services.ledger.requests
    lines: dict[tuple[str, str], _Line] = defaultdict(_Line)
    for request in register.all():
        if first <= request.sent_on < following:
            _count(lines[(f"LÆ {request.answer_form}", request.addressee or "(ukendt)")], request)
    since = datetime.combine(first, datetime.min.time(), LOCAL)
    until = datetime.combine(following, datetime.min.time(), LOCAL)
    for certificate in register.certificates_filed(since, until):
        if certificate.request_id is None:
            lines[(f"LÆ {certificate.form}", certificate.organisation or "(ukendt)")].without_request += 1
    rows = [_row(month, form, organisation, line) for (form, organisation), line in sorted(lines.items())]
    if csv_file is not None:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        OWNER_ONLY.create_file(csv_file)
        csv_file.write_text(text.getvalue(), encoding="utf-8")
    if not rows:
        print(f"no requests sent and no certificates filed in {month}", file=out)
        return 0
    print(f"Anmodninger og attester {month}", file=out)
    for printed in table(COLUMNS[1:], [row[1:] for row in rows]):
        print(printed, file=out)
    return 0


def _count(line: _Line, request: StoredRequest) -> None:
    line.sent += 1
    late_answer = request.closed_at is not None and request.closed_at.astimezone(LOCAL).date() > request.deadline
    if request.state is RequestState.ANSWERED:
        line.answered += 1
        if request.turnaround_days is not None:
            line.turnarounds.append(request.turnaround_days)
    if request.state is RequestState.RETURNED:
        line.returned += 1
    if request.overdue_at is not None or (request.state is RequestState.ANSWERED and late_answer):
        line.overdue += 1


def _row(month: str, form: str, organisation: str, line: _Line) -> tuple[str, ...]:
    return (month, form, organisation, str(line.sent), str(line.answered), str(line.overdue), str(line.returned),
            _days(percentile(line.turnarounds, 50)), _days(percentile(line.turnarounds, 90)),
            str(line.without_request))


def percentile(values: list[float], rank: int) -> float | None:
    """The nearest-rank percentile (the median of 1, 2, 3, 4 is 2); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _month(text: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandRefused(f"requests report: --month takes YYYY-MM, got {text!r}") from None
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following
