"""The SBSYS archive: cases by CPR from SBSYS's web API (behind SBSIP's Keycloak), documents journalised in one call."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.naming import cpr_digits, document_stem, received_day, scrub, shown, verified_sha256
from robot.archive.remote.client import RemoteClient, Sleep, check, json_of
from robot.archive.remote.exactly_once import RemoteDocument, Upload, file_once
from robot.archive.sbsys_config import SAGS_TILSTAND, SbsysConfig
from robot.model import ArchiveRejected, Case, FilingMetadata, Receipt

__all__ = ["SbsysArchive", "SbsysConfig"]

SEARCH = "sbsys case search (POST api/sag/search)"
JOURNALISE = "sbsys journalise (POST api/dokument/journaliser)"
HEARTBEAT = "sbsys heartbeat (GET api/info/heartbeat/authorized)"
_INITIALS = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DELETED = frozenset({"1", "2", "pending", "deleted"})  # DeletedState: Active = 0, Pending = 1, Deleted = 2


class SbsysArchive:
    """Finds a citizen's cases with `api/sag/search` (PrimaerPerson.CprNummer as DDMMYY-SSSS) and files a PDF with
    `api/dokument/journaliser` (multipart: the `file` and a `json` field naming SagID and DokumentNavn), which
    uploads and journalises at once. Before any upload, and again when its answer is lost, the case's document
    list (`api/sag/{Id}/dokumenter`) is asked for the robot's DokumentNavn, which carries the SHA-256 prefix."""

    name = "sbsys"

    def __init__(
        self,
        config: SbsysConfig,
        *,
        environ: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Any = None,
    ) -> None:
        self._config = config
        self._log = log if log is not None else structlog.get_logger("robot.archive.sbsys")
        self._remote = RemoteClient(config.connection, self.name, environ=environ, client=client, sleep=sleep,
                                    clock=clock, log=self._log)

    # -- the CaseArchive protocol

    def name_source(self) -> str | None:
        return "SBSYS, the case's primary party (PrimaryPart.Navn)" if self._config.citizen_names else None

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        body = {"PrimaerPerson": {"CprNummer": f"{digits[:6]}-{digits[6:]}"}, "Limit": self._config.search_limit}
        response = await self._remote.read(SEARCH, "POST", "api/sag/search", json=body)
        check(SEARCH, response)
        answer = json_of(SEARCH, response)
        results = answer.get("Results") if isinstance(answer, dict) else answer
        if not isinstance(results, list):
            raise ArchiveRejected(f"{SEARCH}: the answer has no Results list")
        total = answer.get("TotalNumberOfResults") if isinstance(answer, dict) else None
        if isinstance(total, int) and not isinstance(total, bool) and total > len(results):
            raise ArchiveRejected(f"{SEARCH}: the citizen has {total} cases, more than the {len(results)} answered; "
                                  "raise search_limit so no case is overlooked")
        cases = []
        for index, item in enumerate(results):
            if not isinstance(item, dict):
                raise ArchiveRejected(f"{SEARCH}: result {index} is no case object")
            party = _cpr_of(item)
            if party is not None and party != digits:
                self._log.warning("archive result for another citizen ignored", request=SEARCH, result=index)
                continue
            cases.append(self._case(index, item))
        return cases

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        sag_id = _sag_id(case.case_id)
        sha256 = verified_sha256(document, metadata)
        filename = document_stem(metadata, sha256) + ".pdf"
        return await file_once(self, case, Upload(str(sag_id), document, filename, sha256, metadata))

    async def health(self) -> Health:
        return await self._remote.health(HEARTBEAT, "GET", "api/info/heartbeat/authorized")

    async def close(self) -> None:
        await self._remote.close()

    # -- the RemoteSystem steps (robot.archive.remote.exactly_once)

    async def find(self, upload: Upload) -> RemoteDocument | None:
        """The robot's document among the case's documents, matched on DokumentNavn. Every document SBSYS lists on
        a case is journalised (journalising is what puts it there), so one found is finished; one deleted or
        pending deletion (DeletedState) does not count."""
        what = f"sbsys document list (GET api/sag/{upload.case_id}/dokumenter)"
        response = await self._remote.read(what, "GET", f"api/sag/{upload.case_id}/dokumenter")
        check(what, response)
        answer = json_of(what, response)
        rows = answer.get("Results") if isinstance(answer, dict) else answer
        if not isinstance(rows, list):
            raise ArchiveRejected(f"{what}: the answer is no list of documents")
        names = {upload.filename.casefold(), upload.filename.removesuffix(".pdf").casefold()}
        for row in rows:
            if not isinstance(row, dict) or _deleted(row):
                continue
            if any(isinstance(row.get(key), str) and row[key].strip().casefold() in names
                   for key in ("DokumentNavn", "Navn")):
                return RemoteDocument(_document_ref(row) or upload.filename, finished=True)
        return None

    async def upload(self, upload: Upload) -> RemoteDocument:
        """One multipart POST: the PDF as `file` and the document's metadata as the `json` form field, holding
        only the properties set (SBSYS's multipart binder breaks on others, per OS2agora)."""
        fields: dict[str, Any] = {"SagID": int(upload.case_id), "DokumentNavn": upload.filename,
                                  "Beskrivelse": _description(upload.metadata)}
        if self._config.dokument_art_id is not None:
            fields["DokumentArt"] = {"Id": self._config.dokument_art_id}
        response = await self._remote.write(
            JOURNALISE, "POST", "api/dokument/journaliser",
            data={"json": json.dumps(fields, ensure_ascii=False)},
            files={"file": (upload.filename, upload.document, "application/pdf")})
        check(JOURNALISE, response)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        ref = _document_ref(answer) if isinstance(answer, dict) else None
        if ref is not None:
            return RemoteDocument(ref, finished=True)
        found = await self.find(upload)  # some SBSYS write calls answer with text, not the document
        if found is None:
            raise ArchiveRejected(f"{JOURNALISE}: answered HTTP {response.status_code}, but neither the answer nor the "
                                  f"case's document list shows the document in case {shown(upload.case_id)}; a "
                                  "person must look")
        return found

    async def finish(self, upload: Upload, document: RemoteDocument) -> None:
        """Nothing: `api/dokument/journaliser` journalised the document when it stored it."""

    # -- results

    def _case(self, index: int, item: Mapping[str, Any]) -> Case:
        config = self._config
        case_id = item.get("Id")
        if isinstance(case_id, bool) or not isinstance(case_id, (int, str)) or not str(case_id).strip().isdigit():
            raise ArchiveRejected(f"{SEARCH}: result {index} has no case Id")
        behandler = _object(item, "Behandler")
        party = _object(item, "PrimaryPart")
        return Case(
            case_id=str(case_id).strip(),
            case_type=self._case_type(item),
            status="open" if _tilstand(item) in config.open_states else "closed",
            caseworker_email=self._email(behandler.get("LogonId")),
            team=_text(_object(item, "Ansaettelsessted").get("Navn")),
            title=_text(item.get("Nummer")),
            citizen_name=_text(party.get("Navn")) if config.citizen_names else None,
        )

    def _case_type(self, item: Mapping[str, Any]) -> str:
        source = self._config.case_type_from
        value: str | None
        if source == "kle":
            number = _text(item.get("Nummer"))
            value = number.split("-", 1)[0].strip() if number else None
        elif source == "sagstype":
            types = item.get("SagsTyper")
            first = types[0] if isinstance(types, list) and types and isinstance(types[0], dict) else {}
            value = _text(first.get("Navn"))
        else:
            value = _text(_object(item, "SagSkabelon" if source == "skabelon" else "Fagomraade").get("Navn"))
        if value is None:
            return ""
        return dict(self._config.case_types).get(value.casefold(), value)

    def _email(self, logon_id: object) -> str | None:
        template = self._config.caseworker_email
        initials = _text(logon_id)
        if template is None or initials is None:
            return None
        if not _INITIALS.fullmatch(initials):
            self._log.warning("caseworker initials unusable in an address; notice goes to the team", archive=self.name)
            return None
        return template.replace("{initials}", initials.lower())


