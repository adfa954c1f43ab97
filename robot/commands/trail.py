"""`lae-robot trail`: find what happened to a mail (by Message-ID, queue id, sender, case, date or CPR) and print
its whole history: documents, escalations, notices, audit, re-sent copies too."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, TextIO

from robot.app import Robot
from robot.commands.refused import CommandRefused
from robot.commands.shown import LOCAL, local_time, reason_words, source_words, table
from robot.ledger.trail import MailFound, MailHistory, Trail, TrailQuery
from robot.privacy import mask_cpr, mask_deep

_NOT_DIGIT = re.compile(r"\D")
_CPR_SHAPED = re.compile(r"\d{6}[\s\-/.]*\d{4}")


def read_cpr(line: str) -> str:
    """A CPR number as typed (DDMMYY-SSSS, spaces...) to ten digits; CommandRefused naming no digits otherwise."""
    digits = _NOT_DIGIT.sub("", line)
    if len(digits) != 10:
        raise CommandRefused(f"a CPR number has ten digits; {len(digits)} read from standard input")
    return digits


def refuse_cpr_terms(terms: list[str]) -> None:
    """A CPR number typed as an argument stays in the shell's history and the process list: refused, unread."""
    if any(_CPR_SHAPED.fullmatch(term.strip()) for term in terms):
        raise CommandRefused("trail: a CPR number is never taken as an argument; give it on standard input with "
                             "--cpr-stdin (prompted, not echoed, on a terminal)")


def day(text: str | None, *, next_day: bool = False) -> datetime | None:
    """YYYY-MM-DD as the start of that day in Danish time (of the next day for an end)."""
    if not text:
        return None
    try:
        parsed = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CommandRefused(f"a date is written YYYY-MM-DD, got {text!r}") from None
    return datetime.combine(parsed + timedelta(days=1 if next_day else 0), time(0, 0), tzinfo=LOCAL)


def run_trail(robot: Robot, query: TrailQuery, terms: list[str], mail_id: int | None, operator: str, *,
              as_json: bool, out: TextIO) -> int:
    """The mails matching every term and field; one mail found (or --mail) is shown whole. Exit 1 when none."""
    trail = Trail(robot.settings.ledger.path, robot.services.ledger)
    try:
        if query.cpr:  # a search by a person's number is itself worth knowing about
            robot.services.ledger.audit("searched_by_cpr", actor=operator)
        if mail_id is None:
            found = _find(trail, query, terms)
            if len(found) != 1:
                return _print_found(found, as_json, out)
            mail_id = found[0].message_id
        history = trail.history(mail_id)
        robot.services.ledger.audit("trail_viewed", actor=operator, message_id=mail_id)
    finally:
        trail.close()
    record = mask_deep(_history_record(history))
    if as_json:
        print(json.dumps(record, ensure_ascii=False, indent=2), file=out)
    else:
        for line in _history_lines(record):
            print(line, file=out)
    return 0


def _find(trail: Trail, query: TrailQuery, terms: list[str]) -> list[MailFound]:
    """Each bare term may be a Message-ID, a queue id / reference, part of a sender or a case id; every term and
    every field given must match."""
    if not terms:
        return trail.find(query)
    matching: dict[int, MailFound] | None = None
    for term in terms:
        hits: dict[int, MailFound] = {}
        for asked in (replace(query, header_message_id=term), replace(query, source_ref=term),
                      replace(query, sender=term), replace(query, case_id=term)):
            for found in trail.find(asked):
                hits[found.message_id] = found
        matching = hits if matching is None else {key: hits[key] for key in matching if key in hits}
    return sorted((matching or {}).values(), key=lambda found: -found.message_id)


def _print_found(found: list[MailFound], as_json: bool, out: TextIO) -> int:
    if as_json:
        for mail in found:
            print(json.dumps(mask_deep({"mail": mail.message_id, "received": mail.received_at.isoformat(),
                                        "source_ref": mail.source_ref, "sender": mail.sender,
                                        "subject": mail.subject, "state": mail.state}), ensure_ascii=False), file=out)
        return 0 if found else 1
    if not found:
        print("no mail matches (a Message-ID is matched whole; a queue id, sender or case id in part or whole)",
              file=out)
        return 1
    rows = [(str(m.message_id), local_time(m.received_at), m.sender or "", m.subject or "", m.state,
             source_words(m.source_ref)) for m in found]
    for line in table(("MAIL", "RECEIVED", "SENDER", "SUBJECT", "STATE", "SOURCE"), rows):
        print(line, file=out)
    print(f"{len(found)} mails; lae-robot trail --mail MAIL shows one whole", file=out)
    return 0


