"""The request register's notices: a late request told to its caseworker (and, where turned on, reminded to the
addressee), a returned request told to its caseworker; each queued exactly once in the outbox."""

from __future__ import annotations

from datetime import datetime

import structlog

from robot.decisions.rulebook import Rulebook
from robot.decisions.templates import RenderRefused, Template
from robot.ledger.base import Ledger
from robot.ledger.records import NoticeKind
from robot.ledger.request_records import StoredRequest
from robot.notify.compose import LOCAL_TIME
from robot.privacy import mask_cpr_text

log = structlog.get_logger(__name__)


def tell_overdue(ledger: Ledger, rules: Rulebook, operators: tuple[str, ...], now: datetime) -> int:
    """Every open request whose deadline passed before today (local time) and was not yet told: marked told and
    its notices queued in one durable commit, so a crash or restart at any point tells it exactly once."""
    today = now.astimezone(LOCAL_TIME).date()
    told = 0
    for request in ledger.requests.overdue(today):
        with ledger.transaction(durable=True):
            if not ledger.requests.mark_overdue(request.id, now):
                continue
            _queue(ledger, f"request-overdue:{request.id}", NoticeKind.REQUEST, request.notify_to or operators,
                   rules.templates["request_overdue"], request, rules)
            reminder_to = rules.requests.reminder_to(request.addressee)
            if reminder_to is not None:
                _queue(ledger, f"request-reminder:{request.id}", NoticeKind.REMINDER, (reminder_to,),
                       rules.templates["request_reminder"], request, rules)
        told += 1
        log.info("request_overdue", request=request.id, reminded=reminder_to is not None)
    return told


def tell_returned(ledger: Ledger, rules: Rulebook, operators: tuple[str, ...], request: StoredRequest) -> None:
    """The caseworker hears that the addressee sent the request back (queued inside the caller's transaction)."""
    _queue(ledger, f"request-returned:{request.id}", NoticeKind.REQUEST, request.notify_to or operators,
           rules.templates["request_returned"], request, rules)


def _queue(ledger: Ledger, key: str, kind: NoticeKind, recipients: tuple[str, ...], template: Template,
           request: StoredRequest, rules: Rulebook) -> None:
    blanket = rules.catalogue.blankets.get(request.answer_form)
    try:
        subject, body = template.render(
            request_id=request.id, case_id=mask_cpr_text(request.case_id or "(ingen)"), form=request.request_form,
            answer_form=request.answer_form, form_title=blanket.title if blanket else "",
            addressee=request.addressee or "(ukendt modtager)", sent=request.sent_on.strftime("%d-%m-%Y"),
            deadline=request.deadline.strftime("%d-%m-%Y"))
    except RenderRefused as error:
        log.error("notice_refused", request=request.id, error=str(error))
        subject, body = "Lægerobotten: en besked kunne ikke dannes", f"Se anmodning {request.id} i ledgeren.\n"
    ledger.enqueue_notice(key, kind, recipients, subject, body)
