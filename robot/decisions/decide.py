"""Decides where one extracted document goes, or the named reason it goes to a human; every decision explains itself."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from robot.decisions.care_communication import StructuredCitizen, with_structured_cpr
from robot.decisions.names import check_names
from robot.decisions.routing import Route, match_route
from robot.decisions.rulebook import Rulebook
from robot.decisions.trust import SenderVerdict
from robot.form import Form, form_of
from robot.ledger.records import Action, DecisionRecord
from robot.ledger.suggestion_record import SuggestionRecord
from robot.model import Case, Extraction, MailText, PdfContent, PrintedName, Reason
from robot.privacy import case_title, mask_cpr, mask_cpr_text
from robot.rules.catalogue import CERTIFICATE_KINDS

# Extraction reasons a route may still act on: a document that is no certificate, when a route names its kind.
_ROUTABLE_NON_CERTIFICATE = Reason.NOT_CERTIFICATE


@dataclass(frozen=True)
class Plan:
    """The first half of a decision, before the case archive is asked: where the document may go."""

    route: Route | None
    cpr: str | None
    form: Form | None
    form_title: str | None
    kind: str | None
    organisation: str | None
    reason: Reason | None  # set: escalate without asking the archive
    explanation: tuple[str, ...]
    passed_over: tuple[tuple[str, str], ...] = ()
    active: tuple[str, ...] = ()  # the PDF's active content (ActiveFinding values): recorded, told, never run


@dataclass(frozen=True)
class Decision:
    """Where the document goes (a case) or why a human must place it, with the reasoning."""

    plan: Plan
    case: Case | None
    reason: Reason | None
    explanation: tuple[str, ...]
    rejected_cases: tuple[tuple[str, str], ...] = ()
    notify_to: tuple[str, ...] = field(default=())
    notify_nobody: bool = False  # the route's notify = "none"
    request_id: int | None = None  # the open request this certificate answers (the register's number)
    suggestion: SuggestionRecord | None = None  # a scan: what OCR read, for a person to confirm; never files

    @property
    def files(self) -> bool:
        return self.reason is None and self.case is not None

    def stored(self) -> DecisionRecord:
        """The decision as the ledger keeps it; CPR masked."""
        return DecisionRecord(
            action=Action.FILE if self.files else Action.ESCALATE, reason=self.reason,
            rule=self.plan.route.name if self.plan.route else None, organisation=self.plan.organisation,
            cpr=mask_cpr(self.plan.cpr) if self.plan.cpr else None, form=self.plan.form,
            form_title=self.plan.form_title, kind=self.plan.kind,
            case_id=self.case.case_id if self.case else None, case_type=self.case.case_type if self.case else None,
            case_title=case_title(self.case), notify_to=self.notify_to, notify_nobody=self.notify_nobody,
            explanation=tuple(mask_cpr_text(line) for line in self.explanation),
            routes_passed_over=self.plan.passed_over, cases_rejected=self.rejected_cases,
            active_content=self.plan.active, request_id=self.request_id, suggestion=self.suggestion)

    def record(self) -> dict[str, Any]:
        """The decision as JSON for the CLI and the sidecar; CPR masked."""
        return self.stored().to_json()


def plan(mail_text: MailText, extraction: Extraction, sender: SenderVerdict, rulebook: Rulebook,
         mailbox: str | None, structured: StructuredCitizen | None = None) -> Plan:
    """Trust, extraction, active content, CPR conflicts with the mail's text and the route: everything that needs no
    case lookup. The PDF's active content is carried on every plan, so the ledger and every notice can tell it; so
    are the mail's S/MIME notes (which certificate decrypted it, whether its signature held). `structured`: the
    citizen a MedCom CareCommunication that carried the PDF names, the PDF's own reading checked against it."""
    planned = _plan(mail_text, extraction, sender, rulebook, mailbox, structured)
    if mail_text.smime_notes:  # decrypted with which of our certificates, what the signature check said
        planned = replace(planned, explanation=(*planned.explanation[:1],
                                                *(f"S/MIME {note}" for note in mail_text.smime_notes),
                                                *planned.explanation[1:]))
    active = extraction.active
    if not active:
        return planned
    return replace(planned, active=active.codes,
                   explanation=(*planned.explanation[:1], f"active content: {active.described()}",
                                *planned.explanation[1:]))


