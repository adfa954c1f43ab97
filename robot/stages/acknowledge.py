"""Stage 5: for each MedCom message received, once its documents are settled, its Acknowledgement goes to the outbox."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import structlog

from robot.durable import fsync_folder, write_temp
from robot.model import CareCommunication, Escalated, Filed, Reason
from robot.notify.acknowledgement import AckVerdict, acknowledgement_bundle, acknowledgement_id
from robot.private_files import FileModes
from robot.stages.work import DocumentWork, MessageWork, Services

log = structlog.get_logger(__name__)


async def acknowledge(work: MessageWork, services: Services) -> None:
    """Positive when every document the message carried is filed, negative with the reasons when one is escalated;
    nothing yet while one waits for a retry (the resumed run acknowledges). Written at most once per message: a
    run after a crash finds the file and leaves it."""
    outbox = services.acknowledgement_dir
    if outbox is None or work.letter is None:
        return
    for message in work.letter.care_communications:
        documents = [d for d in work.documents if _belongs(d, message)]
        verdict = _verdict(documents)
        if verdict is None:
            continue
        name = f"ack-{work.message.id}-{acknowledgement_id(work.message.id, message)}.json"
        data = acknowledgement_bundle(work.message.id, message, verdict, services.clock())
        if write_once(outbox, name, data, services.file_modes):
            services.ledger.audit("acknowledged", message_id=work.message.id, file=name, code=verdict.code,
                                  reasons=[r.value for r in verdict.reasons])
            log.info("acknowledgement_written", file=name, code=verdict.code)


def _belongs(document: DocumentWork, message: CareCommunication) -> bool:
    part = document.stored.part
    return part == message.part or part.startswith(f"{message.part}/fhir:")


def _verdict(documents: list[DocumentWork]) -> AckVerdict | None:
    if not documents or any(not isinstance(d.outcome, (Filed, Escalated)) for d in documents):
        return None
    reasons = tuple(dict.fromkeys(d.outcome.reason for d in documents if isinstance(d.outcome, Escalated)))
    return AckVerdict(reasons=tuple(Reason(r) for r in reasons))


def write_once(folder: Path, name: str, data: bytes, modes: FileModes) -> bool:
    """`folder/name` holds `data` in full, written now (True) or by an earlier run (False); never replaced, never
    half there: the fsynced temp file is linked to its name, which fails when the name is taken."""
    modes.make_dir(folder)
    temp = write_temp(folder, name, data, modes)
    try:
        os.link(temp, folder / name)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    fsync_folder(folder)
    return True
