"""Turning a document into an open escalation: one ledger transaction, one named reason."""

from __future__ import annotations

from robot.decisions.decide import Decision
from robot.ledger.base import DocumentState
from robot.model import Escalated, Reason
from robot.privacy import mask_cpr_text
from robot.stages.work import DocumentWork, MessageWork, Services


def escalate(work: MessageWork, document: DocumentWork, reason: Reason, detail: str, services: Services,
             decision: Decision | None = None) -> None:
    """Open the escalation and mark the document escalated (with the decision, when there was one), together."""
    detail = mask_cpr_text(detail)
    ledger = services.ledger
    with ledger.transaction():
        escalation_id = ledger.open_escalation(work.message.id, document.stored.id, reason.value, detail)
        current = ledger.document(document.stored.id).state
        if current is not DocumentState.ESCALATED and decision is not None:
            stored = decision.stored()
            ledger.advance(document.stored.id, DocumentState.ESCALATED, reason=reason.value, detail=detail,
                           rule=stored.rule, decision=stored)
        elif current is not DocumentState.ESCALATED:
            ledger.advance(document.stored.id, DocumentState.ESCALATED, reason=reason.value, detail=detail)
    document.outcome = Escalated(reason, detail, escalation_id)
