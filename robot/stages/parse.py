"""Stage 1: the raw mail becomes a Letter, the sender is judged, and every document is recorded in the ledger."""

from __future__ import annotations

from robot.decisions.trust import judge_sender
from robot.ledger.base import StoredDocument
from robot.ledger.records import DocumentOutcome
from robot.model import Escalated, Filed, Letter, MailProblem, Outcome, Reason
from robot.privacy import mask_cpr_text
from robot.stages.work import (
    FHIR_FOLDER_SOURCE,
    DocumentWork,
    MessageWork,
    Services,
    arrived_through_trusted_channel,
)


async def parse(work: MessageWork, services: Services) -> None:
    raw = work.message.raw
    if raw is None:
        problem = MailProblem(Reason.INTERNAL_ERROR, "the raw mail is no longer kept (retention)")
        stored = services.ledger.record_document(work.message.id, "", None, None)
        work.documents = [DocumentWork(stored, problem=problem, outcome=_recorded(stored))]
        return
    # in a capped parser process: a mail, or a FHIR Bundle a VANS provider dropped in the FHIR folder
    reader = services.reader
    read = reader.read_bundle_async if work.message.source == FHIR_FOLDER_SOURCE else reader.read_mail_async
    letter = await read(raw)
    work.letter = letter
    work.sender = judge_sender(letter, work.message.envelope_sender, services.rules().senders,
                               trusted_channel=arrived_through_trusted_channel(work.message, services))
    with services.ledger.transaction():  # one commit for the mail's documents and the note of what it is
        # what the trail finds a mail by: its Message-ID and sender as sent, its subject masked
        services.ledger.audit("parsed", message_id=work.message.id, header_message_id=header_message_id(letter),
                              sender=letter.sender, subject=mask_cpr_text(letter.subject),
                              attachments=len(letter.attachments))
        for attachment in letter.attachments:
            stored = services.ledger.record_document(work.message.id, attachment.part, attachment.name,
                                                     attachment.sha256)
            work.documents.append(DocumentWork(stored, attachment=attachment, outcome=_recorded(stored)))
        for problem in letter.problems:
            if problem.lost:
                stored = services.ledger.record_document(work.message.id, problem.part or "", None, None)
                work.documents.append(DocumentWork(stored, problem=problem, outcome=_recorded(stored)))


def header_message_id(letter: Letter) -> str | None:
    """The mail's Message-ID without its angle brackets, as the trail searches it."""
    return letter.message_id.strip().strip("<>").strip() or None if letter.message_id else None


def _recorded(stored: StoredDocument) -> Outcome | None:
    """The outcome an earlier run already committed (the state that records it implies it), so a resumed message
    repeats nothing."""
    if stored.outcome is DocumentOutcome.DUPLICATE:
        return Filed(stored.case_id or "", stored.document_ref or "", duplicate=True)
    if stored.outcome is DocumentOutcome.FILED:
        return Filed(stored.case_id or "", stored.document_ref or "")
    if stored.outcome is DocumentOutcome.ESCALATED:
        return Escalated(Reason(stored.reason or Reason.INTERNAL_ERROR.value), stored.detail or "")
    return None
