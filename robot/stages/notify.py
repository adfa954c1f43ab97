"""Stage 5: a notice is queued in the outbox for each filed document (the caseworker) and each escalation (operators)."""

from __future__ import annotations

import structlog

from robot.decisions.templates import RenderRefused
from robot.ledger.base import DocumentState
from robot.ledger.records import NoticeKind
from robot.mail.names import shown_visibly
from robot.model import Escalated, Filed, Reason
from robot.notify.compose import caseworker_notice, escalation_notice
from robot.stages.work import DocumentWork, MessageWork, Services

log = structlog.get_logger(__name__)


async def notify(work: MessageWork, services: Services) -> None:
    for document in work.documents:
        state = services.ledger.document(document.stored.id).state
        if isinstance(document.outcome, Filed) and not document.outcome.duplicate and state is DocumentState.FILED:
            decision = services.ledger.document(document.stored.id).decision
            if decision is not None and decision.notify_nobody:  # the route's notify = "none"
                services.ledger.advance(document.stored.id, DocumentState.NOTIFIED)
                continue
            _queue(services, document, *_filed_notice(work, document, services))
        elif isinstance(document.outcome, Escalated) and state is DocumentState.ESCALATED:
            _queue(services, document, *_escalation_notice(work, document, services))


def _queue(services: Services, document: DocumentWork, key: str, kind: NoticeKind, recipients: tuple[str, ...],
           subject: str, body: str) -> None:
    with services.ledger.transaction():
        services.ledger.enqueue_notice(key, kind, recipients, subject, body)
        services.ledger.advance(document.stored.id, DocumentState.NOTIFIED)


def _filed_notice(work: MessageWork, document: DocumentWork,
                  services: Services) -> tuple[str, NoticeKind, tuple[str, ...], str, str]:
    stored = services.ledger.document(document.stored.id)
    decision = stored.decision
    recipients = (decision.notify_to if decision else ()) or services.operators
    # a decision by hand may concern an untrusted sender: then the notice names the sender's address
    organisation = (decision.organisation if decision else None) or _sender_organisation(work, services)
    templates = services.rules().templates
    try:
        subject, body = caseworker_notice(
            templates["caseworker_notice"], form=str(decision.form or "") if decision else "",
            case_id=(decision.case_title if decision else None) or stored.case_id or "",  # the number people read
            form_title=(decision.form_title if decision else None) or "", organisation=organisation or "",
            received=work.message.received_at, document_ref=stored.document_ref or "", team=None,
            active_content=decision.active_content if decision else ())
    except RenderRefused as error:
        log.error("notice_refused", document=stored.id, error=str(error))
        subject, body = "Lægerobotten: en besked kunne ikke dannes", f"Se dokument {stored.id} i ledgeren.\n"
        recipients = services.operators
    return f"filed:{stored.id}", NoticeKind.FILED, recipients, subject, body


def _escalation_notice(work: MessageWork, document: DocumentWork,
                       services: Services) -> tuple[str, NoticeKind, tuple[str, ...], str, str]:
    outcome = document.outcome
    assert isinstance(outcome, Escalated)
    escalation_id = outcome.escalation_id or services.ledger.open_escalation(
        work.message.id, document.stored.id, outcome.reason.value, outcome.detail)
    templates = services.rules().templates
    try:
        subject, body = escalation_notice(
            templates["escalation_notice"], escalation_id=escalation_id, reason=outcome.reason,
            sender=shown_visibly(work.letter.sender) if work.letter and work.letter.sender else None,
            received=work.message.received_at,
            part=document.stored.part, active_content=_active_content(document, services))
    except RenderRefused as error:
        log.error("notice_refused", escalation=escalation_id, error=str(error))
        subject = f"Lægerobotten: eskalering {escalation_id} ({Reason(outcome.reason).value})"
        body = f"Se: lae-robot escalations show {escalation_id}\n"
    return f"escalation:{escalation_id}", NoticeKind.ESCALATION, services.operators, subject, body


def _active_content(document: DocumentWork, services: Services) -> tuple[str, ...]:
    """The PDF's active content as decided (the ledger's decision), or as read in this run when no decision was made."""
    decision = services.ledger.document(document.stored.id).decision
    if decision is not None:
        return decision.active_content
    return document.extraction.active.codes if document.extraction is not None else ()


def _sender_organisation(work: MessageWork, services: Services) -> str | None:
    """The sender's organisation by the sender rules, else its address (a decision by hand may lack one)."""
    if work.letter is None:
        return None
    known = services.rules().senders.organisation_for(work.letter.sender_domain or "")
    return known.name if known else work.letter.sender
