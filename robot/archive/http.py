"""The HTTP archive: a case system's REST API (SBSYS, GetOrganized, KMD Momentum, ...) driven by HttpArchiveConfig."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.config import scalar_text
from robot.archive.http_config import Call, CaseFields, HttpArchiveConfig, PersonStep, RequestFields
from robot.archive.naming import cpr_digits, document_stem, shown, verified_sha256
from robot.archive.remote.client import RemoteClient, Sleep, WriteUncertain, check, json_of
from robot.archive.request_export import ExportedRequest, ExportRowError, RowProblem, check_once, exported_request
from robot.archive.templates import MISSING, dig, fill_json, fill_path, fill_text
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata, Receipt

__all__ = ["HttpArchive", "HttpArchiveConfig"]


class HttpArchive:
    """Looks up cases and uploads documents over REST as the config describes, for a system without an adapter of
    its own. Lookups are retried (connection errors, timeouts, 429, 5xx, with capped backoff); uploads never."""

    name = "http"

    def __init__(
        self,
        config: HttpArchiveConfig,
        *,
        environ: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Any = None,
    ) -> None:
        self._config = config
        self._log = log if log is not None else structlog.get_logger("robot.archive.http")
        self._remote = RemoteClient(config.connection, self.name, environ=environ, client=client, sleep=sleep,
                                    clock=clock, log=self._log)

    # -- the CaseArchive protocol

    def name_source(self) -> str | None:
        path = self._config.lookup.fields.name
        return f"the lookup's name field {path!r}" if path else None

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        person = self._config.lookup.person
        if person is None:
            return await self._cases({"cpr": digits}, digits)
        cases: dict[str, Case] = {}
        for person_id in await self._persons(person, digits):
            for case in await self._cases({"cpr": digits, "person_id": person_id}, digits):
                cases.setdefault(case.case_id, case)
        return list(cases.values())

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        """Upload once (never repeated on a lost answer: this adapter cannot ask the system whether the document
        arrived, so a lost answer is for a person to check); an upload answered as already there still runs
        `then`, so a finalise that failed before is done now."""
        case_id = _remote_case_id(case.case_id)
        sha256 = verified_sha256(document, metadata)
        filename = document_stem(metadata, sha256) + ".pdf"
        values = _metadata_values(case_id, sha256, filename, metadata)
        upload = self._config.upload
        what = _what("upload", upload.call)
        try:
            response = await self._remote.write(what, upload.call.method, fill_path(upload.call.path, values),
                                                **self._upload_content(document, values))
        except WriteUncertain as error:
            raise ArchiveRejected(f"{error}: the document may be in case {shown(case_id, 120)} or not; a person "
                                  "must look before it is filed again") from None
        already = response.status_code in upload.exists_status
        if not already:
            check(what, response)
        found_ref = self._document_ref(response, required=not already)
        if already and found_ref is None and upload.then is not None and upload.then_uses_ref:
            raise ArchiveRejected(f"{what}: the document is already in case {shown(case_id, 120)}, but the answer "
                                  "does not say which document it is, so the robot cannot make sure the step after "
                                  "the upload was done; a person must look")
        ref = found_ref or filename
        if upload.then is not None:
            await self._then(upload.then, {**values, "document_ref": ref})
        self._log.info("document already in archive" if already else "document filed", archive=self.name,
                       case_id=case_id, document_ref=ref)
        return Receipt(case_id=case_id, document_ref=ref, sha256=sha256, already_filed=already)

    async def health(self) -> Health:
        call = self._config.health
        return await self._remote.health(_what("health", call), call.method, call.path)

    async def close(self) -> None:
        await self._remote.close()

    # -- the RequestExport protocol

    @property
    def exports_requests(self) -> bool:
        """The config has a `requests` call: the case system lists the LÆ requests it sent."""
        return self._config.requests is not None

    async def sent_requests(self) -> list[ExportedRequest]:
        """The case system's list of requests sent, each result checked as a row of the CSV export is; read through
        the retrying client (ArchiveUnavailable when it cannot be reached), ExportRowError for the first bad
        result, ArchiveRejected for an answer that is refused or has no list where the config says."""
        requests = self._config.requests
        if requests is None:
            return []
        call = requests.call
        what = _what("requests", call)
        response = await self._remote.read(what, call.method, call.path, json=call.body)
        check(what, response)
        found = dig(json_of(what, response), requests.results)
        if found is MISSING:
            raise ArchiveRejected(f"{what}: the answer has nothing at {requests.results!r}")
        items = [] if found is None else found if isinstance(found, list) else [found]
        rows: list[ExportedRequest] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            try:
                request = exported_request(_request_row(item, requests.fields))
                check_once(request, seen)
            except RowProblem as problem:
                raise ExportRowError(what, index, problem.expected) from None
            rows.append(request)
        return rows

    # -- lookup

    async def _persons(self, step: PersonStep, digits: str) -> list[Any]:
        what = _what("person search", step.call)
        items = await self._search(what, step.call, step.results, {"cpr": digits})
        ids = []
        for index, item in enumerate(items):
            if step.cpr is not None and not _same_cpr(dig(item, step.cpr), digits):
                self._log.warning("archive result for another citizen ignored", request=what, result=index)
                continue
            person_id = dig(item, step.id)
            if not isinstance(person_id, (str, int)) or isinstance(person_id, bool) or str(person_id) == "":
                raise ArchiveRejected(f"{what}: result {index} has no person id at {step.id!r}")
            ids.append(person_id)
        return ids

    async def _cases(self, values: Mapping[str, Any], digits: str) -> list[Case]:
        lookup = self._config.lookup
        what = _what("lookup", lookup.call)
        cases = []
        for index, item in enumerate(await self._search(what, lookup.call, lookup.results, values)):
            if lookup.fields.cpr is not None and not _same_cpr(dig(item, lookup.fields.cpr), digits):
                self._log.warning("archive result for another citizen ignored", request=what, result=index)
                continue
            cases.append(_case(what, index, item, lookup.fields, lookup.status_open_values))
        return cases

    async def _search(self, what: str, call: Call, results: str, values: Mapping[str, Any]) -> list[Any]:
        body = fill_json(call.body, values) if call.body is not None else None
        response = await self._remote.read(what, call.method, fill_path(call.path, values), json=body)
        if response.status_code == 404:
            return []
        check(what, response)
        found = dig(json_of(what, response), results)
        if found is MISSING:
            raise ArchiveRejected(f"{what}: the answer has nothing at {results!r}")
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    # -- upload

    def _upload_content(self, document: bytes, values: Mapping[str, Any]) -> dict[str, Any]:
        upload = self._config.upload
        if upload.mode == "json_base64":
            encoded = base64.b64encode(document).decode("ascii")
            return {"json": fill_json(upload.call.body, {**values, "document_base64": encoded})}
        files = {upload.file_field: (values["filename"], document, "application/pdf")}
        data = {name: fill_text(template, values) for name, template in upload.form_fields}
        return {"files": files, "data": data}

    def _document_ref(self, response: httpx.Response, *, required: bool) -> str | None:
        path = self._config.upload.document_ref
        if path is None:
            location: str | None = response.headers.get("location")
            return location
        what = _what("upload", self._config.upload.call)
        try:
            value = dig(response.json(), path) if response.content else MISSING
        except ValueError:
            value = MISSING
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
        if required:
            raise ArchiveRejected(f"{what}: stored, but the answer has no document id at {path!r}; a human must look")
        return None

    async def _then(self, call: Call, values: Mapping[str, Any]) -> None:
        """The step after the upload (finalise, journalise): a failure leaves the document stored but unfinished."""
        what = _what("then", call)
        body = fill_json(call.body, values) if call.body is not None else None
        try:
            response = await self._remote.write(what, call.method, fill_path(call.path, values), json=body)
        except ArchiveUnavailable as error:
            raise ArchiveUnavailable(f"{error}; the document is stored, this step is repeated on the next attempt") \
                from None
        if response.status_code >= 400:
            check(what, response)


# ---------------------------------------------------------------- helpers


def _what(step: str, call: Call) -> str:
    """A request named by its template, which holds placeholders and never a CPR."""
    return f"http archive {step} ({call.method} {call.path})"


def _metadata_values(case_id: str, sha256: str, filename: str, metadata: FilingMetadata) -> dict[str, Any]:
    received = metadata.received if metadata.received.tzinfo else metadata.received.replace(tzinfo=UTC)
    return {
        "case_id": case_id,
        "sha256": sha256,
        "filename": filename,
        "form": metadata.form,
        "form_title": metadata.form_title,
        "received": received.isoformat(),
        "sender": metadata.sender or "",
    }


def _remote_case_id(case_id: str) -> str:
    if not case_id.strip() or case_id in (".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in case_id):
        raise ArchiveRejected(f"case id {shown(case_id, 120)} cannot be sent to the archive")
    return case_id


def _case(what: str, index: int, item: Any, fields: CaseFields, open_values: tuple[str, ...]) -> Case:
    case_id = dig(item, fields.case_id)
    if isinstance(case_id, bool) or not isinstance(case_id, (str, int)) or not str(case_id).strip():
        raise ArchiveRejected(f"{what}: result {index} has no case id at {fields.case_id!r}")
    status = dig(item, fields.status)
    if status is MISSING:
        raise ArchiveRejected(f"{what}: result {index} has no status at {fields.status!r}")
    is_open = status is not None and scalar_text(status) in open_values
    return Case(
        case_id=str(case_id).strip(),
        case_type=_text(item, fields.case_type) or "",
        status="open" if is_open else "closed",
        caseworker_email=_text(item, fields.caseworker_email),
        team=_text(item, fields.team),
        title=_text(item, fields.title),
        citizen_name=_text(item, fields.name),
    )


def _text(item: Any, path: str | None) -> str | None:
    if path is None:
        return None
    value = dig(item, path)
    if value is MISSING or value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _request_row(item: Any, fields: RequestFields) -> dict[str, str]:
    """One result as the export's columns: each mapped field's text (a CPR given as a number keeps its leading
    zero); a field missing, null or not a scalar is empty, which the row check names."""
    row = {}
    for name, path in fields.paths().items():
        value = dig(item, path)
        if value is MISSING or value is None or isinstance(value, (dict, list, bool)):
            row[name] = ""
        elif name == "cpr" and isinstance(value, int):
            row[name] = str(value).zfill(10)
        else:
            row[name] = str(value).strip()
    return row


def _same_cpr(value: Any, digits: str) -> bool:
    return isinstance(value, (str, int)) and re.sub(r"\D", "", str(value)).zfill(10) == digits


