"""`lae-robot escalations`: operators list, inspect, export, resolve (file by hand) and reject escalations, audited by
name."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from robot.app import Robot
from robot.commands.refused import CommandRefused
from robot.commands.shown import age, local_time, reason_words, source_words, table
from robot.ledger.base import StoredEscalation
from robot.ledger.records import EscalationState
from robot.ledger.trail import Trail
from robot.mail.names import shown_visibly
from robot.notify.delivery import deliver_due
from robot.notify.reasons import NO_SUGGESTION_WORDS
from robot.privacy import mask_cpr, mask_cpr_text, mask_deep
from robot.private_files import OWNER_ONLY
from robot.resolution import HOLD_SECONDS, OperatorError, Refusal, reject, resolve
from robot.resolution import accept_suggestion as accept

__all__ = ["HOLD_SECONDS", "OperatorError", "export_escalation", "list_escalations", "reject_escalation",
           "resolve_escalation", "show_escalation"]

LIST_HEADER = ("ID", "AGE", "RECEIVED", "REASON", "SENDER", "SUBJECT", "FILE", "SOURCE")


def list_escalations(robot: Robot, *, show_all: bool, as_json: bool, out: TextIO) -> int:
    """Open escalations (or all), oldest mail first: a header row, then one readable row each; --json one object a
    line."""
    ledger = robot.services.ledger
    escalations = ledger.escalations(None if show_all else EscalationState.OPEN)
    trail = _trail(robot)
    try:
        records = [mask_deep(_summary(robot, trail, escalation)) for escalation in escalations]
    finally:
        trail.close()
    records.sort(key=lambda record: (record["received"], record["id"]))
    if as_json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False), file=out)
        return 0
    if not records:
        print("no open escalations" if not show_all else "no escalations", file=out)
        return 0
    now = robot.services.clock()
    header = (*LIST_HEADER, "STATE") if show_all else LIST_HEADER
    rows = []
    for record in records:
        received = datetime.fromisoformat(record["received"])
        row = (str(record["id"]), age(received, now), local_time(received), reason_words(record["reason"]),
               record["sender"] or "", record["subject"] or "", record["file"] or "", source_words(record["source"]))
        rows.append((*row, record["state"]) if show_all else row)
    for line in table(header, rows):
        print(line, file=out)
    return 0


def show_escalation(robot: Robot, escalation_id: int, out: TextIO, *, as_json: bool = False) -> int:
    """One escalation for a person: the reason, the mail, the document, the decision's reasoning and the audit;
    --json the full record."""
    ledger = robot.services.ledger
    escalation = ledger.escalation(escalation_id)
    message = ledger.message(escalation.message_id)
    trail = _trail(robot)
    try:
        record = _summary(robot, trail, escalation)
        noted = trail.noted(message.id)
    finally:
        trail.close()
    record["mail"] = {
        "from": shown_visibly(str(noted["sender"])) if noted.get("sender") else message.envelope_sender,
        "subject": mask_cpr_text(str(noted.get("subject") or "")) or None,
        "message_id": noted.get("header_message_id"), "received": message.received_at.isoformat(),
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
    decided = ledger.document(escalation.document_id).decision if escalation.document_id is not None else None
    acceptable = decided is not None and decided.suggestion is not None and decided.suggestion.acceptable
    record["how_to_resolve"] = [*([f"lae-robot escalations resolve {escalation_id} --accept-suggestion"]
                                  if acceptable else []),
                                f"lae-robot escalations resolve {escalation_id} --case SAGSNUMMER",
                                f'lae-robot escalations reject {escalation_id} --note "begrundelse"',
                                f"lae-robot escalations export {escalation_id} --out FILE.pdf"]
    record = mask_deep(record)
    if as_json:
        print(json.dumps(record, ensure_ascii=False, indent=2), file=out)
    else:
        for line in _readable(record, robot.services.clock()):
            print(line, file=out)
    return 0


def export_escalation(robot: Robot, escalation_id: int, target: Path, operator: str, out: TextIO) -> int:
    """Write the escalated PDF, as it came, to a new owner-only file; the export is audited with the operator."""
    ledger = robot.services.ledger
    escalation = ledger.escalation(escalation_id)
    if escalation.document_id is None:
        raise OperatorError(Refusal.NO_DOCUMENT,
                            f"escalation {escalation_id} concerns the whole mail, not one PDF: nothing to export")
    document = ledger.document(escalation.document_id)
    message = ledger.message(escalation.message_id)
    if message.raw is None:
        raise OperatorError(Refusal.RAW_GONE,
                            f"escalation {escalation_id}: the mail is no longer kept (retention), nothing to export")
    # untrusted bytes: parsed in the capped parser processes, as the daemon parses them
    letter = robot.services.reader.read_mail(message.raw)
    attachment = next((a for a in letter.attachments if a.part == document.part), None)
    if attachment is None:
        raise OperatorError(Refusal.NOT_A_PDF, f"escalation {escalation_id}: part {document.part or '(whole mail)'} holds no PDF")
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, OWNER_ONLY.file_mode)
    except FileExistsError:
        raise CommandRefused(f"{target} exists already; choose another --out (nothing overwritten)") from None
    except OSError as error:
        raise CommandRefused(f"{target} cannot be written ({error.strerror})") from None
    try:
        OWNER_ONLY.secure(descriptor)
        with os.fdopen(descriptor, "wb") as file:
            file.write(attachment.data)
    except OSError as error:
        target.unlink(missing_ok=True)
        raise CommandRefused(f"{target} cannot be written ({error.strerror})") from None
    ledger.audit("escalation_exported", actor=operator, message_id=message.id, document_id=document.id,
                 escalation_id=escalation_id, path=str(target.resolve()), size=len(attachment.data))
    print(f"escalation {escalation_id}: {document.name or 'the PDF'} written to {target} "
          f"({len(attachment.data)} bytes, readable by you only); the export is in the audit trail", file=out)
    return 0


async def resolve_escalation(robot: Robot, escalation_id: int, case_id: str | None, operator: str, out: TextIO, *,
                             accept_suggestion: bool = False) -> int:
    """The operator's decision, carried out by robot.resolution (the same road the desk takes): into the case they
    name, or (`accept_suggestion`) into the citizen's case OCR suggested for a scan; then the notices are sent."""
    try:
        if accept_suggestion:
            resolved = await accept(robot.services, escalation_id, operator)
        else:
            assert case_id is not None  # the command line asks for one of the two
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


