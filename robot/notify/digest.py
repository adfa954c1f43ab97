"""The daily digest of open escalations and newly late requests for the operators, queued once per day in the
outbox."""

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
    """Queue today's digest when escalations are open or requests were told late since the last digest; False when
    there is nothing to tell. Each late request is listed in exactly one digest: the digest and that mark are one
    commit, and a day's digest already queued is left as it is (its late requests wait for the next one)."""
    key = f"digest:{local_time(now)[:10]}"
    with ledger.transaction(durable=True):
        if ledger.notice_queued(key):
            return True
        open_escalations = ledger.escalations(EscalationState.OPEN)
        newly_late = ledger.requests.undigested_overdue()
        if not open_escalations and not newly_late:
            return False
        today = now.astimezone(LOCAL_TIME).date()
        still_late = sum(1 for r in ledger.requests.all(RequestState.OPEN) if r.deadline < today)
        by_reason = Counter(e.reason for e in open_escalations)
        summary = "\n".join(f"  {count:>4}  {reason}: {_text(reason)}" for reason, count in by_reason.most_common())
        oldest = min((e.created_at for e in open_escalations), default=None)
        overdue = "\n".join(overdue_line(request) for request in newly_late)
        values: dict[str, object] = {"open_count": len(open_escalations),
                                     "oldest": local_time(oldest) if oldest else "-", "summary": summary}
        if template.uses("overdue_requests"):
            values.update(overdue_count=len(newly_late), overdue_requests=overdue)
        subject, body = template.render(**values)
        if newly_late and not template.uses("overdue_requests"):  # the shipped template, or an older copy
            body = (f"{body.rstrip()}\n\nAnmodninger, der har passeret fristen uden svar siden sidste oversigt: "
                    f"{len(newly_late)}\n{overdue}\nI alt ubesvarede efter fristen: {still_late} "
                    "(lae-robot requests list)\n")
        ledger.enqueue_notice(key, NoticeKind.DIGEST, operators, subject, body)
        ledger.requests.mark_digested([request.id for request in newly_late], today)
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
