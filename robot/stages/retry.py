"""When the archive is unavailable: a Retry with backoff, or an escalation once the attempts are used up."""

from __future__ import annotations

from robot.model import Reason, Retry
from robot.stages.escalation import escalate
from robot.stages.work import DocumentWork, MessageWork, Services


def retry_or_give_up(work: MessageWork, document: DocumentWork, detail: str, services: Services) -> None:
    attempt = work.message.attempts + 1
    if attempt >= services.retry.max_attempts:
        escalate(work, document, Reason.ARCHIVE_UNAVAILABLE,
                 f"archive unavailable after {attempt} attempts: {detail}", services)
        return
    document.outcome = Retry(after=services.retry.delay(attempt), detail=detail)
