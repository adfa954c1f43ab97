"""The KMD Nova archive: cases by CPR (Case/GetList), a document in two calls (UploadFile, Document/Import), once."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.momentum import MomentumLookup
from robot.archive.naming import COPENHAGEN, cpr_digits, document_stem, received_day, scrub, shown, verified_sha256
from robot.archive.nova_config import EMAIL_PLACEHOLDER, NovaConfig
from robot.archive.remote.client import RemoteClient, Sleep, WriteUncertain, check, json_of
from robot.archive.remote.exactly_once import RemoteDocument, Upload, file_once
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata, Receipt

__all__ = ["NovaArchive", "NovaConfig", "document_uuid"]

# Document UUIDs are chosen by the client in Nova; this namespace makes them a function of case and bytes.
DOCUMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lae-robot:kmd-nova:document")
MAX_PAGES = 20
PRIMARY_ROLES = frozenset({"primær", "primaer"})  # both spellings appear in public clients
HEALTH_CASE_NUMBER = "LAE-ROBOT-HEALTH-CHECK"  # no Nova case number looks like this (they are S<year>-<n>)
CASE_SEARCH = "nova case search (PUT Case/GetList)"
DOCUMENT_LIST = "nova document list (PUT Document/GetList)"
UPLOAD_FILE = "nova file upload (POST Document/UploadFile)"
IMPORT = "nova document import (POST Document/Import)"

# The fields a case search returns: Nova answers only what is asked for (caseGetOutput is a projection).
CASE_OUTPUT: dict[str, Any] = {
    "caseParty": {"identificationType": True, "identification": True, "participantRole": True, "name": True,
                  "index": True},
    "caseAttributes": {"title": True, "userFriendlyCaseNumber": True, "caseDate": True},
    "state": {"activeCode": True, "progressState": True},
    "caseClassification": {"kleNumber": {"code": True}, "proceedingFacet": {"code": True}},
    "caseworker": {"kspIdentity": {"novaUserId": True, "fullName": True, "racfId": True},
                   "losIdentity": {"novaUnitId": True, "fullName": True, "administrativeUnitId": True}},
    "responsibleDepartment": {"losIdentity": {"novaUnitId": True, "administrativeUnitId": True, "fullName": True,
                                              "userKey": True}},
}
DOCUMENT_OUTPUT = {"title": True, "documentType": True, "approved": True, "documentDate": True,
                   "fileExtension": True}


def document_uuid(case_uuid: str, sha256: str) -> str:
    """The Nova document UUID of these bytes in this case: the same on every attempt, so a retry is recognised."""
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, f"{case_uuid.lower()}/{sha256.lower()}"))


class NovaArchive:
    """Cases of a citizen by CPR and documents filed into them, as Aarhus's public Nova clients call the API:
    PUT searches with a fresh transactionId, OAuth2 client credentials, `api-version` on every call."""

    name = "nova"

    def __init__(self, config: NovaConfig, *, environ: Mapping[str, str] | None = None,
                 client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Any = None) -> None:
        self._config = config
        self._log = log if log is not None else structlog.get_logger("robot.archive.nova")
        self._remote = RemoteClient(config.connection, self.name, environ=environ, client=client, sleep=sleep,
                                    clock=clock, log=self._log)
        self._momentum = MomentumLookup(config.momentum, environ=environ, sleep=sleep, clock=clock) \
            if config.momentum is not None else None
        self._staged: set[str] = set()  # document UUIDs whose file this process uploaded and has not imported yet

    # -- the CaseArchive protocol

    def name_source(self) -> str | None:
        return "the citizen's name as a party of the case in KMD Nova (caseParties[].name)"

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        cases = [case for index, item in enumerate(await self._search_cases(digits))
                 if (case := self._case(index, item, digits)) is not None]
        if self._momentum is not None and any(case.caseworker_email is None for case in cases):
            email = await self._momentum.caseworker_email(digits)
            if email is not None:
                cases = [_with_email(case, email) for case in cases]
        return cases

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        case_uuid = _case_uuid(case.case_id)
        sha256 = verified_sha256(document, metadata)
        upload = Upload(case_uuid, document, document_stem(metadata, sha256) + ".pdf", sha256, metadata)
        return await file_once(self, case, upload)

    async def health(self) -> Health:
        body = {"common": {"transactionId": _transaction()},
                "paging": {"startRow": 1, "numberOfRows": 1, "calculateTotalNumberOfRows": False},
                "caseAttributes": {"userFriendlyCaseNumber": HEALTH_CASE_NUMBER},
                "caseGetOutput": {"caseAttributes": {"userFriendlyCaseNumber": True}}}
        return await self._remote.health("nova health (PUT Case/GetList for a case number that cannot exist)", "PUT",
                                         "Case/GetList", params=self._version(), json=body)

    async def close(self) -> None:
        await self._remote.close()
        if self._momentum is not None:
            await self._momentum.close()

    # -- the RemoteSystem steps, run by file_once

    async def find(self, upload: Upload) -> RemoteDocument | None:
        """The document in the case by its UUID, or by the file name (with the SHA-256 prefix) in its title. An
        uploaded file that was never imported is not in the case, and not found."""
        wanted = document_uuid(upload.case_id, upload.sha256)
        stem = upload.filename.removesuffix(".pdf")
        for item in await self._documents(upload.case_id):
            ref = item.get("documentUuid")
            title = item.get("title")
            if (isinstance(ref, str) and ref.lower() == wanted) or (isinstance(title, str) and stem in title):
                return RemoteDocument(ref=str(ref), finished=item.get("approved") is True)
        return None

    async def upload(self, upload: Upload) -> RemoteDocument:
        """UploadFile: the bytes under the document UUID, not yet in the case. Skipped when this process already
        uploaded them and only the import is left."""
        ref = document_uuid(upload.case_id, upload.sha256)
        if ref in self._staged:
            self._log.info("nova file already uploaded; only the import is left", document_ref=ref)
            return RemoteDocument(ref=ref, finished=False)
        path = f"Document/UploadFile/{_transaction()}/{ref}"
        files = {"file": (upload.filename, upload.document, "application/pdf")}
        response = await self._remote.write(UPLOAD_FILE, "POST", path, params=self._version(upload=True), files=files)
        check(UPLOAD_FILE, response)
        self._staged.add(ref)
        return RemoteDocument(ref=ref, finished=False)

    async def finish(self, upload: Upload, document: RemoteDocument) -> None:
        """Document/Import with `approved = true`: puts the uploaded file into the case, journalised. A document found
        in the case unapproved is not ours to approve (no public client has such a call): a person must."""
        if document.finished:
            return
        if document.ref not in self._staged:
            raise ArchiveRejected(f"the document {document.ref} is in case {shown(upload.case_id)} but not approved "
                                  "(journalised); a person must approve it in Nova")
        try:
            response = await self._remote.write(IMPORT, "POST", "Document/Import", params=self._version(),
                                                json=self._import_body(upload, document.ref))
        except WriteUncertain as error:
            if await self._imported(upload):
                return
            raise ArchiveUnavailable(f"{error}; the document is not (yet) visible in the case: the next attempt "
                                     "looks again before it imports") from None
        if response.status_code >= 400 and await self._imported(upload):
            return  # refused as already there: a lost answer before, the same UUID now
        check(IMPORT, response)
        self._staged.discard(document.ref)

    # -- requests

    def _version(self, *, upload: bool = False) -> dict[str, str]:
        return {"api-version": self._config.upload_api_version if upload else self._config.api_version}

    async def _imported(self, upload: Upload) -> bool:
        found = await self.find(upload)
        if found is not None and found.finished:
            self._staged.discard(found.ref)
            return True
        return False

    async def _search_cases(self, digits: str) -> list[Any]:
        size = self._config.page_size
        body: dict[str, Any] = {
            "common": {"transactionId": ""},
            "paging": {"startRow": 1, "numberOfRows": size, "calculateTotalNumberOfRows": True},
            "caseParty": {"identificationType": "CprNummer", "identification": digits},
            "caseGetOutput": CASE_OUTPUT,
        }
        return await self._pages(CASE_SEARCH, "Case/GetList", body, "cases")

    async def _documents(self, case_uuid: str) -> list[dict[str, Any]]:
        size = self._config.page_size
        body: dict[str, Any] = {
            "common": {"transactionId": ""},
            "caseUuid": case_uuid,
            "paging": {"startRow": 1, "numberOfRows": size, "calculateTotalNumberOfRows": True},
            "getOutput": DOCUMENT_OUTPUT,
        }
        return [item for item in await self._pages(DOCUMENT_LIST, "Document/GetList", body, "documents")
                if isinstance(item, dict)]

    async def _pages(self, what: str, path: str, body: dict[str, Any], results: str) -> list[Any]:
        """Every row of a paged PUT search (`pagingInformation.hasMoreRows`), a fresh transactionId on each page."""
        found: list[Any] = []
        for _page in range(MAX_PAGES):
            body["common"]["transactionId"] = _transaction()
            response = await self._remote.read(what, "PUT", path, params=self._version(), json=body)
            check(what, response)
            answer = json_of(what, response)
            if not isinstance(answer, dict):
                raise ArchiveRejected(f"{what}: the answer is not a JSON object")
            paging = answer.get("pagingInformation") or {}
            rows = answer.get(results) or []
            if not isinstance(rows, list):
                raise ArchiveRejected(f"{what}: {results!r} is not a list")
            found.extend(rows)
            if not (isinstance(paging, dict) and paging.get("hasMoreRows") is True) or not rows:
                return found
            body["paging"]["startRow"] += body["paging"]["numberOfRows"]
        raise ArchiveRejected(f"{what}: more than {MAX_PAGES} pages; the answer is not believed complete")

    def _import_body(self, upload: Upload, ref: str) -> dict[str, Any]:
        config, metadata = self._config, upload.metadata
        stem = upload.filename.removesuffix(".pdf")
        day = received_day(metadata.received)
        received = metadata.received if metadata.received.tzinfo else metadata.received.replace(tzinfo=UTC)
        local = received.astimezone(COPENHAGEN).replace(tzinfo=None, microsecond=0)
        sender = scrub(metadata.sender) if metadata.sender else "ukendt afsender"
        body: dict[str, Any] = {
            "common": {"transactionId": _transaction(), "uuid": ref},
            "caseUuid": upload.case_id,
            "title": f"{metadata.form} {metadata.form_title}, modtaget {day} ({stem})",
            "sensitivity": config.sensitivity,
            "documentDate": local.isoformat(),
            "documentType": "Indgående",
            "description": f"Modtaget af lae-robot fra {sender}. Fil {upload.filename}, SHA-256 {upload.sha256}.",
            "approved": True,
            "accessToDocuments": True,
        }
        if config.document_category_uuid is not None:
            body["documentCategoryUuid"] = config.document_category_uuid
        if config.security_unit is not None:
            body["securityUnit"] = {"losIdentity": {
                "administrativeUnitId": config.security_unit.administrative_unit_id,
                "fullName": config.security_unit.full_name}}
        return body

    # -- answers

    def _case(self, index: int, item: Any, digits: str) -> Case | None:
        """One search result as a Case; None (logged) when the citizen is not its (primary) party."""
        if not isinstance(item, dict):
            raise ArchiveRejected(f"{CASE_SEARCH}: result {index} is not an object")
        case_uuid = _dig(item, "common", "uuid")
        if not isinstance(case_uuid, str) or not case_uuid.strip():
            raise ArchiveRejected(f"{CASE_SEARCH}: result {index} has no common.uuid")
        party = _party(item, digits)
        if party is None:
            self._log.warning("nova case without this citizen as a party ignored", result=index)
            return None
        role = party.get("participantRole")
        if self._config.primary_party_only and not (isinstance(role, str) and role.casefold() in PRIMARY_ROLES):
            self._log.info("nova case where the citizen is not the primary party ignored", result=index,
                           role=scrub(str(role))[:30])
            return None
        state = _dig(item, "state", "progressState")
        is_open = isinstance(state, str) and state.strip().casefold() in {s.casefold() for s in
                                                                           self._config.open_states}
        person = _dig(item, "caseworker", "kspIdentity")
        unit = _dig(item, "caseworker", "losIdentity")
        racf = _text(person.get("racfId")) if isinstance(person, dict) else None
        template = self._config.caseworker_email
        team = (_text(unit.get("fullName")) if isinstance(unit, dict) else None) \
            or _text(_dig(item, "responsibleDepartment", "losIdentity", "fullName"))
        return Case(
            case_id=case_uuid.strip(),
            case_type=self._case_type(_text(_dig(item, "caseClassification", "kleNumber", "code"))),
            status="open" if is_open else "closed",
            caseworker_email=template.replace(EMAIL_PLACEHOLDER, racf.lower()) if template and racf else None,
            team=team,
            title=_text(_dig(item, "caseAttributes", "userFriendlyCaseNumber")),
            citizen_name=_text(party.get("name")),
        )

    def _case_type(self, kle: str | None) -> str:
        """The case type the KLE number maps to (the longest matching prefix), or the KLE number itself."""
        if kle is None:
            return ""
        for prefix, case_type in self._config.case_types:
            if kle == prefix or kle.startswith(prefix + "."):
                return case_type
        return kle


def _party(item: dict[str, Any], digits: str) -> dict[str, Any] | None:
    parties = item.get("caseParties")
    for party in parties if isinstance(parties, list) else []:
        if (isinstance(party, dict) and party.get("identificationType") == "CprNummer"
                and re.sub(r"\D", "", str(party.get("identification", ""))) == digits):
            return party
    return None


def _with_email(case: Case, email: str) -> Case:
    if case.caseworker_email is not None:
        return case
    return Case(case.case_id, case.case_type, case.status, email, case.team, case.title, case.citizen_name)


def _dig(item: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip() or None
    return None


def _transaction() -> str:
    return str(uuid.uuid4())


def _case_uuid(case_id: str) -> str:
    try:
        return str(uuid.UUID(case_id.strip()))
    except ValueError:
        raise ArchiveRejected(f"case id {shown(case_id, 120)} is not a Nova case UUID (common.uuid)") from None
