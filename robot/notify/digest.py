"""The daily digest of open escalations for the operators, queued once per day in the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from robot.decisions.templates import Template
from robot.ledger.base import Ledger
from robot.ledger.records import EscalationState, NoticeKind
from robot.model import Reason
from robot.notify.compose import local_time
from robot.notify.reasons import reason_text


def queue_digest(ledger: Ledger, template: Template, operators: tuple[str, ...], now: datetime) -> bool:
    """Queue today's digest when escalations are open; False when there is nothing to tell."""
    open_escalations = ledger.escalations(EscalationState.OPEN)
    if not open_escalations:
        return False
    by_reason = Counter(e.reason for e in open_escalations)
    summary = "\n".join(f"  {count:>4}  {reason}: {_text(reason)}" for reason, count in by_reason.most_common())
    oldest = min(e.created_at for e in open_escalations)
    subject, body = template.render(open_count=len(open_escalations), oldest=local_time(oldest), summary=summary)
    key = f"digest:{local_time(now)[:10]}"
    ledger.enqueue_notice(key, NoticeKind.DIGEST, operators, subject, body)
    return True


def _text(reason: str) -> str:
    try:
        return reason_text(Reason(reason))
    except ValueError:
        return reason
