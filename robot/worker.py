"""Runs one ledger message through the stages and settles it: finished, or deferred for a retry."""

from __future__ import annotations

from datetime import timedelta

import structlog

from robot.ledger.records import DocumentOutcome
from robot.model import Escalated, Filed, Outcome, Reason, Retry
from robot.stages import AFTER_FAILURE, STAGES
from robot.stages.escalation import escalate
from robot.stages.work import DocumentWork, MessageWork, Services

log = structlog.get_logger(__name__)


async def process_message(message_id: int, services: Services) -> MessageWork:
    """Every document ends filed or escalated, or the whole message is deferred when the archive is away.
    A crash inside the robot's own code escalates the documents not yet placed (internal_error)."""
    work = MessageWork(message=services.ledger.message(message_id))
    with structlog.contextvars.bound_contextvars(message=message_id):
        try:
            for stage in STAGES:
                await stage(work, services)
        except Exception as error:  # the one place a bug becomes a named escalation instead of a lost mail
            log.exception("stage_failed", error_type=type(error).__name__)
            _escalate_remaining(work, services, f"{type(error).__name__} in the robot")
            try:
                for closing in AFTER_FAILURE:
                    await closing(work, services)
            except Exception:  # the escalations are committed; their notices wait for the next run
                log.exception("notify_failed_after_stage_failure")
        _settle(work, services)  # committed here, fsynced below with any other message settling meanwhile
        await services.settled.synced(services.ledger)  # durable before anyone acts on it (the IMAP move)
    return work


def _escalate_remaining(work: MessageWork, services: Services, detail: str) -> None:
    if not work.documents:
        stored = services.ledger.record_document(work.message.id, "", None, None)
        work.documents.append(DocumentWork(stored))
    for document in work.documents:
        if document.outcome is None or isinstance(document.outcome, Retry):
            escalate(work, document, Reason.INTERNAL_ERROR, detail, services)


def _settle(work: MessageWork, services: Services) -> None:
    retries = [d.outcome for d in work.documents if isinstance(d.outcome, Retry)]
    if retries:
        after = min(r.after for r in retries)
        services.ledger.defer(work.message.id, services.clock() + timedelta(seconds=after), retries[0].detail,
                              durable=False)
        log.warning("message_deferred", seconds=after, detail=retries[0].detail)
        return
    services.ledger.finish(work.message.id, durable=False)
    for document in work.documents:
        outcome = document.outcome
        log.info("document_done", document=document.stored.id, outcome=logged_outcome(outcome),
                 reason=outcome.reason.value if isinstance(outcome, Escalated) else None)


def logged_outcome(outcome: Outcome | None) -> str:
    """A document's outcome as a log value: the ledger's word for it, never a class name."""
    if isinstance(outcome, Filed):
        return (DocumentOutcome.DUPLICATE if outcome.duplicate else DocumentOutcome.FILED).value
    if isinstance(outcome, Escalated):
        return DocumentOutcome.ESCALATED.value
    return "retry" if isinstance(outcome, Retry) else "unfinished"
