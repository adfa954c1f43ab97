"""Stage 4: each decided document is put into its case, exactly once."""

from __future__ import annotations

from robot.extract.record import extraction_record
from robot.ledger.base import DocumentState, LedgerError, StoredDocument
from robot.ledger.records import DecisionRecord
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, Filed, FilingMetadata, Reason
from robot.notify.reasons import active_warnings
from robot.stages.escalation import escalate
from robot.stages.request_register import answer_request
from robot.stages.retry import retry_or_give_up
from robot.stages.work import DocumentWork, MessageWork, Services


async def file(work: MessageWork, services: Services) -> None:
    """Files every document the ledger holds as decided: decided in this run, or before a crash."""
    for document in work.documents:
        if document.pending and document.attachment is not None:
            stored = services.ledger.document(document.stored.id)
            if stored.state is DocumentState.DECIDED and stored.case_id:
                await _file_one(work, document, stored, services)


async def _file_one(work: MessageWork, document: DocumentWork, stored: StoredDocument, services: Services) -> None:
    attachment, decided = document.attachment, stored.decision
    assert attachment is not None and stored.case_id is not None
    if decided is None:
        raise LedgerError(f"document {stored.id} is decided without a decision record")
    case = Case(case_id=stored.case_id, case_type=decided.case_type or "", status="open")
    earlier = services.ledger.filing_of(case.case_id, attachment.sha256)
    if earlier is not None and earlier.id != stored.id:
        services.ledger.advance(stored.id, DocumentState.DUPLICATE, case_id=case.case_id,
                                document_ref=earlier.document_ref)
        document.outcome = Filed(case.case_id, earlier.document_ref or "", duplicate=True)
        return
    metadata = FilingMetadata(
        received=work.message.received_at, sender=work.letter.sender if work.letter else None,
        message_id=work.letter.message_id if work.letter else None,
        form=str(decided.form or ""), form_title=decided.form_title or "",
        document_sha256=attachment.sha256, attachment_name=attachment.name, rule=stored.rule or "",
        evidence=_evidence(document, decided), robot_version=services.robot_version,
        warnings=active_warnings(decided.active_content),
    )
    try:
        receipt = await services.archive.file(case, attachment.data, metadata)
    except ArchiveUnavailable as error:
        retry_or_give_up(work, document, f"filing: {error}", services)
        return
    except ArchiveRejected as error:
        escalate(work, document, Reason.ARCHIVE_REJECTED, f"the archive refused the document: {error}", services,
                 document.decision)
        return
    # no await inside: another worker cannot record the same filing meanwhile. The commit is made durable before
    # the stage goes on, by an fsync in a thread that the filings and settles of other workers share
    with services.ledger.transaction():
        earlier = services.ledger.filing_of(case.case_id, attachment.sha256)
        if earlier is not None and earlier.id != stored.id:  # the same certificate, filed by another worker
            services.ledger.advance(stored.id, DocumentState.DUPLICATE, case_id=case.case_id,
                                    document_ref=earlier.document_ref, durable=False)
            document.outcome = Filed(case.case_id, earlier.document_ref or "", duplicate=True)
        else:
            services.ledger.advance(stored.id, DocumentState.FILED, case_id=case.case_id,
                                    document_ref=receipt.document_ref, durable=False)
            answer_request(decided, stored.id, services, services.clock())  # in the filing's commit
            document.outcome = Filed(case.case_id, receipt.document_ref)
    await services.settled.synced(services.ledger)


def _evidence(document: DocumentWork, decided: DecisionRecord) -> dict[str, object]:
    """Why the robot filed it where it did, for the sidecar: the decision and where the CPR and form were read."""
    evidence: dict[str, object] = {"decision": decided.to_json()}
    if document.extraction is not None:
        evidence["extraction"] = extraction_record("", document.stored.name, document.extraction,
                                                   reveal_cpr=False)["evidence"]
    return evidence
