"""Sends the notices due in the ledger's outbox through a transport, with backoff and a cap on attempts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from robot.ledger.base import Ledger
from robot.model import RetryPolicy
from robot.notify.message import Notice, NoticeRefused
from robot.notify.transport import NoticeTransport, TransportRejected, TransportUnavailable

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


async def deliver_due(ledger: Ledger, transport: NoticeTransport, clock: Callable[[], datetime],
                      backoff: RetryPolicy) -> DeliveryReport:
    """Try every due notice once. Transient failures come back after `backoff`; permanent ones, and those out of
    attempts, are marked failed."""
    sent = retrying = failed = 0
    for stored in ledger.due_notices(clock()):
        notice = Notice(key=stored.key, to=stored.recipients, subject=stored.subject, body=stored.body)
        try:
            await transport.send(notice)
        except TransportUnavailable as error:
            if stored.attempts + 1 >= backoff.max_attempts:
                ledger.notice_failed(stored.id, f"gave up: {error}", None)
                failed += 1
                log.error("notice_failed", notice=stored.id, error=str(error))
            else:
                delay = backoff.delay(stored.attempts + 1)
                ledger.notice_failed(stored.id, str(error), clock() + timedelta(seconds=delay))
                retrying += 1
                log.warning("notice_retry", notice=stored.id, seconds=delay, error=str(error))
        except (TransportRejected, NoticeRefused) as error:
            ledger.notice_failed(stored.id, str(error), None)
            failed += 1
            log.error("notice_failed", notice=stored.id, error=str(error))
        else:
            ledger.notice_sent(stored.id)
            sent += 1
    return DeliveryReport(sent, retrying, failed)