# ---------------------------------------------------------------- helpers


def _sag_id(case_id: str) -> int:
    """SBSYS's internal case Id (SagID in journaliser must be the integer)."""
    if not case_id.strip().isdigit() or not case_id.isascii():
        raise ArchiveRejected(f"case id {shown(case_id, 120)} is no SBSYS case Id (a whole number)")
    return int(case_id)


def _tilstand(item: Mapping[str, Any]) -> str | None:
    """SagsStatus.SagsTilstand as a case-folded name; SagsStatus.Navn when the state is missing."""
    status = _object(item, "SagsStatus")
    state = status.get("SagsTilstand")
    if isinstance(state, bool):
        return None
    if isinstance(state, (int, str)) and str(state).strip():
        text = str(state).strip().casefold()
        return SAGS_TILSTAND.get(text, text)
    name = _text(status.get("Navn"))
    return name.casefold() if name else None


def _cpr_of(item: Mapping[str, Any]) -> str | None:
    """The primary party's CPR as ten digits (PrimaryPart.CPRnummer, DDMMYY-SSSS in answers), if the answer has it."""
    value = _object(item, "PrimaryPart").get("CPRnummer")
    if not isinstance(value, str) or not value.strip():
        return None
    return re.sub(r"\D", "", value)


def _deleted(row: Mapping[str, Any]) -> bool:
    state = row.get("DeletedState")
    return state is not None and not isinstance(state, bool) and str(state).strip().casefold() in _DELETED


def _document_ref(row: Mapping[str, Any]) -> str | None:
    for key in ("Id", "DokumentID", "DokumentIdentity"):
        value = row.get(key)
        if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _description(metadata: FilingMetadata) -> str:
    """Beskrivelse: the form and its title, when it came and from whom; never a CPR."""
    sender = f" fra {metadata.sender}" if metadata.sender else ""
    text = f"{metadata.form} {metadata.form_title}, modtaget {received_day(metadata.received)}{sender}. " \
           "Journaliseret af lae-robot."
    return scrub(text)


def _object(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = item.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value).strip() or None
