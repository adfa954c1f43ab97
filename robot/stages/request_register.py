"""What the stages do with the request register: learn a request from a filed receipt or outgoing copy, find the
open requests a certificate may answer, close a request as answered or as sent back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import structlog

from robot.decisions.decide import Decision, OpenRequest, Plan
from robot.decisions.request_facts import RequestFacts, copy_facts, receipt_facts
from robot.form import Form
from robot.ledger.records import DecisionRecord
from robot.ledger.request_records import NewRequest, RequestSource
from robot.model import Reason
from robot.notify.compose import LOCAL_TIME
from robot.notify.request_notices import tell_returned
from robot.stages.work import DocumentWork, MessageWork, Services

log = structlog.get_logger(__name__)

RECEIPT_KIND, REQUEST_KIND, CERTIFICATE_KIND = "kvittering", "anmodning", "attest"


def open_requests(planned: Plan, services: Services) -> list[OpenRequest]:
    """The open requests for the same citizen that a certificate of this form answers."""
    if planned.reason is not None or planned.cpr is None or planned.form is None or planned.kind != CERTIFICATE_KIND:
        return []
    found = services.ledger.requests.open_for(planned.cpr, answer_form=planned.form.code)
    return [OpenRequest(request.id, request.case_id) for request in found]


def learn_request(work: MessageWork, document: DocumentWork, decision: Decision, services: Services) -> Decision:
    """A receipt or an outgoing request copy decided into a case records its request (once: keyed by the
    document). A receipt whose request cannot be read goes to a human; the decision says why no request was
    learnt (not_certificate, as before the register)."""
    planned, case = decision.plan, decision.case
    if not decision.files or case is None or planned.cpr is None or planned.kind not in (RECEIPT_KIND, REQUEST_KIND):
        return decision
    assert document.extraction is not None and work.letter is not None
    rules = services.rules()
    received = work.message.received_at.astimezone(LOCAL_TIME).date()
    if planned.kind == RECEIPT_KIND:
        facts = receipt_facts(document.extraction, rules, received)
        source = RequestSource.RECEIPT
    else:
        facts = copy_facts(document.extraction, rules, work.letter.recipients, received)
        source = RequestSource.OUTGOING_COPY
    if not isinstance(facts, RequestFacts):  # a receipt that cannot say its request goes to a human, as before
        return _not_filed(decision, f"no request recorded: {facts}")
    deadline = rules.requests.deadline_for(facts.request_form, facts.addressee)
    if deadline is None:
        return _not_filed(decision, f"no request recorded: LÆ {facts.request_form} has no deadline in requests.toml")
    if planned.kind == RECEIPT_KIND:  # filed as the receipt for its request form: the archive names it by that form
        blanket = rules.catalogue.blankets.get(facts.request_form)
        title = f"Kvittering for {blanket.title if blanket else 'anmodning'}"
        decision = replace(decision, plan=replace(planned, form=Form(facts.request_form), form_title=title))
    stored = services.ledger.requests.register(NewRequest(
        key=f"document:{document.stored.id}", cpr=planned.cpr, case_id=case.case_id,
        request_form=facts.request_form, answer_form=facts.answer_form, addressee=facts.addressee,
        sent_on=facts.sent_on, deadline=deadline.due(facts.sent_on), source=source,
        notify_to=_caseworker(decision),
        message_id=work.message.id, document_id=document.stored.id))
    return _explained(decision, f"recorded request {stored.id}: LÆ {facts.request_form} -> LÆ {facts.answer_form} "
                                f"to {facts.addressee or '(unknown addressee)'}, sent {facts.sent_on.isoformat()}, "
                                f"deadline {stored.deadline.isoformat()} ({deadline.days} {deadline.count} days)")


def give_back_request(work: MessageWork, document: DocumentWork, decision: Decision, services: Services) -> Decision:
    """An anmodning form that came back (no route files it: not_certificate) and is the one open request of that
    form for the citizen closes it as returned, and the caseworker is told; the document still goes to a human."""
    planned = decision.plan
    if decision.reason is not Reason.NOT_CERTIFICATE or planned.kind != REQUEST_KIND or planned.cpr is None \
            or planned.form is None:
        return decision
    found = services.ledger.requests.open_for(planned.cpr, request_form=planned.form.code)
    if len(found) != 1:
        return decision
    request = found[0]
    with services.ledger.transaction():
        if services.ledger.requests.give_back(request.id, document.stored.id, services.clock()):
            tell_returned(services.ledger, services.rules(), services.operators, request)
    log.info("request_returned", request=request.id)
    return _explained(decision, f"it returns request {request.id} (LÆ {request.request_form}): closed as returned")


def answer_request(decided: DecisionRecord, document_id: int, services: Services, at: datetime) -> None:
    """The certificate filed answers the request its decision matched (inside the filing's transaction)."""
    if decided.request_id is not None and services.ledger.requests.answer(decided.request_id, document_id, at):
        log.info("request_answered", request=decided.request_id)


def _not_filed(decision: Decision, line: str) -> Decision:
    return replace(decision, reason=Reason.NOT_CERTIFICATE, explanation=(*decision.explanation, line))


def _caseworker(decision: Decision) -> tuple[str, ...]:
    """Who hears of the request later: the case's caseworker (or team address), else whom the filing told."""
    case = decision.case
    address = case.caseworker_email or (case.team if case.team and "@" in case.team else None) if case else None
    return (address,) if address else decision.notify_to


def _explained(decision: Decision, line: str) -> Decision:
    return replace(decision, explanation=(*decision.explanation, line))
