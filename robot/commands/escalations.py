"""`lae-robot escalations`: operators list, inspect, resolve (file by hand) and reject escalations, audited by name."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, TextIO

from robot.app import Robot
from robot.decisions.by_hand import decided_by_hand
from robot.ledger.base import StoredEscalation
from robot.ledger.records import DocumentOutcome, EscalationState
from robot.mail.names import shown_visibly
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, Reason, Retry
from robot.notify.delivery import deliver_due
from robot.privacy import mask_cpr, mask_cpr_text, mask_deep
from robot.worker import process_message

# How long a running daemon leaves a resolved message to the command that resolved it (which runs the stages on
# it at once); if the command dies before it is done, the daemon takes the message after this.
HOLD_SECONDS = 600.0


class OperatorError(Exception):
    """What the operator asked cannot be done; the message says why."""


def list_escalations(robot: Robot, *, show_all: bool, as_json: bool, out: TextIO) -> int:
    ledger = robot.services.ledger
    rows = ledger.escalations(None if show_all else EscalationState.OPEN)
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
    # untrusted bytes: parsed in the capped parser processes, as the daemon parses them
    letter = robot.services.reader.read_mail(message.raw) if message.raw is not None else None
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
            "kind": document.kind, "decision": document.decision.to_json() if document.decision else None,
        }
    record["audit"] = [{"at": a.at.isoformat(), "actor": a.actor, "event": a.event}
                       for a in ledger.audit_trail(escalation.message_id)]
    record["how_to_resolve"] = [f"lae-robot escalations resolve {escalation_id} --case SAGSNUMMER",
                                f'lae-robot escalations reject {escalation_id} --note "begrundelse"']
    print(json.dumps(mask_deep(record), ensure_ascii=False, indent=2), file=out)
    return 0


async def resolve_escalation(robot: Robot, escalation_id: int, case_id: str, operator: str, out: TextIO) -> int:
    """The operator's decision: the escalated document goes into the case they name. The decision is committed,
    and the message takes the daemon's road again (process_message): the file and notify stages place the document
    and tell the caseworker as for any decision, each step audited."""
    services = robot.services
    ledger = services.ledger
    escalation = _open(ledger.escalation(escalation_id))
    if escalation.document_id is None:
        raise OperatorError("this escalation concerns the mail as a whole; there is no document to file")
    stored = ledger.document(escalation.document_id)
    if ledger.message(escalation.message_id).raw is None:
        raise OperatorError("the raw mail is no longer kept; the document cannot be filed from here")
    if stored.sha256 is None:
        raise OperatorError(f"escalation {escalation_id} concerns {Reason(escalation.reason).value} of MIME part "
                            f"{stored.part or '(the mail)'}, which holds no readable PDF to file")
    case = await _case_for(robot, stored.cpr, case_id)
    earlier = ledger.filing_of(case.case_id, stored.sha256)
    if earlier is not None:
        raise OperatorError(f"this document is already filed in case {case.case_id} (document {earlier.id}); "
                            f"close the escalation with: lae-robot escalations reject {escalation_id} --note ...")
    decision = decided_by_hand(stored, case, operator, services.rules().catalogue)
    held_until = services.clock() + timedelta(seconds=HOLD_SECONDS)  # a running daemon leaves it to us meanwhile
    message_id = ledger.decide_by_hand(escalation_id, decision, actor=operator, held_until=held_until)
    work = await process_message(message_id, services)
    await _deliver(robot)
    placed = ledger.document(stored.id)
    if placed.outcome is DocumentOutcome.FILED:
        print(f"escalation {escalation_id} resolved by {operator}: filed in case {case.case_id} "
              f"({placed.document_ref})", file=out)
        return 0
    retry = next((d.outcome for d in work.documents if d.stored.id == stored.id and isinstance(d.outcome, Retry)),
                 None)
    if retry is not None:  # the archive is away: the message is deferred and the robot files it later
        raise OperatorError(f"the archive did not take the document now ({mask_cpr_text(retry.detail)}); the "
                            "decision stands and the robot files it when the archive answers")
    if placed.outcome is DocumentOutcome.ESCALATED:
        raise OperatorError(f"the archive did not take the document: {placed.detail}; a new escalation is open")
    raise OperatorError(f"the document was not filed: it is {placed.state.value} in the ledger")


async def reject_escalation(robot: Robot, escalation_id: int, note: str, operator: str, out: TextIO) -> int:
    if not note.strip():
        raise OperatorError("a rejection needs a --note saying why")
    ledger = robot.services.ledger
    _open(ledger.escalation(escalation_id))
    ledger.close_escalation(escalation_id, EscalationState.REJECTED, actor=operator, note=mask_cpr_text(note))
    print(f"escalation {escalation_id} rejected by {operator}", file=out)
    return 0


def _open(escalation: StoredEscalation) -> StoredEscalation:
    if escalation.state is not EscalationState.OPEN:
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

