"""The operators' request rules from rules/requests.toml: answer deadlines per form and sender organisation, and
which addressees get a reminder mail when a request is late."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from robot.rules.rulefile import RuleFile, RuleFileError, RuleProblem

COUNTS = ("calendar", "working")
MINIMUM_DAYS = 8  # the shortest answer deadline doctors are told (LÆ 285: never under 8 days)
# The deadlines doctors are told (DOMAIN.md), used when the operators' folder has no requests.toml.
DEFAULT_DAYS = {"121": 14, "131": 30, "141": 30, "221": 14, "261": 30, "281": 14}
_TOP_KEYS = {"count", "deadline", "addressee"}
_DEADLINE_KEYS = {"form", "days", "count", "organisation"}
_ADDRESSEE_KEYS = {"organisation", "reminder", "reminder_to"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Deadline:
    """How long the addressee has to answer one request form: days, counted as calendar or working days."""

    form: str
    days: int
    count: str = "calendar"
    organisation: str | None = None  # None: every organisation without its own

    def due(self, sent_on: date) -> date:
        """The last day the answer is in time. Working days are Monday to Friday; public holidays are counted
        as working days (the robot keeps no holiday calendar)."""
        if self.count == "calendar":
            return sent_on + timedelta(days=self.days)
        day, left = sent_on, self.days
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return day


@dataclass(frozen=True)
class Addressee:
    """An organisation requests are sent to, and whether (and where) it is reminded of a late one."""

    organisation: str
    reminder: bool = False
    reminder_to: str | None = None


@dataclass(frozen=True)
class RequestRules:
    """Deadlines and reminders, as data."""

    deadlines: tuple[Deadline, ...] = field(default=tuple(Deadline(f, d) for f, d in DEFAULT_DAYS.items()))
    addressees: tuple[Addressee, ...] = ()

    def deadline_for(self, form: str, organisation: str | None) -> Deadline | None:
        """The organisation's own deadline for the form, else the form's; None when the form has none."""
        own = [d for d in self.deadlines if d.form == form and organisation is not None
               and d.organisation is not None and d.organisation.lower() == organisation.lower()]
        general = [d for d in self.deadlines if d.form == form and d.organisation is None]
        found = own or general
        return found[0] if found else None

    def reminder_to(self, organisation: str | None) -> str | None:
        """Where a late request to the organisation is reminded (None: reminders are off for it)."""
        for addressee in self.addressees:
            if organisation is not None and addressee.organisation.lower() == organisation.lower():
                return addressee.reminder_to if addressee.reminder else None
        return None


def load_request_rules(path: Path, request_forms: set[str] | None = None,
                       known_senders: set[str] | None = None) -> RequestRules:
    """Read and validate rules/requests.toml (the built-in defaults when the file is absent); forms and
    organisations are checked against the other rule files."""
    if not path.exists():
        return RequestRules()
    rules = RuleFile.read(path)
    problems: list[RuleProblem] = []
    data = rules.data
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(rules.problem(f"unknown key '{key}' (expected one of {sorted(_TOP_KEYS)})", key=key))
    count = data.get("count", "calendar")
    if count not in COUNTS:
        problems.append(rules.problem(f"'count' must be one of {list(COUNTS)}, got {count!r}", key="count"))
        count = "calendar"
    deadlines = _deadlines(rules, problems, data.get("deadline", []), str(count), request_forms, known_senders)
    addressees = _addressees(rules, problems, data.get("addressee", []), known_senders)
    general = {d.form for d in deadlines if d.organisation is None}
    for form in sorted((request_forms or set()) - general):
        problems.append(rules.problem(f"request form {form} has no [[deadline]] without 'organisation' (every "
                                      "request form in blankets.toml needs one)", key="deadline"))
    if problems:
        raise RuleFileError(problems)
    return RequestRules(tuple(deadlines), tuple(addressees))


def _deadlines(rules: RuleFile, problems: list[RuleProblem], entries: Any, count: str,
               request_forms: set[str] | None, known_senders: set[str] | None) -> list[Deadline]:
    if not isinstance(entries, list):
        problems.append(rules.problem("'deadline' must be an array of tables: [[deadline]]", key="deadline"))
        return []
    deadlines: list[Deadline] = []
    seen: set[tuple[str, str | None]] = set()
    for index, entry in enumerate(entries):
        def problem(message: str, key: str | None = None, index: int = index) -> None:
            problems.append(rules.problem(message, "deadline", index, key))

        if not isinstance(entry, dict):
            problem("each 'deadline' must be a table")
            continue
        for key in sorted(set(entry) - _DEADLINE_KEYS):
            problem(f"unknown key '{key}' in [[deadline]] (expected one of {sorted(_DEADLINE_KEYS)})", key)
        form = entry.get("form")
        if not isinstance(form, str) or (request_forms is not None and form not in request_forms):
            problem(f"'form' must be a request form of blankets.toml (one with an 'answer'), got {form!r}",
                    "form" if "form" in entry else None)
            continue
        days = entry.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days < MINIMUM_DAYS:
            problem(f"'days' must be a whole number of at least {MINIMUM_DAYS}, got {days!r}",
                    "days" if "days" in entry else None)
            continue
        own_count = entry.get("count", count)
        if own_count not in COUNTS:
            problem(f"'count' must be one of {list(COUNTS)}, got {own_count!r}", "count")
            own_count = count
        organisation = entry.get("organisation")
        if organisation is not None and (not isinstance(organisation, str) or (
                known_senders is not None and organisation not in known_senders)):
            problem(f"'organisation' {organisation!r} is no organisation in senders.toml", "organisation")
            continue
        if (form, organisation) in seen:
            problem(f"a second deadline for LÆ {form}" + (f" and {organisation}" if organisation else ""), "form")
        seen.add((form, organisation))
        deadlines.append(Deadline(form, days, str(own_count), organisation))
    return deadlines


def _addressees(rules: RuleFile, problems: list[RuleProblem], entries: Any,
                known_senders: set[str] | None) -> list[Addressee]:
    if not isinstance(entries, list):
        problems.append(rules.problem("'addressee' must be an array of tables: [[addressee]]", key="addressee"))
        return []
    addressees: list[Addressee] = []
    for index, entry in enumerate(entries):
        def problem(message: str, key: str | None = None, index: int = index) -> None:
            problems.append(rules.problem(message, "addressee", index, key))

        if not isinstance(entry, dict):
            problem("each 'addressee' must be a table")
            continue
        for key in sorted(set(entry) - _ADDRESSEE_KEYS):
            problem(f"unknown key '{key}' in [[addressee]] (expected one of {sorted(_ADDRESSEE_KEYS)})", key)
        organisation = entry.get("organisation")
        if not isinstance(organisation, str) or (known_senders is not None and organisation not in known_senders):
            problem(f"'organisation' must name an organisation in senders.toml, got {organisation!r}",
                    "organisation" if "organisation" in entry else None)
            continue
        reminder = entry.get("reminder", False)
        if not isinstance(reminder, bool):
            problem("'reminder' must be true or false", "reminder")
            reminder = False
        reminder_to = entry.get("reminder_to")
        if reminder_to is not None and (not isinstance(reminder_to, str) or not _EMAIL.match(reminder_to)):
            problem("'reminder_to' must be a mail address", "reminder_to")
            reminder_to = None
        if reminder and reminder_to is None:
            problem("reminder = true needs a 'reminder_to' mail address", "reminder")
        addressees.append(Addressee(organisation, reminder, reminder_to))
    return addressees
