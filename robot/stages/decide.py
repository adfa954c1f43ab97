"""Stage 3: trust, rules and the citizen's cases decide each pending document's case, or its escalation."""

from __future__ import annotations

from dataclasses import replace

from robot.decisions.care_communication import judge_care_communication_sender, structured_citizen
from robot.decisions.decide import choose_case, plan
from robot.ledger.base import DocumentChange, DocumentState
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, Reason
from robot.stages.escalation import escalate
from robot.stages.request_register import give_back_request, learn_request, open_requests
from robot.stages.retry import retry_or_give_up
from robot.stages.suggest import suggestion_for
from robot.stages.work import FHIR_FOLDER_SOURCE, DocumentWork, MessageWork, Services


async def decide(work: MessageWork, services: Services) -> None:
    for document in work.documents:
        # a document decided before a crash keeps its case: the archive may already hold it there
        if document.pending and document.stored.state is not DocumentState.DECIDED:
            await _decide_one(work, document, services)


async def _decide_one(work: MessageWork, document: DocumentWork, services: Services) -> None:
    if document.problem is not None:
        escalate(work, document, document.problem.reason, document.problem.detail, services)
        return
    assert work.letter is not None and work.sender is not None
    assert document.mail_text is not None and document.extraction is not None
    sender, structured = work.sender, None
    message = document.attachment.care_communication if document.attachment is not None else None
    if message is not None:  # a PDF a MedCom message carried: its sender and its patient, as the message states them
        mail_verdict = None if work.message.source == FHIR_FOLDER_SOURCE else work.sender
        sender = judge_care_communication_sender(message, mail_verdict, services.rules().senders)
        structured = structured_citizen(message, services.clock().date())
    planned = plan(document.mail_text, document.extraction, sender, services.rules(), work.message.mailbox,
                   structured)
    cases: list[Case] = []
    if planned.reason is None and planned.cpr is not None:
        try:
            cases = await services.archive.lookup(planned.cpr)
        except ArchiveUnavailable as error:
            retry_or_give_up(work, document, f"case lookup: {error}", services)
            return
        except ArchiveRejected as error:
            escalate(work, document, Reason.ARCHIVE_REJECTED, f"case lookup refused: {error}", services)
            return
    decision = choose_case(planned, cases, document.extraction.content, document.extraction.patient_names,
                           open_requests(planned, services))
    decision = give_back_request(work, document, decision, services)
    if decision.reason is not None and document.extraction.suggestion is not None:  # a scan: OCR's hint for a person
        decision = replace(decision, suggestion=await suggestion_for(
            document.extraction, document.mail_text, work.sender, work.message.mailbox, services))
    with services.ledger.transaction():  # the request a receipt records is kept with the decision, or not at all
        decision = learn_request(work, document, decision, services)
        document.decision = decision
        if decision.reason is None:
            stored = decision.stored()
            # a PDF that named nobody is now the citizen's the MedCom message named: the ledger records whose it is
            change: DocumentChange = {"rule": stored.rule, "case_id": stored.case_id, "decision": stored}
            if structured is not None and planned.cpr:
                change["cpr"] = planned.cpr
            services.ledger.advance(document.stored.id, DocumentState.DECIDED, **change)
            return
    escalate(work, document, decision.reason, decision.explanation[-1], services, decision)
