"""The desk's words for the robot's values: reasons, verdicts, states and times in Danish, local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from robot.model import CprVerdict, Reason
from robot.notify.reasons import reason_text

LOCAL = ZoneInfo("Europe/Copenhagen")

VERDICTS = {
    CprVerdict.ACCEPTED: "læst som borgerens",
    CprVerdict.DOUBTFUL: "tvivlsomt: stopper",
    CprVerdict.INVALID: "ugyldigt: stopper",
    CprVerdict.OTHER_PERSON: "en anden persons: stopper",
    CprVerdict.REJECTED: "ikke et CPR-nummer",
}
STATES = {
    "open": "åben", "resolved": "arkiveret i hånden", "rejected": "afvist",
    "received": "modtaget", "extracted": "læst", "decided": "besluttet", "filed": "arkiveret",
    "escalated": "eskaleret", "duplicate": "dublet", "notified": "besked sendt", "done": "færdig",
    "pending": "venter", "sent": "sendt", "failed": "opgivet",
}
EVENTS = {
    "received": "modtaget", "duplicate_received": "modtaget igen (samme bytes)", "parsed": "læst som mail",
    "document_received": "dokument fundet", "document_extracted": "dokument læst", "document_decided": "besluttet",
    "document_filed": "arkiveret", "document_escalated": "eskaleret", "document_duplicate": "dublet",
    "document_notified": "besked lagt i udbakken", "escalation_opened": "eskalering åbnet",
    "escalation_resolved": "eskalering løst", "escalation_rejected": "eskalering afvist",
    "reopened": "sendt gennem robotten igen", "deferred": "udsat (arkivet svarede ikke)", "finished": "færdig",
    "desk_viewed_escalation": "set på skrivebordet", "desk_viewed_page": "side vist på skrivebordet",
    "desk_revealed_page": "side vist med fuldt CPR-nummer", "desk_refused": "adgang nægtet på skrivebordet",
    "desk_searched_by_cpr": "søgning på CPR-nummer",
    "desk_viewed_trail": "sporet set på skrivebordet", "desk_revealed_cpr": "fuldt CPR-nummer vist på skrivebordet",
    "raw_purged": "rå mail slettet (opbevaring)",
}


def reason_words(reason: str) -> str:
    try:
        return reason_text(Reason(reason))
    except ValueError:
        return reason


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL).strftime("%d.%m.%Y %H:%M") if moment else ""


def age(moment: datetime, now: datetime) -> str:
    """How long ago, in Danish: "12 min", "3 t 5 min", "2 dage"."""
    seconds = max(0, int((now - moment) / timedelta(seconds=1)))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} t {seconds % 3600 // 60} min"
    days = seconds // 86400
    return f"{days} dag" if days == 1 else f"{days} dage"


def state_words(state: str) -> str:
    return STATES.get(state, state)


def event_words(event: str) -> str:
    return EVENTS.get(event, event)
