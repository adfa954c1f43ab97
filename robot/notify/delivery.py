"""Sends the notices due in the ledger's outbox through a transport, with backoff and a cap on attempts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from robot.ledger.base import Ledger
from robot.model import RetryPolicy
from robot.notify.message import Notice
from robot.notify.transport import NoticeTransport, TransportUnavailable

log = structlog.get_logger(__name__)
BATCH_NOTICES = 50  # notices handed to the transport at once (the outbox folder writes them with one folder fsync)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def deliver_due(ledger: Ledger, transport: NoticeTransport, clock: Callable[[], datetime],
                      backoff: RetryPolicy) -> DeliveryReport:
    """Try every due notice once, BATCH_NOTICES at a time through the transport's send_all. Transient failures
    come back after `backoff`; permanent ones, and those out of attempts, are marked failed."""
    sent = retrying = failed = 0
    due = ledger.due_notices(clock())
    for start in range(0, len(due), BATCH_NOTICES):
        batch = due[start:start + BATCH_NOTICES]
        notices = [Notice(key=stored.key, to=stored.recipients, subject=stored.subject, body=stored.body)
                   for stored in batch]
        failures = await transport.send_all(notices)
        with ledger.transaction():  # one commit for the batch's marks
            for stored, failure in zip(batch, failures, strict=True):
                if failure is None:
                    ledger.notice_sent(stored.id)
                    sent += 1
                elif isinstance(failure, TransportUnavailable) and stored.attempts + 1 < backoff.max_attempts:
                    delay = backoff.delay(stored.attempts + 1)
                    ledger.notice_failed(stored.id, str(failure), clock() + timedelta(seconds=delay))
                    retrying += 1
                    log.warning("notice_retry", notice=stored.id, seconds=delay, error=str(failure))
                else:  # permanent (TransportRejected, NoticeRefused), or out of attempts
                    gave_up = isinstance(failure, TransportUnavailable)
                    ledger.notice_failed(stored.id, f"gave up: {failure}" if gave_up else str(failure), None)
                    failed += 1
                    log.error("notice_failed", notice=stored.id, error=str(failure))
    return DeliveryReport(sent, retrying, failed)