def _plan(mail_text: MailText, extraction: Extraction, sender: SenderVerdict, rulebook: Rulebook,
          mailbox: str | None, structured: StructuredCitizen | None) -> Plan:
    why: list[str] = [f"sender: {sender.why}"]
    organisation = sender.organisation.name if sender.organisation else None
    if sender.organisation is None:
        return _escalate(Reason.UNTRUSTED_SENDER, why, organisation)
    if structured is not None:
        why.append(f"CareCommunication: {structured.why}")
        if structured.reason is not None:
            return _escalate(structured.reason, why, organisation)
        extraction, conflict = with_structured_cpr(extraction, structured)
        if conflict:
            why.append(conflict)
            return _escalate(Reason.CPR_CONFLICT, why, organisation)
    cpr = extraction.cpr.cpr if extraction.cpr else None
    blanket = extraction.blanket
    form, kind = (form_of(blanket.code), blanket.kind) if blanket else (None, None)
    form_title = blanket.title if blanket else None
    why.append(f"extraction: {extraction.status} ({extraction.detail})")
    form_stands_in = False
    if extraction.reason is Reason.NO_BLANKET and cpr:
        form, kind, form_title, source = _form_from_mail(mail_text, rulebook)
        if form is None:
            return _escalate(Reason.NO_BLANKET, why, organisation)
        why.append(f"form {form} taken from the {source}, as the PDF names none")
        form_stands_in = True
    elif extraction.reason is not None and extraction.reason is not _ROUTABLE_NON_CERTIFICATE:
        return _escalate(extraction.reason, why, organisation)
    if cpr is None:
        return _escalate(extraction.reason or Reason.NO_CPR, why, organisation)
    conflict = _cpr_conflict(mail_text, cpr)
    if conflict:
        why.append(conflict)
        return _escalate(Reason.CPR_CONFLICT, why, organisation)
    if extraction.active and rulebook.senders.escalates_active_pdf(sender.organisation):
        why.append(f"the sender rules escalate a PDF with active content from {organisation} (escalate_active_pdf): "
                   f"{', '.join(extraction.active.codes)}")
        return _escalate(Reason.ACTIVE_PDF_CONTENT, why, organisation)
    matched = match_route(rulebook.routes, form.code if form else None, kind, organisation, mailbox)
    if matched.route is None:
        why.append("no route matches")
        reason = Reason.NOT_CERTIFICATE if extraction.reason is _ROUTABLE_NON_CERTIFICATE else Reason.NO_ROUTE
        return Plan(None, cpr, form, form_title, kind, organisation, reason, tuple(why), matched.passed_over)
    route = matched.route
    why.append(f"route {route.name!r} matches: action {route.action}")
    if form_stands_in and not route.form_from_subject:
        why.append(f"route {route.name!r} does not let the subject or file name stand in for the form")
        return Plan(route, cpr, None, None, None, organisation, Reason.NO_BLANKET, tuple(why), matched.passed_over)
    if kind not in CERTIFICATE_KINDS and (kind or "").lower() not in {k.lower() for k in route.kinds}:
        why.append(f"the document is a {kind} and route {route.name!r} does not name that kind")
        return Plan(route, cpr, form, form_title, kind, organisation, Reason.NOT_CERTIFICATE, tuple(why),
                    matched.passed_over)
    escalation = Reason.ROUTED_TO_HUMAN if route.action == "escalate" else None
    return Plan(route, cpr, form, form_title, kind, organisation, escalation, tuple(why), matched.passed_over)


@dataclass(frozen=True)
class OpenRequest:
    """An open request in the register that this document could answer: the same citizen and form."""

    request_id: int
    case_id: str | None


def choose_case(planned: Plan, cases: list[Case], content: PdfContent | None,
                printed_names: Sequence[PrintedName] = (), requests: Sequence[OpenRequest] = ()) -> Decision:
    """The name check first (when the case system knows the citizen's name), then exactly one eligible open case,
    or the one whose number the document prints, or the one case of the open requests it answers; otherwise a
    reason. A request never overrides a check: it only picks among the citizen's own eligible open cases."""
    decision = _choose_case(planned, cases, content, printed_names, requests)
    if decision.files and decision.request_id is None and decision.case is not None:
        answered = [r for r in requests if r.case_id in (decision.case.case_id, None)]
        if len(answered) == 1:
            why = (*decision.explanation, f"it answers request {answered[0].request_id}")
            decision = replace(decision, explanation=why, request_id=answered[0].request_id)
    return decision


