"""Reads what a request document says about the request it records: a portal's receipt (kvittering) or a copy of
the anmodning form itself: the forms asked for, the addressee organisation and the date it was sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from robot.decisions.rulebook import Rulebook
from robot.model import Extraction

# "Afsendt: 28-11-2026", "Sendt den 28.11.2026 kl. 10:15", "Dato for afsendelse: 28/11/2026"
_SENT = re.compile(r"\b(?:afsendt|sendt|afsendelse|dato)\b[^\d\n]{0,30}(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})",
                   re.IGNORECASE)
# "Modtager: Region Nordjylland, Psykiatrien", "Sendt til: Lægehuset ..."
_ADDRESSEE = re.compile(r"\b(?:modtager|sendt til|afsendt til)\s*:\s*(.+)", re.IGNORECASE)


@dataclass(frozen=True)
class RequestFacts:
    """One request as a document tells it."""

    request_form: str
    answer_form: str
    addressee: str | None
    sent_on: date


def receipt_facts(extraction: Extraction, rules: Rulebook, received: date) -> RequestFacts | str:
    """The request a receipt acknowledges, or why it cannot be told. The receipt must name exactly one request
    form or the certificate it asks for (LÆ 121 or LÆ 125); the addressee ("Modtager: ...") and the date it was
    sent ("Afsendt: DD-MM-YYYY") are read when printed, else the addressee is unknown and the day the receipt
    arrived stands for the sending day."""
    catalogue = rules.catalogue
    pairs: set[tuple[str, str]] = set()
    for mention in (extraction.blanket.mentions if extraction.blanket else ()):
        code = mention.code or ""
        answer = catalogue.request_pairs().get(code)
        if answer is not None:
            pairs.add((code, answer))
        elif (request := catalogue.request_answered_by(code)) is not None:
            pairs.add((request, code))
    if len(pairs) != 1:
        named = ", ".join(f"LÆ {request}->{answer}" for request, answer in sorted(pairs)) or "none"
        return f"the receipt must name exactly one requested form (found: {named})"
    request_form, answer_form = pairs.pop()
    lines = [line.text for line in extraction.content.lines] if extraction.content else []
    return RequestFacts(request_form, answer_form, _addressee(lines, rules), _sent_on(lines) or received)


def copy_facts(extraction: Extraction, rules: Rulebook, recipients: tuple[str, ...],
               received: date) -> RequestFacts | str:
    """The request an outgoing copy of an anmodning form records: its form, the organisation of the mail's
    addressee (by the sender rules' domains, else the form's "Modtager:" line) and the day the copy arrived."""
    blanket = extraction.blanket
    code = blanket.code if blanket else None
    answer = rules.catalogue.request_pairs().get(code or "")
    if code is None or answer is None:
        return f"LÆ {code} is no request form with an 'answer' in blankets.toml"
    organisations = {o.name for recipient in recipients if "@" in recipient
                     if (o := rules.senders.organisation_for(recipient.rsplit("@", 1)[1])) is not None}
    lines = [line.text for line in extraction.content.lines] if extraction.content else []
    addressee = organisations.pop() if len(organisations) == 1 else _addressee(lines, rules)
    return RequestFacts(code, answer, addressee, received)


def _addressee(lines: list[str], rules: Rulebook) -> str | None:
    """The organisation of senders.toml named on the "Modtager:" line, else that line's text."""
    for line in lines:
        found = _ADDRESSEE.search(line)
        if found:
            text = " ".join(found.group(1).split())
            for organisation in rules.senders.organisations:
                if organisation.name.lower() in text.lower():
                    return organisation.name
            return text[:120] or None
    return None


def _sent_on(lines: list[str]) -> date | None:
    for line in lines:
        found = _SENT.search(line)
        if found:
            day, month, year = (int(part) for part in found.groups())
            try:
                return datetime(year, month, day).date()
            except ValueError:
                continue
    return None
