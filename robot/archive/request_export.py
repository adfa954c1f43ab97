"""The case system's export of requests it sent (a CSV the folder archive reads): each row one LÆ request."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from robot.archive.folder import RegisterError
from robot.archive.naming import is_safe_case_id, shown

REQUIRED_COLUMNS = ("request_id", "cpr", "case_id", "form", "sent")  # optional: addressee, caseworker_email, deadline
_CPR = re.compile(r"(\d{6})-?(\d{4})")
_FORM = re.compile(r"(?:L\s*[ÆAE]+\s*[- ]?\s*)?(\d{3})", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


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
    """An archive that can list the requests the case system sent (the folder archive with `requests` set)."""

    async def sent_requests(self) -> list[ExportedRequest]:
        """Every request in the export; RegisterError naming the file and line of the first bad row."""
        ...


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
            request = _row(path, reader.line_num, row)
            if request.request_id in seen:
                raise RegisterError(path, reader.line_num, f"each request_id once, got {shown(request.request_id, 60)}"
                                                           " again")
            seen.add(request.request_id)
            rows.append(request)
    except csv.Error as error:
        raise RegisterError(path, reader.line_num, f"well-formed CSV ({error})") from None
    return rows


def _row(path: Path, line: int, row: dict[str, str]) -> ExportedRequest:
    if not row["request_id"]:
        raise RegisterError(path, line, "a value in column request_id")
    cpr = _CPR.fullmatch(row["cpr"])
    if cpr is None:
        raise RegisterError(path, line, "a CPR in column cpr as DDMMYYSSSS or DDMMYY-SSSS")
    if not is_safe_case_id(row["case_id"]):
        raise RegisterError(path, line, f"a case_id of the case register, got {shown(row['case_id'], 60)}")
    form = _FORM.fullmatch(row["form"])
    if form is None:
        raise RegisterError(path, line, f"a request form in column form such as 121 or LÆ 121, got "
                                        f"{shown(row['form'], 20)}")
    sent = _date(row["sent"])
    if sent is None:
        raise RegisterError(path, line, "a date in column sent as YYYY-MM-DD or DD-MM-YYYY")
    deadline = _date(row.get("deadline", ""))
    if row.get("deadline") and deadline is None:
        raise RegisterError(path, line, "a date in column deadline as YYYY-MM-DD or DD-MM-YYYY, or nothing")
    return ExportedRequest(request_id=row["request_id"], cpr=cpr.group(1) + cpr.group(2), case_id=row["case_id"],
                           form=form.group(1), sent_on=sent, addressee=row.get("addressee") or None,
                           caseworker_email=row.get("caseworker_email") or None, deadline=deadline)


def _date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
