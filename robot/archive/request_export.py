"""The case system's export of requests it sent (a CSV the folder archive reads, a list the HTTP archive fetches):
each row one LÆ request, checked alike whichever way it came."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from robot.archive.folder import RegisterError
from robot.archive.naming import is_safe_case_id, scrub, shown

REQUIRED_COLUMNS = ("request_id", "cpr", "case_id", "form", "sent")  # optional: addressee, caseworker_email, deadline
_CPR = re.compile(r"(\d{6})-?(\d{4})")
_FORM = re.compile(r"(?:L\s*[ÆAE]+\s*[- ]?\s*)?(\d{3})", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
DANISH_TIME = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class ExportedRequest:
    """One row of the export: the case system's own id for the request and what it says."""

    request_id: str
    cpr: str  # ten digits
    case_id: str
    form: str  # the request form's code, "121"
    sent_on: date
    addressee: str | None = None
    caseworker_email: str | None = None
    deadline: date | None = None  # the case system's own deadline; None: the rules' deadline


class RequestExport(Protocol):
    """An archive that can list the requests the case system sent (the folder archive with `requests` set, the HTTP
    archive with a `requests` call)."""

    async def sent_requests(self) -> list[ExportedRequest]:
        """Every request in the export; RegisterError (a file and line) or ExportRowError (a call and a result
        index) for the first bad row; ArchiveUnavailable when the case system cannot be reached just now."""
        ...


class RowProblem(ValueError):
    """One exported row cannot be used: what was expected (never a CPR); the reader adds where the row was."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        super().__init__(expected)


class ExportRowError(Exception):
    """A row of an export fetched from the case system cannot be used: which call, which result (0-based) and what
    was expected there. The message never holds a CPR."""

    def __init__(self, source: str, index: int, expected: str) -> None:
        self.source, self.index, self.expected = source, index, expected
        super().__init__(scrub(f"{source}: result {index}: expected {expected}"))


class RequestExportFile:
    """The export file, read whole at every call (a missing file is an empty export: none exported yet)."""

    def __init__(self, path: Path):
        self.path = path

    async def sent_requests(self) -> list[ExportedRequest]:
        return await asyncio.to_thread(read_request_export, self.path)


def read_request_export(path: Path) -> list[ExportedRequest]:
    """Every row of the export, checked; RegisterError (file, line, what was expected; never a CPR) on the first
    problem. Columns: request_id, cpr, case_id, form, sent; optional addressee, caseworker_email, deadline."""
    if not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise RegisterError(path, 0, f"a readable file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise RegisterError(path, 0, "UTF-8 text") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[ExportedRequest] = []
    seen: set[str] = set()
    try:
        header_row = next(reader, None)
        if header_row is None:
            return []
        header = [cell.strip().lower() for cell in header_row]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise RegisterError(path, 1, f"the column(s) {', '.join(missing)} in the header")
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise RegisterError(path, reader.line_num, f"{len(header)} fields like the header, got {len(cells)}")
            row = {name: cell.strip() for name, cell in zip(header, cells)}
            try:
                request = exported_request(row)
                check_once(request, seen)
            except RowProblem as problem:
                raise RegisterError(path, reader.line_num, problem.expected) from None
            rows.append(request)
    except csv.Error as error:
        raise RegisterError(path, reader.line_num, f"well-formed CSV ({error})") from None
    return rows


def exported_request(row: Mapping[str, str]) -> ExportedRequest:
    """One row (column or field name -> trimmed text) checked; RowProblem saying what was expected (never a CPR).
    Required: request_id, cpr, case_id, form, sent; optional: addressee, caseworker_email, deadline."""
    if not row.get("request_id"):
        raise RowProblem("a value in column request_id")
    cpr = _CPR.fullmatch(row.get("cpr", ""))
    if cpr is None:
        raise RowProblem("a CPR in column cpr as DDMMYYSSSS or DDMMYY-SSSS")
    case_id = row.get("case_id", "")
    if not is_safe_case_id(case_id):
        raise RowProblem(f"a case_id of the case register, got {shown(case_id, 60)}")
    form = _FORM.fullmatch(row.get("form", ""))
    if form is None:
        raise RowProblem(f"a request form in column form such as 121 or LÆ 121, got {shown(row.get('form', ''), 20)}")
    sent = _date(row.get("sent", ""))
    if sent is None:
        raise RowProblem("a date in column sent as YYYY-MM-DD or DD-MM-YYYY")
    deadline = _date(row.get("deadline", ""))
    if row.get("deadline") and deadline is None:
        raise RowProblem("a date in column deadline as YYYY-MM-DD or DD-MM-YYYY, or nothing")
    return ExportedRequest(request_id=row["request_id"], cpr=cpr.group(1) + cpr.group(2), case_id=case_id,
                           form=form.group(1), sent_on=sent, addressee=row.get("addressee") or None,
                           caseworker_email=row.get("caseworker_email") or None, deadline=deadline)


def check_once(request: ExportedRequest, seen: set[str]) -> None:
    """RowProblem when the export named this request_id before; else it is remembered in `seen`."""
    if request.request_id in seen:
        raise RowProblem(f"each request_id once, got {shown(request.request_id, 60)} again")
    seen.add(request.request_id)


def _date(text: str) -> date | None:
    """A date as the export writes it; an ISO timestamp (as REST APIs give) is the date it is in Denmark."""
    if len(text) > 10 and text[10:11] in ("T", " ") and text[:4].isdigit():
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            return None
        return stamp.astimezone(DANISH_TIME).date() if stamp.tzinfo else stamp.date()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
