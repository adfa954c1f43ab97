"""The queue: open escalations oldest first, with the reason in words, sender, subject, file, time and age."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from robot.ledger.records import EscalationState
from robot.web.access import may_see, teams_of
from robot.web.context import Desk, desk_of, render, user_of
from robot.web.words import age, local_time, reason_words


@dataclass(frozen=True)
class QueueRow:
    id: int
    reason: str
    reason_text: str
    organisation: str
    subject: str
    file_name: str
    received: str
    age: str
    teams: tuple[str, ...]


async def queue(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    user = user_of(request)
    reason_filter = request.query.get("aarsag", "")
    team_filter = request.query.get("team", "")
    rows = await open_rows(desk)
    visible = [row for row, teams in rows if may_see(user, teams)]
    reasons = sorted({(row.reason, row.reason_text) for row in visible})
    teams = sorted({team for row in visible for team in row.teams})
    shown = [row for row in visible if (not reason_filter or row.reason == reason_filter)
             and (not team_filter or team_filter in row.teams)]
    done = None
    if request.query.get("arkiveret"):
        done = f"Dokumentet er arkiveret i sag {request.query['arkiveret'][:64]}."
    elif request.query.get("afvist"):
        done = "Eskaleringen er afvist."
    return render(request, "queue.html", title="Kø", rows=shown, reasons=reasons, teams=teams,
                  reason_filter=reason_filter, team_filter=team_filter, total=len(visible), done=done)


async def open_rows(desk: Desk) -> list[tuple[QueueRow, frozenset[str]]]:
    """Every open escalation as a row, oldest mail first, with the teams that may see it."""
    services = desk.services
    ledger = services.ledger
    now = services.clock()
    known: dict[str, frozenset[str]] = {}
    rows = []
    for escalation in ledger.escalations(EscalationState.OPEN):
        message = ledger.message(escalation.message_id)
        noted = desk.trail.noted(message.id)
        document = ledger.document(escalation.document_id) if escalation.document_id is not None else None
        names = [d.name for d in ledger.documents(message.id) if d.name]
        sender = noted.get("sender") or message.envelope_sender or ""
        organisation = document.decision.organisation if document and document.decision else None
        if not organisation and "@" in sender:
            known_org = services.rules().senders.organisation_for(sender.rsplit("@", 1)[1])
            organisation = known_org.name if known_org else None
        teams = await teams_of(services, escalation, known)
        rows.append((message.received_at, escalation.id, QueueRow(
            id=escalation.id, reason=escalation.reason, reason_text=reason_words(escalation.reason),
            organisation=organisation or sender or "ukendt afsender", subject=str(noted.get("subject") or ""),
            file_name=(document.name if document and document.name else ", ".join(names)),
            received=local_time(message.received_at), age=age(message.received_at, now),
            teams=tuple(sorted(teams))), teams))
    rows.sort(key=lambda item: (item[0], item[1]))
    return [(row, teams) for _, _, row, teams in rows]
