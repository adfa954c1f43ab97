"""The GetOrganized archive: a citizen's cases by CPR, documents filed, journalised and finalised exactly once."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.getorganized_config import GetOrganizedConfig
from robot.archive.getorganized_rows import build_row, lookup_id, lookup_label, read_row
from robot.archive.naming import (
    checked_case_id,
    cpr_digits,
    document_stem,
    received_day,
    scrub,
    shown,
    verified_sha256,
)
from robot.archive.remote.client import RemoteClient, Sleep, check, json_of
from robot.archive.remote.exactly_once import RemoteDocument, Upload, file_once
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata, Receipt

__all__ = ["GetOrganizedArchive", "GetOrganizedConfig"]

_SEARCH = "_goapi/Cases/FindByCaseProperties"
_CASE_METADATA = "_goapi/Cases/Metadata/"
_DOCUMENT_METADATA = "_goapi/Documents/Metadata/"
_JOURNALIZE = "_goapi/Documents/MarkMultipleAsCaseRecord/ByDocumentId"
_FINALIZE = "_goapi/Documents/Finalize/ByDocumentId"
_RELATIVE_URL = re.compile(r"(/(?!\.+(?:/|$))[A-Za-z0-9_.\-]+)+")  # /cases/BOR12/BOR-2022-000046, no dot segments
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class GetOrganizedArchive:
    """GetOrganized (Netcompany, on premises) over its `_goapi` REST API with NTLM, as the public clients call it:
    cases by the CPR property, document uploaded as an integer array with z:row metadata, then journalised and/or
    finalised; before any upload the case's document library is asked for the robot's file name."""

    name = "getorganized"

    def __init__(self, config: GetOrganizedConfig, *, environ: Mapping[str, str] | None = None,
                 client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Any = None) -> None:
        self._config = config
        self._log = log if log is not None else structlog.get_logger("robot.archive.getorganized")
        self._remote = RemoteClient(config.connection, self.name, environ=environ, client=client, sleep=sleep,
                                    clock=clock, log=self._log)
        self._case_urls: dict[str, str] = {}  # case id -> its web's server-relative URL

    # -- the CaseArchive protocol

    def name_source(self) -> str | None:
        return "the case's party in GetOrganized (ows_CCMContactData)"

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        found = await self._search("case search", self._config.cpr_property, digits, self._config.case_type_prefixes)
        cases = []
        for info in found:
            case_id = info["CaseID"]
            if not self._config.sub_cases and case_id.count("-") != 2:
                continue  # a sub-case (BOR-2022-000046-001) may carry the citizen's CPR too
            case = self._case(case_id, await self._case_row(case_id), digits)
            if case is not None:
                cases.append(case)
        return cases

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        case_id = checked_case_id(case.case_id)
        sha256 = verified_sha256(document, metadata)
        filename = document_stem(metadata, sha256) + ".pdf"
        return await file_once(self, case, Upload(case_id, document, filename, sha256, metadata))

    async def health(self) -> Health:
        return await self._remote.health(f"GetOrganized case search (POST {_SEARCH})", "POST", _SEARCH,
                                         json=self._search_body("ows_CaseID", "LAE-ROBOT-HEALTH-CHECK",
                                                                self._config.case_type_prefixes))

    async def close(self) -> None:
        await self._remote.close()

    # -- the RemoteSystem steps (robot.archive.remote.exactly_once)

    async def find(self, upload: Upload) -> RemoteDocument | None:
        """The robot's file name in the case's document library (SharePoint REST on the case's web, as the itk-dev
        client lists a case's documents), and from the document's metadata whether its steps are done."""
        web = await self._case_url(upload.case_id)
        folder = "/".join(part for part in (web, self._config.list_name, self._config.folder_path) if part) + "/"
        path = f"{web}/_api/web/getFolderByServerRelativeUrl('{quote(folder)}')/Files"
        what = f"GetOrganized document list of case {shown(upload.case_id)}"
        response = await self._remote.read(what, "GET", path, params={
            "$select": "Name,ListItemAllFields/*", "$expand": "ListItemAllFields"})
        if response.status_code == 404:
            return None  # no such folder yet: nothing was filed into it
        check(what, response)
        answer = json_of(what, response)
        files = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(files, list):
            raise ArchiveRejected(f"{what}: the answer has no list at 'value'")
        for item in files:
            if isinstance(item, dict) and str(item.get("Name", "")).casefold() == upload.filename.casefold():
                fields = item.get("ListItemAllFields")
                doc_id = _doc_id(fields.get("DocID") if isinstance(fields, dict) else None)
                if doc_id is None:
                    raise ArchiveRejected(f"{what}: {upload.filename} is there but without a DocID; a person must "
                                          "look")
                return RemoteDocument(doc_id, self._finished(await self._document_row(doc_id)))
        return None

    async def upload(self, upload: Upload) -> RemoteDocument:
        config = self._config
        what = f"GetOrganized upload (POST _goapi/Documents/{config.upload_endpoint})"
        body = {
            "bytes" if config.upload_endpoint == "AddToDocumentLibrary" else "Bytes": list(upload.document),
            "CaseId": upload.case_id,
            "ListName": config.list_name,
            "FolderPath": config.folder_path,
            "FileName": upload.filename,
            "Metadata": build_row(self._document_fields(upload.metadata)),
            "Overwrite": False,  # never replace: the robot asked first, and a same-named file is this one
        }
        response = await self._remote.write(what, "POST", f"_goapi/Documents/{config.upload_endpoint}", json=body)
        check(what, response)
        answer = json_of(what, response)
        doc_id = _doc_id(answer.get("DocId", answer.get("DocID")) if isinstance(answer, dict) else None)
        if doc_id is None:
            raise ArchiveRejected(f"{what}: stored, but the answer has no DocId; a person must look")
        return RemoteDocument(doc_id, finished=not config.finish)

    async def finish(self, upload: Upload, document: RemoteDocument) -> None:
        """Journalise (mark as case record) and/or finalise, as configured, each only when the document's metadata
        says it is not done yet: safe to repeat."""
        row = await self._document_row(document.ref)
        doc_id = int(document.ref)
        for step in self._config.finish:
            if _done(step, row):
                continue
            body: dict[str, Any]
            if step == "journalize":
                path, body = _JOURNALIZE, {"DocumentIds": [doc_id]}
            else:
                path, body = _FINALIZE, {"DocID": doc_id, "ShouldCloseOpenTasks": False}
            what = f"GetOrganized {step} (POST {path}) of document {doc_id}"
            try:
                response = await self._remote.write(what, "POST", path, json=body)
            except ArchiveUnavailable as error:
                raise ArchiveUnavailable(f"{error}; the document is stored, this step is repeated on the next "
                                         "attempt") from None
            check(what, response)
            self._log.info("document step done", archive=self.name, case_id=upload.case_id, document_ref=doc_id,
                           step=step)

    # -- lookup

    def _search_body(self, field: str, value: str, prefixes: tuple[str, ...]) -> dict[str, Any]:
        return {"FieldProperties": [{"InternalName": field, "Value": value}], "CaseTypePrefixes": list(prefixes),
                "LogicalOperator": "AND", "ExcludeDeletedCases": True, "ReturnCasesNumber": self._config.max_cases}

    async def _search(self, step: str, field: str, value: str, prefixes: tuple[str, ...]) -> list[dict[str, str]]:
        """The live cases (`CasesInfo`, ItemExists not false) whose `field` is `value`; each web URL remembered."""
        what = f"GetOrganized {step} (POST {_SEARCH})"
        response = await self._remote.read(what, "POST", _SEARCH, json=self._search_body(field, value, prefixes))
        check(what, response)
        answer = json_of(what, response)
        infos = answer.get("CasesInfo") if isinstance(answer, dict) else None
        if not isinstance(infos, list):
            raise ArchiveRejected(f"{what}: the answer has no CasesInfo list")
        if len(infos) >= self._config.max_cases:
            raise ArchiveRejected(f"{what}: {len(infos)} cases, as many as max_cases asks for; some may be missing, "
                                  "so raise max_cases")
        found = []
        for index, info in enumerate(infos):
            case_id = info.get("CaseID") if isinstance(info, dict) else None
            if not isinstance(case_id, str) or not case_id.strip():
                raise ArchiveRejected(f"{what}: result {index} has no CaseID")
            if info.get("ItemExists") is False:
                continue  # deleted, though still listed
            url = info.get("RelativeUrl")
            if isinstance(url, str) and _RELATIVE_URL.fullmatch(url.rstrip("/")):
                self._case_urls[case_id.strip()] = url.rstrip("/")
            found.append({"CaseID": case_id.strip()})
        return found

    async def _case_row(self, case_id: str) -> dict[str, str]:
        what = f"GetOrganized case metadata of {shown(case_id)}"
        response = await self._remote.read(what, "GET", _CASE_METADATA + quote(checked_case_id(case_id)))
        check(what, response)
        answer = json_of(what, response)
        return read_row(answer.get("Metadata") if isinstance(answer, dict) else None, what)

    def _case(self, case_id: str, row: Mapping[str, str], digits: str) -> Case | None:
        """The case, or None when its metadata names another citizen (never file under the wrong one)."""
        config = self._config
        party = _party(row.get("ows_CCMContactData"))
        for cpr in (row.get(config.cpr_property), party[1] if party else None):
            if cpr and re.sub(r"\D", "", cpr) != digits:
                self._log.warning("GetOrganized case of another citizen ignored", case_id=case_id)
                return None
        status = row.get("ows_CaseStatus")
        if status is None:
            raise ArchiveRejected(f"GetOrganized case {shown(case_id)} has no ows_CaseStatus")
        case_type = lookup_label(row.get(config.case_type_field)) if config.case_type_field else \
            case_id.split("-", 1)[0]
        return Case(
            case_id=case_id,
            case_type=case_type or "",
            status="open" if status.strip().casefold() in config.open_statuses else "closed",
            caseworker_email=self._caseworker_email(case_id, row.get("ows_CaseOwner")),
            team=lookup_label(row.get(config.team_field)) if config.team_field else None,
            title=case_id,  # the number people read; ows_Title often holds the citizen's CPR
            citizen_name=party[0] if party else None,
        )

    def _caseworker_email(self, case_id: str, owner: str | None) -> str | None:
        template = self._config.caseworker_email
        label = lookup_label(owner)
        if template is None or label is None:
            return None
        address = template.format(owner=re.sub(r"\s+", ".", label.casefold()), owner_id=lookup_id(owner) or "")
        if not _EMAIL.fullmatch(address) or scrub(address) != address:  # no address made of a CPR-like number
            self._log.warning("caseworker address not built", case_id=case_id, owner=scrub(label)[:60])
            return None
        return address

    async def _case_url(self, case_id: str) -> str:
        url = self._case_urls.get(case_id)
        if url is None:
            await self._search("case by id", "ows_CaseID", case_id, (case_id.split("-", 1)[0],))
            url = self._case_urls.get(case_id)
        if url is None:
            raise ArchiveRejected(f"GetOrganized: case {shown(case_id)} not found (or it gives no RelativeUrl)")
        return url

    # -- documents

    def _document_fields(self, metadata: FilingMetadata) -> list[tuple[str, str]]:
        config = self._config
        title = config.document_title.format(form=metadata.form, form_title=metadata.form_title,
                                             received=received_day(metadata.received))
        return [("ows_Title", scrub(title)), ("ows_Dato", received_day(metadata.received)),
                ("ows_Korrespondance", config.correspondence), *config.extra_metadata]

    async def _document_row(self, doc_id: str) -> dict[str, str]:
        what = f"GetOrganized document metadata of {doc_id}"
        response = await self._remote.read(what, "GET", _DOCUMENT_METADATA + quote(doc_id))
        check(what, response)
        answer = json_of(what, response)
        return read_row(answer.get("Metadata") if isinstance(answer, dict) else None, what)

    def _finished(self, row: Mapping[str, str]) -> bool:
        return all(_done(step, row) for step in self._config.finish)


def _done(step: str, row: Mapping[str, str]) -> bool:
    """Journalised: a case record number other than 0; finalised: ows_Finalized 1 (or true)."""
    if step == "journalize":
        return row.get("ows_CaseRecordNumber", "0").strip() not in ("", "0")
    return row.get("ows_Finalized", "0").strip().casefold() in ("1", "true")


def _doc_id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return str(int(value))
    return None


def _party(value: str | None) -> tuple[str, str] | None:
    """(name, CPR) of the one party in `ows_CCMContactData` = "name;#id;#cpr;#cvr;#pnr"; None for none or several."""
    if not value:
        return None
    parts = value.split(";#")
    while parts and not parts[-1].strip():
        parts.pop()
    if not 1 <= len(parts) <= 5:
        return None
    name = parts[0].strip()
    cpr = parts[2].strip() if len(parts) > 2 else ""
    return (name, cpr) if name else None
