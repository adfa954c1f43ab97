"""`lae-robot escalations`: operators list, inspect, resolve (file by hand) and reject escalations, audited by name."""

from __future__ import annotations

import json
from typing import Any, TextIO

from robot.app import Robot
from robot.ledger.base import DocumentState, StoredEscalation
from robot.mail.names import shown_visibly
from robot.mail.parse import parse_letter
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, Filed, FilingMetadata, Reason
from robot.notify.delivery import deliver_due
from robot.privacy import mask_cpr, mask_cpr_text, mask_deep
from robot.stages.notify import notify
from robot.stages.work import DocumentWork, MessageWork


class OperatorError(Exception):
    """What the operator asked cannot be done; the message says why."""


def list_escalations(robot: Robot, *, show_all: bool, as_json: bool, out: TextIO) -> int:
    ledger = robot.services.ledger
    rows = ledger.escalations(None if show_all else "open")
    for escalation in rows:
        record = mask_deep(_summary(robot, escalation))
        if as_json:
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            print(f"{record['id']:>5}  {record['state']:<8}  {record['created']}  {record['reason']:<20}  "
                  f"{record['source'] or ''} {record['part'] or ''}".rstrip(), file=out)
    if not rows and not as_json:
        print("no open escalations" if not show_all else "no escalations", file=out)
    return 0


def show_escalation(robot: Robot, escalation_id: int, out: TextIO) -> int:
    ledger = robot.services.ledger
    escalation = ledger.escalation(escalation_id)
    message = ledger.message(escalation.message_id)
    record = _summary(robot, escalation)
    letter = parse_letter(message.raw, robot.settings.limits) if message.raw is not None else None
    record["mail"] = {
        "from": shown_visibly(letter.sender) if letter and letter.sender else None,
        "subject": mask_cpr_text(letter.subject) if letter else None,
        "message_id": letter.message_id if letter else None, "received": message.received_at.isoformat(),
        "source": message.source, "source_ref": message.source_ref, "raw_kept": message.raw is not None,
    }
    if escalation.document_id is not None:
        document = ledger.document(escalation.document_id)
        record["document"] = {
            "name": document.name, "part": document.part, "sha256": document.sha256, "state": document.state.value,
            "cpr": mask_cpr(document.cpr) if document.cpr else None, "blanket": document.blanket,
            "kind": document.kind, "decision": document.decision,
        }
    record["audit"] = [{"at": a.at.isoformat(), "actor": a.actor, "event": a.event}
                       for a in ledger.audit_trail(escalation.message_id)]
    record["how_to_resolve"] = [f"lae-robot escalations resolve {escalation_id} --case SAGSNUMMER",
                                f'lae-robot escalations reject {escalation_id} --note "begrundelse"']
    print(json.dumps(mask_deep(record), ensure_ascii=False, indent=2), file=out)
    return 0