def _trail(robot: Robot) -> Trail:
    return Trail(robot.settings.ledger.path, robot.services.ledger)


def _summary(robot: Robot, trail: Trail, escalation: StoredEscalation) -> dict[str, Any]:
    ledger = robot.services.ledger
    message = ledger.message(escalation.message_id)
    noted = trail.noted(message.id)
    part = name = None
    if escalation.document_id is not None:
        document = ledger.document(escalation.document_id)
        part, name = document.part, document.name
    names = name or ", ".join(d.name for d in ledger.documents(message.id) if d.name) or None
    return {
        "id": escalation.id, "mail_id": message.id, "state": escalation.state, "reason": escalation.reason,
        "reason_text": reason_words(escalation.reason),
        "detail": mask_cpr_text(escalation.detail), "created": escalation.created_at.isoformat(timespec="seconds"),
        "received": message.received_at.isoformat(timespec="seconds"),
        "sender": shown_visibly(str(noted.get("sender") or message.envelope_sender or "")) or None,
        "subject": noted.get("subject"),
        "file": names, "source": message.source_ref, "part": part, "closed_by": escalation.closed_by,
        "case_id": escalation.case_id, "note": escalation.note,
    }


def _readable(record: dict[str, Any], now: datetime) -> list[str]:
    """The full record as lines for a person; the decision's reasoning summarised, each line once."""
    created = datetime.fromisoformat(record["created"])
    lines = [f"escalation {record['id']} ({record['state']}), opened {local_time(created)} "
             f"({age(created, now)} ago)",
             f"  reason: {record['reason_text']} [{record['reason']}]"]
    if record["detail"]:
        lines.append(f"  detail: {record['detail']}")
    if record["closed_by"]:
        closed = f"  closed by {record['closed_by']}"
        lines.append(closed + (f", case {record['case_id']}" if record["case_id"] else "")
                     + (f", note: {record['note']}" if record["note"] else ""))
    mail = record["mail"]
    received = datetime.fromisoformat(mail["received"]).astimezone(UTC)
    lines += ["mail:", f"  received: {local_time(received)} ({age(received, now)} ago) via "
                       f"{source_words(mail['source_ref']) or mail['source']}",
              f"  from: {mail['from'] or '(unknown)'}", f"  subject: {mail['subject'] or '(none)'}"]
    if mail["message_id"]:
        lines.append(f"  message-id: <{mail['message_id']}>")
    if not mail["raw_kept"]:
        lines.append("  the mail itself is no longer kept (retention)")
    document = record.get("document")
    if document:
        lines += ["document:", f"  file: {document['name'] or '(no name)'} (part {document['part'] or '-'}), "
                               f"state {document['state']}",
                  f"  CPR: {document['cpr'] or '(none read)'}; form: {document['blanket'] or '(unknown)'}"
                  + (f" ({document['kind']})" if document["kind"] else "")]
        decision = document.get("decision") or {}
        if decision.get("suggestion"):
            lines += suggestion_lines(decision["suggestion"])
        for line in _evidence(decision):
            lines.append(f"  {line}")
    audit = record["audit"]
    lines.append(f"audit ({len(audit)} events; the last 8; lae-robot trail --mail {record['mail_id']}):"
                 if len(audit) > 8 else "audit:")
    for entry in audit[-8:]:
        at = datetime.fromisoformat(entry["at"])
        lines.append(f"  {local_time(at)}  {entry['actor']:<12}  {entry['event']}")
    lines += ["next:", *(f"  {hint}" for hint in record["how_to_resolve"])]
    return lines


