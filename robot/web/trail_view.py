"""The trail: find a mail (by POST, so nothing typed lands in a URL) and read its whole history (operators)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from aiohttp import web

from robot.ledger.records import DocumentOutcome
from robot.ledger.trail import TrailQuery
from robot.web.context import desk_of, render, user_of
from robot.web.words import LOCAL, event_words, local_time, reason_words, state_words

_DIGITS = re.compile(r"\D")


def _operator(request: web.Request) -> None:
    if user_of(request).role != "operator":
        raise web.HTTPForbidden(reason="Sporet er for driftens operatører.")


async def search_form(request: web.Request) -> web.StreamResponse:
    _operator(request)
    return render(request, "trail.html", title="Spor", found=None, values={})


async def search(request: web.Request) -> web.StreamResponse:
    _operator(request)
    desk = desk_of(request)
    form = await request.post()
    values = {key: str(form.get(key, "")).strip() for key in ("message_id", "ref", "sender", "fra", "til", "sag")}
    cpr = _DIGITS.sub("", str(form.get("cpr", "")))
    problem = None
    try:
        query = TrailQuery(header_message_id=values["message_id"] or None, source_ref=values["ref"] or None,
                           sender=values["sender"] or None, received_from=_day(values["fra"]),
                           received_to=_day(values["til"], next_day=True), case_id=values["sag"] or None,
                           cpr=cpr or None)
    except ValueError:
        query, problem = TrailQuery(), "Datoer skrives som ÅÅÅÅ-MM-DD."
    if cpr and len(cpr) != 10:
        query, problem = TrailQuery(), "Et CPR-nummer har ti cifre."
    if cpr and problem is None:  # a search by a person's number is itself worth knowing about
        desk.services.ledger.audit("desk_searched_by_cpr", actor=user_of(request).name)
    found = desk.trail.find(query) if problem is None else []
    rows = [{"id": f.message_id, "received": local_time(f.received_at), "ref": f.source_ref or "",
             "sender": f.sender or "", "subject": f.subject or "", "state": state_words(f.state)} for f in found]
    return render(request, "trail.html", title="Spor", found=rows, values=values, problem=problem,
                  searched=not query.empty)


async def history(request: web.Request) -> web.StreamResponse:
    _operator(request)
    desk = desk_of(request)
    try:
        message_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(reason="Mailen findes ikke.") from None
    mail = desk.trail.history(message_id)
    desk.services.ledger.audit("desk_viewed_trail", actor=user_of(request).name, message_id=message_id)
    documents = [{"id": d.id, "name": d.name or ("(hele mailen)" if not d.part else d.part), "part": d.part,
                  "state": state_words(d.state.value), "outcome": state_words(d.outcome.value) if d.outcome else "",
                  "reason": reason_words(d.reason) if d.reason and d.outcome is not DocumentOutcome.FILED else "",
                  "detail": d.detail if d.outcome is not DocumentOutcome.FILED else "",
                  "case_id": d.case_id or "", "ref": d.document_ref or "", "form": str(d.blanket or ""),
                  "decision": d.decision} for d in mail.documents]
    escalations = [{"id": e.id, "reason": reason_words(e.reason), "state": state_words(e.state),
                    "opened": local_time(e.created_at), "closed": local_time(e.closed_at), "by": e.closed_by or "",
                    "case_id": e.case_id or "", "note": e.note or ""} for e in mail.escalations]
    notices = [{"kind": n.kind, "to": ", ".join(n.recipients), "subject": n.subject, "state": state_words(n.state),
                "sent": local_time(n.sent_at)} for n in mail.notices]
    audit = [{"at": local_time(a.at), "seconds": a.at.astimezone(LOCAL).strftime("%S"), "actor": a.actor,
              "event": event_words(a.event), "document": a.document_id or "", "escalation": a.escalation_id or "",
              "detail": _detail(a.detail)} for a in mail.audit]
    return render(request, "history.html", title=f"Spor for mail {message_id}", mail=mail,
                  received=local_time(mail.message.received_at), state=state_words(mail.message.state.value),
                  documents=documents, escalations=escalations, notices=notices, audit=audit,
                  filed=request.query.get("arkiveret"))


def _day(text: str, *, next_day: bool = False) -> datetime | None:
    """A date typed as YYYY-MM-DD, the start of that day in Danish time (or of the next, for "til")."""
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").date() + timedelta(days=1 if next_day else 0)
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL)


def _detail(detail: dict[str, object]) -> str:
    shown = {k: v for k, v in detail.items() if v not in (None, "", []) and k not in ("sha256",)}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