async def resolve_escalation(robot: Robot, escalation_id: int, case_id: str, operator: str, out: TextIO) -> int:
    """File the escalated document into the case the operator names, and notify as an automatic filing would."""
    services = robot.services
    ledger = services.ledger
    escalation = _open(ledger.escalation(escalation_id))
    if escalation.document_id is None:
        raise OperatorError("this escalation concerns the mail as a whole; there is no document to file")
    stored = ledger.document(escalation.document_id)
    message = ledger.message(escalation.message_id)
    if message.raw is None:
        raise OperatorError("the raw mail is no longer kept; the document cannot be filed from here")
    letter = parse_letter(message.raw, services.limits)
    attachment = next((a for a in letter.attachments if a.part == stored.part), None)
    if attachment is None:
        raise OperatorError(f"escalation {escalation_id} concerns {Reason(escalation.reason).value} of MIME part "
                            f"{stored.part or '(the mail)'}, which holds no readable PDF to file")
    case = await _case_for(robot, stored.cpr, case_id)
    earlier = ledger.filing_of(case.case_id, attachment.sha256)
    if earlier is not None:
        raise OperatorError(f"this document is already filed in case {case.case_id} (document {earlier.id}); "
                            f"close the escalation with: lae-robot escalations reject {escalation_id} --note ...")
    form = stored.blanket or "ukendt blanket"
    catalogue = services.rules().catalogue
    title = catalogue.blankets[form[3:]].title if form.startswith("LÆ ") and form[3:] in catalogue.blankets else ""
    metadata = FilingMetadata(
        received=message.received_at, sender=letter.sender, message_id=letter.message_id, form=form,
        form_title=title, document_sha256=attachment.sha256, attachment_name=attachment.name,
        rule=f"manual:{operator}", evidence={"escalation": escalation_id, "operator": operator},
        robot_version=services.robot_version)
    try:
        receipt = await services.archive.file(case, attachment.data, metadata)
    except (ArchiveUnavailable, ArchiveRejected) as error:
        raise OperatorError(f"the archive did not take the document: {error}") from None
    recipients = tuple(filter(None, (case.caseworker_email,))) or services.operators
    organisation = services.rules().senders.organisation_for(letter.sender_domain or "")
    decision = {"form": form, "form_title": title, "organisation": organisation.name if organisation else
                (letter.sender or ""), "notify_to": list(recipients), "explanation": [f"filed by {operator}"]}
    with ledger.transaction():
        ledger.close_escalation(escalation_id, "resolved", actor=operator, case_id=case.case_id)
        ledger.advance(stored.id, DocumentState.FILED, actor=operator, outcome="filed", case_id=case.case_id,
                       document_ref=receipt.document_ref, decision={**(stored.decision or {}), **decision})
    work = MessageWork(message=message, letter=letter)
    document = DocumentWork(ledger.document(stored.id), attachment=attachment,
                            outcome=Filed(case.case_id, receipt.document_ref))
    work.documents.append(document)
    await notify(work, services)
    print(f"escalation {escalation_id} resolved by {operator}: filed in case {case.case_id} "
          f"({receipt.document_ref})", file=out)
    await _deliver(robot)
    return 0


async def reject_escalation(robot: Robot, escalation_id: int, note: str, operator: str, out: TextIO) -> int:
    if not note.strip():
        raise OperatorError("a rejection needs a --note saying why")
    ledger = robot.services.ledger
    _open(ledger.escalation(escalation_id))
    ledger.close_escalation(escalation_id, "rejected", actor=operator, note=mask_cpr_text(note))
    print(f"escalation {escalation_id} rejected by {operator}", file=out)
    return 0


def _open(escalation: StoredEscalation) -> StoredEscalation:
    if escalation.state != "open":
        raise OperatorError(f"escalation {escalation.id} is already {escalation.state}")
    return escalation


async def _case_for(robot: Robot, cpr: str | None, case_id: str) -> Case:
    """The named case; when the citizen is known, it must be one of theirs."""
    if cpr is None:
        return Case(case_id=case_id, case_type="manual", status="open")
    try:
        cases = await robot.services.archive.lookup(cpr)
    except (ArchiveUnavailable, ArchiveRejected) as error:
        raise OperatorError(f"the archive could not be asked for the citizen's cases: {error}") from None
    for case in cases:
        if case.case_id == case_id:
            return case
    known = ", ".join(c.case_id for c in cases) or "none"
    raise OperatorError(f"case {case_id} is not one of this citizen's cases ({mask_cpr(cpr)}: {known})")


async def _deliver(robot: Robot) -> None:
    if robot.transport is not None:
        await deliver_due(robot.services.ledger, robot.transport, robot.services.clock,
                          robot.notice_backoff)


def _summary(robot: Robot, escalation: StoredEscalation) -> dict[str, Any]:
    message = robot.services.ledger.message(escalation.message_id)
    part = None
    if escalation.document_id is not None:
        part = robot.services.ledger.document(escalation.document_id).part
    return {
        "id": escalation.id, "state": escalation.state, "reason": escalation.reason,
        "detail": mask_cpr_text(escalation.detail), "created": escalation.created_at.isoformat(timespec="seconds"),
        "source": message.source_ref, "part": part, "closed_by": escalation.closed_by,
        "case_id": escalation.case_id, "note": escalation.note,
    }

