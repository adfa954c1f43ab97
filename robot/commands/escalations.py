"""`lae-robot escalations`: operators list, inspect, resolve (file by hand) and reject escalations, audited by name."""

from __future__ import annotations

import json
from typing import Any, TextIO

from robot.app import Robot
from robot.ledger.base import StoredEscalation
from robot.ledger.records import EscalationState
from robot.mail.names import shown_visibly
from robot.notify.delivery import deliver_due
from robot.privacy import mask_cpr, mask_cpr_text, mask_deep
from robot.resolution import HOLD_SECONDS, OperatorError, reject, resolve

__all__ = ["HOLD_SECONDS", "OperatorError", "list_escalations", "reject_escalation", "resolve_escalation",
           "show_escalation"]

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
    """The operator's decision, carried out by robot.resolution (the same road the desk takes); then the notices
    are sent."""
    try:
        resolved = await resolve(robot.services, escalation_id, case_id, operator)
    finally:
        await _deliver(robot)
    print(f"escalation {escalation_id} resolved by {operator}: filed in case {resolved.case_id} "
          f"({resolved.document_ref})", file=out)
    return 0


async def reject_escalation(robot: Robot, escalation_id: int, note: str, operator: str, out: TextIO) -> int:
    reject(robot.services, escalation_id, note, operator)
    print(f"escalation {escalation_id} rejected by {operator}", file=out)
    return 0


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

