"""Stage 4: each decided document is put into its case, exactly once."""

from __future__ import annotations

from robot.extract.record import extraction_record
from robot.ledger.base import DocumentState
from robot.model import ArchiveRejected, ArchiveUnavailable, Filed, FilingMetadata, Reason
from robot.stages.escalation import escalate
from robot.stages.retry import retry_or_give_up
from robot.stages.work import DocumentWork, MessageWork, Services


async def file(work: MessageWork, services: Services) -> None:
    for document in work.documents:
        if document.pending and document.decision is not None and document.decision.files:
            await _file_one(work, document, services)


async def _file_one(work: MessageWork, document: DocumentWork, services: Services) -> None:
    decision, attachment = document.decision, document.attachment
    assert decision is not None and decision.case is not None and attachment is not None
    case = decision.case
    earlier = services.ledger.filing_of(case.case_id, attachment.sha256)
    if earlier is not None and earlier.id != document.stored.id:
        services.ledger.advance(document.stored.id, DocumentState.DUPLICATE, outcome="duplicate",
                                case_id=case.case_id, document_ref=earlier.document_ref)
        document.outcome = Filed(case.case_id, earlier.document_ref or "", duplicate=True)
        return
    metadata = FilingMetadata(
        received=work.message.received_at, sender=work.letter.sender if work.letter else None,
        message_id=work.letter.message_id if work.letter else None,
        form=f"LÆ {decision.plan.form}", form_title=decision.plan.form_title or "",
        document_sha256=attachment.sha256, attachment_name=attachment.name,
        rule=decision.plan.route.name if decision.plan.route else "", evidence=_evidence(document),
        robot_version=services.robot_version,
    )
    try:
        receipt = await services.archive.file(case, attachment.data, metadata)
    except ArchiveUnavailable as error:
        retry_or_give_up(work, document, f"filing: {error}", services)
        return
    except ArchiveRejected as error:
        escalate(work, document, Reason.ARCHIVE_REJECTED, f"the archive refused the document: {error}", services,
                 decision)
        return
    services.ledger.advance(document.stored.id, DocumentState.FILED, outcome="filed", case_id=case.case_id,
                            document_ref=receipt.document_ref)
    document.outcome = Filed(case.case_id, receipt.document_ref)


def _evidence(document: DocumentWork) -> dict[str, object]:
    """Why the robot filed it where it did, for the sidecar: the decision and where the CPR and form were read."""
    assert document.decision is not None
    evidence: dict[str, object] = {"decision": document.decision.record()}
    if document.extraction is not None:
        evidence["extraction"] = extraction_record("", document.stored.name, document.extraction,
                                                   reveal_cpr=False)["evidence"]
    return evidence