def suggestion_lines(suggestion: dict[str, Any]) -> list[str]:
    """What OCR suggests for a scan, in Danish as the desk says it: "CPR 170277-xxxx (læst med OCR, sikkerhed
    94 %)"; what it does not suggest, and why."""
    lines = ["suggestion (read by OCR: check it against the scan before you accept it):"]
    if suggestion.get("cpr"):
        lines.append(f"  CPR: {suggestion['cpr']} (læst med OCR, sikkerhed {suggestion['cpr_confidence']} %)")
    if suggestion.get("form"):
        title = f" {suggestion['form_title']}" if suggestion.get("form_title") else ""
        sure = (f" (læst med OCR, sikkerhed {suggestion['form_confidence']} %)"
                if suggestion.get("form_confidence") is not None else " (fra reglerne)")
        lines.append(f"  form: {suggestion['form']}{title}{sure}")
    if suggestion.get("case_id"):
        lines.append(f"  case: {suggestion['case_id']} (the citizen's one case the rules would file into)")
    for reason in suggestion.get("missing") or ():
        lines.append(f"  not suggested: {NO_SUGGESTION_WORDS.get(reason, reason)} [{reason}]")
    return [f"  {line}" for line in lines]


def _evidence(decision: dict[str, Any]) -> list[str]:
    """The decision's reasoning, short: who sent it, the case, the explanation, at most three routes and cases."""
    lines = []
    if decision.get("organisation"):
        lines.append(f"sender organisation: {decision['organisation']}")
    if decision.get("case_id"):
        lines.append(f"case: {decision['case_id']}" + (f" ({decision['case_type']})" if decision.get("case_type")
                                                        else ""))
    explanation = decision.get("explanation") or []
    if explanation:
        lines.append("why:")
        lines += [f"  - {line}" for line in dict.fromkeys(explanation)]
    for key, label, name in (("routes_passed_over", "routes passed over", "route"),
                             ("cases_rejected", "cases passed over", "case_id")):
        items = decision.get(key) or []
        if items:
            lines.append(f"{label}: " + "; ".join(f"{item[name]}: {item['why']}" for item in items[:3])
                         + (f" (and {len(items) - 3} more)" if len(items) > 3 else ""))
    return lines