def _choose_case(planned: Plan, cases: list[Case], content: PdfContent | None,
                 printed_names: Sequence[PrintedName], requests: Sequence[OpenRequest]) -> Decision:
    why = list(planned.explanation)
    if planned.reason is not None or planned.route is None:
        return Decision(planned, None, planned.reason or Reason.NO_ROUTE, tuple(why))
    names = check_names(cases, printed_names)
    why.append(f"name: {names.why}")
    if names.matches is False:
        return Decision(planned, None, Reason.NAME_MISMATCH, tuple(why))
    route = planned.route
    allowed = {t.lower() for t in route.case_types}
    eligible: list[Case] = []
    rejected: list[tuple[str, str]] = []
    for case in cases:
        if not case.is_open:
            rejected.append((case.case_id, f"status {case.status}"))
        elif case.case_type.lower() not in allowed:
            rejected.append((case.case_id, f"case type {case.case_type} is not one route {route.name!r} files into"))
        else:
            eligible.append(case)
    why.append(f"the citizen has {len(cases)} case(s), {len(eligible)} open and of an allowed type")
    text = _document_text(content)
    printed = [case for case in cases if _printed(case, text)]
    printed_eligible = [case for case in printed if case in eligible]
    if printed and not printed_eligible:
        why.append(f"the document names case {printed[0].case_id}, which cannot receive it")
        return Decision(planned, None, Reason.AMBIGUOUS_CASE, tuple(why), tuple(rejected))
    if len(printed_eligible) == 1:
        chosen = printed_eligible[0]
        why.append(f"the document prints case number {chosen.title or chosen.case_id}")
        rejected += [(c.case_id, "another case's number is printed in the document") for c in eligible if c != chosen]
        return _filed(planned, chosen, why, rejected)
    if len(printed_eligible) > 1:
        why.append("the document prints the numbers of several eligible cases")
        return Decision(planned, None, Reason.AMBIGUOUS_CASE, tuple(why), tuple(rejected))
    if not eligible:
        return Decision(planned, None, Reason.NO_CASE, tuple(why), tuple(rejected))
    if len(eligible) > 1:
        why.append("several eligible cases and no case number in the document: " +
                   ", ".join(c.case_id for c in eligible))
        requested = _requested_case(eligible, requests, why)
        if requested is None:
            return Decision(planned, None, Reason.AMBIGUOUS_CASE, tuple(why), tuple(rejected))
        case, request_id = requested
        rejected += [(c.case_id, f"request {request_id} was sent from case {case.case_id}") for c in eligible
                     if c != case]
        return replace(_filed(planned, case, why, rejected), request_id=request_id)
    why.append(f"the only eligible case is {eligible[0].case_id}")
    return _filed(planned, eligible[0], why, rejected)


def _requested_case(eligible: list[Case], requests: Sequence[OpenRequest],
                    why: list[str]) -> tuple[Case, int] | None:
    """The eligible case of the one open request the document answers; None (and why) unless exactly one."""
    if not requests:
        return None
    if len(requests) > 1:
        why.append(f"{len(requests)} open requests for this citizen and form ("
                   + ", ".join(str(r.request_id) for r in requests) + "): they cannot choose the case")
        return None
    request = requests[0]
    case = next((c for c in eligible if c.case_id == request.case_id), None)
    if case is None:
        why.append(f"request {request.request_id} was sent from case {request.case_id or '(none)'}, "
                   "which is not one of them")
        return None
    why.append(f"it answers request {request.request_id}, sent from case {case.case_id}: matched request "
               f"{request.request_id}")
    return case, request.request_id


def _filed(planned: Plan, case: Case, why: list[str], rejected: list[tuple[str, str]]) -> Decision:
    route = planned.route
    assert route is not None
    recipients: tuple[str, ...] = ()
    if route.notify == "caseworker":
        candidate = case.caseworker_email or (case.team if case.team and "@" in case.team else None)
        candidate = candidate or route.team_mailbox
        recipients = (candidate,) if candidate else ()
    elif route.notify == "team" and route.team_mailbox:
        recipients = (route.team_mailbox,)
    return Decision(planned, case, None, tuple(why), tuple(rejected), recipients,
                    notify_nobody=route.notify == "none")


def _escalate(reason: Reason, why: list[str], organisation: str | None) -> Plan:
    return Plan(None, None, None, None, None, organisation, reason, tuple(why))


def _form_from_mail(mail_text: MailText, rulebook: Rulebook) -> tuple[Form | None, str | None, str | None, str]:
    """The one known form code the subject, else the file name, names."""
    for source, named in (("subject", mail_text.subject_forms), ("file name", mail_text.file_name_forms)):
        codes = set(named)
        if len(codes) == 1:
            code = codes.pop()
            blanket = rulebook.catalogue.blankets.get(code)
            if blanket is not None:
                return Form(code), blanket.kind, blanket.title, source
    return None, None, None, ""


def _cpr_conflict(mail_text: MailText, cpr: str) -> str | None:
    """A different person's number in the subject, body or file name: the mail may be about someone else."""
    others = mail_text.cprs - {cpr}
    if others:
        return f"the mail's subject, body or file name names another CPR ({', '.join(sorted(mask_cpr(o) for o in others))})"
    return None


def _document_text(content: PdfContent | None) -> str:
    if content is None:
        return ""
    return " ".join([*(line.text for line in content.lines), *(f.value for f in content.fields)])


def _printed(case: Case, text: str) -> bool:
    """The case's number (its id or printed title) stands in the text as a whole token."""
    for number in filter(None, (case.case_id, case.title)):
        if len(number) >= 4 and number in text and _whole_token(number).search(text):  # `in` first: far cheaper
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _whole_token(number: str) -> re.Pattern[str]:
    """`number` not glued to other letters, digits or a further dotted part (compiled once per case number: the
    re module's own cache is smaller than a kommune's case register)."""
    return re.compile(rf"(?<![\w.-]){re.escape(number)}(?![\w-]|\.\w)")
