"""`lae-robot requests`: the request register for people: open (or all) requests, and one request's life."""

from __future__ import annotations

import json
from typing import Any, TextIO

from robot.app import Robot
from robot.commands.refused import CommandRefused
from robot.commands.shown import LOCAL, local_time, table
from robot.ledger.records import RecordError
from robot.ledger.request_records import RequestState, StoredRequest
from robot.privacy import mask_cpr, mask_deep

LIST_HEADER = ("ID", "STATE", "CPR", "CASE", "FORM", "ADDRESSEE", "SENT", "DEADLINE", "LATE")


def list_requests(robot: Robot, *, show_all: bool, as_json: bool, out: TextIO) -> int:
    """Open requests (or all), by number: a header row, then one row each; --json one object a line."""
    register = robot.services.ledger.requests
    requests = register.all(None if show_all else RequestState.OPEN)
    today = robot.services.clock().astimezone(LOCAL).date()
    records = [_record(request, today) for request in requests]
    if as_json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False), file=out)
        return 0
    if not records:
        print("no open requests" if not show_all else "no requests", file=out)
        return 0
    rows = [(str(r["id"]), r["state"], r["cpr"], r["case_id"] or "", f"LÆ {r['request_form']} -> {r['answer_form']}",
             r["addressee"] or "", r["sent_on"], r["deadline"], "yes" if r["late"] else "") for r in records]
    for line in table(LIST_HEADER, rows):
        print(line, file=out)
    return 0


def show_request(robot: Robot, request_id: int, out: TextIO, *, as_json: bool = False) -> int:
    """One request: what it asked, of whom and when, what became of it, and its audit events."""
    ledger = robot.services.ledger
    try:
        request = ledger.requests.get(request_id)
    except RecordError as error:
        raise CommandRefused(f"requests show: {error}") from None
    record = _record(request, robot.services.clock().astimezone(LOCAL).date())
    record["history"] = [{"at": local_time(entry.at), "event": entry.event}
                         for entry in ledger.audit_trail() if entry.detail.get("request_id") == request_id]
    record = mask_deep(record)
    if as_json:
        print(json.dumps(record, ensure_ascii=False), file=out)
        return 0
    for key, value in record.items():
        if key != "history":
            print(f"{key}: {value if value is not None else ''}", file=out)
    print("history:", file=out)
    for event in record["history"]:
        print(f"  {event['at']}  {event['event']}", file=out)
    return 0


def _record(request: StoredRequest, today: Any) -> dict[str, Any]:
    return {
        "id": request.id, "state": request.state.value, "cpr": mask_cpr(request.cpr), "case_id": request.case_id,
        "request_form": request.request_form, "answer_form": request.answer_form, "addressee": request.addressee,
        "sent_on": request.sent_on.isoformat(), "deadline": request.deadline.isoformat(),
        "late": request.state is RequestState.OPEN and request.deadline < today, "source": request.source.value,
        "notify_to": list(request.notify_to), "closed_at": local_time(request.closed_at) or None,
        "answered_by_document": request.answered_by, "turnaround_days": request.turnaround_days,
        "overdue_told_at": local_time(request.overdue_at) or None,
    }
