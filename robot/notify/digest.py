"""The daily digest of open escalations and late requests for the operators, queued once per day in the outbox."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from robot.decisions.templates import Template
from robot.ledger.base import Ledger
from robot.ledger.records import EscalationState, NoticeKind
from robot.ledger.request_records import RequestState, StoredRequest
from robot.model import Reason
from robot.notify.compose import LOCAL_TIME, local_time
from robot.notify.reasons import reason_text
from robot.privacy import mask_cpr_text


def queue_digest(ledger: Ledger, template: Template, operators: tuple[str, ...], now: datetime) -> bool:
    """Queue today's digest when escalations are open or requests are late; False when there is nothing to tell."""
    open_escalations = ledger.escalations(EscalationState.OPEN)
    late = [r for r in ledger.requests.all(RequestState.OPEN) if r.deadline < now.astimezone(LOCAL_TIME).date()]
    if not open_escalations and not late:
        return False
    by_reason = Counter(e.reason for e in open_escalations)
    summary = "\n".join(f"  {count:>4}  {reason}: {_text(reason)}" for reason, count in by_reason.most_common())
    oldest = min((e.created_at for e in open_escalations), default=None)
    overdue = "\n".join(overdue_line(request) for request in late)
    values: dict[str, object] = {"open_count": len(open_escalations),
                                 "oldest": local_time(oldest) if oldest else "-", "summary": summary}
    if template.uses("overdue_requests"):
        values.update(overdue_count=len(late), overdue_requests=overdue)
    subject, body = template.render(**values)
    if late and not template.uses("overdue_requests"):  # an operator's older copy of the template
        body = f"{body.rstrip()}\n\nAnmodninger, der har passeret fristen uden svar: {len(late)}\n{overdue}\n"
    key = f"digest:{local_time(now)[:10]}"
    ledger.enqueue_notice(key, NoticeKind.DIGEST, operators, subject, body)
    return True


def overdue_line(request: StoredRequest) -> str:
    """One late request on one line: number, forms, addressee, case and deadline; never the CPR."""
    return mask_cpr_text(f"  anmodning {request.id}: LÆ {request.request_form} -> LÆ {request.answer_form} til "
                         f"{request.addressee or '(ukendt modtager)'}, sag {request.case_id or '(ingen)'}, "
                         f"frist {request.deadline.strftime('%d-%m-%Y')}")


def _text(reason: str) -> str:
    try:
        return reason_text(Reason(reason))
    except ValueError:
        return reason