def _history_record(history: MailHistory) -> dict[str, Any]:
    message = history.message
    return {
        "mail": message.id, "state": message.state.value, "received": message.received_at.isoformat(),
        "source": message.source, "source_ref": message.source_ref, "header_message_id": history.header_message_id,
        "sender": history.sender, "subject": history.subject, "raw_kept": message.raw is not None,
        "documents": [{"id": d.id, "name": d.name, "part": d.part, "state": d.state.value,
                       "outcome": d.outcome.value if d.outcome else None, "reason": d.reason, "detail": d.detail,
                       "cpr": mask_cpr(d.cpr) if d.cpr else None, "case_id": d.case_id,
                       "document_ref": d.document_ref} for d in history.documents],
        "escalations": [{"id": e.id, "reason": e.reason, "state": e.state, "opened": e.created_at.isoformat(),
                         "closed": e.closed_at.isoformat() if e.closed_at else None, "closed_by": e.closed_by,
                         "case_id": e.case_id, "note": e.note} for e in history.escalations],
        "notices": [{"kind": n.kind, "to": list(n.recipients), "subject": n.subject, "state": n.state,
                     "sent": n.sent_at.isoformat() if n.sent_at else None} for n in history.notices],
        "audit": [{"at": a.at.isoformat(), "actor": a.actor, "event": a.event, "document": a.document_id,
                   "escalation": a.escalation_id, "detail": a.detail} for a in history.audit],
    }


def _history_lines(record: dict[str, Any]) -> list[str]:
    at = datetime.fromisoformat
    lines = [f"mail {record['mail']} ({record['state']}): received {local_time(at(record['received']))} via "
             f"{source_words(record['source_ref']) or record['source']}",
             f"  from: {record['sender'] or '(unknown)'}", f"  subject: {record['subject'] or '(none)'}"]
    if record["header_message_id"]:
        lines.append(f"  message-id: <{record['header_message_id']}>")
    copies = [a for a in record["audit"] if a["event"] == "duplicate_received"]
    for copy in copies:
        lines.append(f"  received again {local_time(at(copy['at']))} (the same bytes, not processed twice) via "
                     f"{source_words(copy['detail'].get('source_ref')) or copy['detail'].get('source')}")
    if not record["raw_kept"]:
        lines.append("  the mail itself is no longer kept (retention)")
    if record["documents"]:
        lines.append("documents:")
    for d in record["documents"]:
        outcome = d["outcome"] or d["state"]
        where = f" in case {d['case_id']}" if d["case_id"] and outcome in ("filed", "duplicate") else ""
        why = f": {reason_words(d['reason'])}" if d["reason"] and outcome == "escalated" else ""
        lines.append(f"  {d['id']}: {d['name'] or '(the whole mail)'} {outcome}{where}{why}"
                     + (f" (CPR {d['cpr']})" if d["cpr"] else ""))
    if record["escalations"]:
        lines.append("escalations:")
    for e in record["escalations"]:
        closed = f", closed {local_time(at(e['closed']))} by {e['closed_by']}" if e["closed"] else ""
        lines.append(f"  {e['id']} ({e['state']}): {reason_words(e['reason'])}{closed}"
                     + (f", case {e['case_id']}" if e["case_id"] else "") + (f", note: {e['note']}" if e["note"] else ""))
    if record["notices"]:
        lines.append("notices:")
    for n in record["notices"]:
        sent = f" {local_time(at(n['sent']))}" if n["sent"] else ""
        lines.append(f"  {n['kind']} to {', '.join(n['to'])}: {n['state']}{sent}: {n['subject']}")
    lines.append("audit:")
    for a in record["audit"]:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(a["detail"].items()) if v not in (None, "", []) and k != "sha256")
        lines.append(f"  {local_time(at(a['at']))}  {a['actor']:<12}  {a['event']}" + (f"  {detail}" if detail else ""))
    return lines
