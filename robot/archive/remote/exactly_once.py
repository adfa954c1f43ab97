"""Files one document into a remote case exactly once: ask before a retry, never upload blindly, finish what is half done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from robot.archive.remote.client import WriteUncertain
from robot.model import ArchiveUnavailable, Case, FilingMetadata, Receipt

log = structlog.get_logger("robot.archive.remote")


@dataclass(frozen=True)
class RemoteDocument:
    """A document as the system knows it: its id there, and whether the last step (finalise, journalise) is done."""

    ref: str
    finished: bool


@dataclass(frozen=True)
class Upload:
    """What is uploaded: the bytes, the file name the robot gives them (it carries the SHA-256 prefix) and the
    metadata."""

    case_id: str
    document: bytes
    filename: str
    sha256: str
    metadata: FilingMetadata


class RemoteSystem(Protocol):
    """The three steps a system adapter implements; the flow in `file_once` decides when each runs."""

    name: str

    async def find(self, upload: Upload) -> RemoteDocument | None:
        """This document (by the robot's SHA-256 in its title or metadata) in this case, if it is there. A read:
        retried; raises ArchiveUnavailable when the system cannot say."""
        ...

    async def upload(self, upload: Upload) -> RemoteDocument:
        """Send the document once. Raises WriteUncertain when no answer says whether it was stored."""
        ...

    async def finish(self, upload: Upload, document: RemoteDocument) -> None:
        """The last step (finalise, journalise) for a stored document; safe to repeat on one already finished."""
        ...


async def file_once(system: RemoteSystem, case: Case, upload: Upload) -> Receipt:
    """Ask first: a document already there is finished if it is not, and reported as already filed. Otherwise upload
    once; when the answer is lost, ask again: there, it is finished; not there, ArchiveUnavailable (the stage
    retries later and asks again). A failed last step raises too, and the next attempt finds the document and
    repeats only that step."""
    found = await system.find(upload)
    if found is not None:
        if not found.finished:
            log.info("document found unfinished; finishing it", archive=system.name, case_id=upload.case_id,
                     document_ref=found.ref)
            await system.finish(upload, found)
        return Receipt(case_id=case.case_id, document_ref=found.ref, sha256=upload.sha256, already_filed=True)
    try:
        stored = await system.upload(upload)
    except WriteUncertain as error:
        log.warning("upload answer lost; asking the archive", archive=system.name, case_id=upload.case_id,
                    error=str(error))
        after = await system.find(upload)
        if after is None:
            raise ArchiveUnavailable(f"{error}; the document is not in the case, so it will be sent again later") \
                from None
        stored = after
    if not stored.finished:
        await system.finish(upload, stored)
    log.info("document filed", archive=system.name, case_id=upload.case_id, document_ref=stored.ref)
    return Receipt(case_id=case.case_id, document_ref=stored.ref, sha256=upload.sha256)
