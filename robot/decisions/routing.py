"""The operators' routes, loaded from rules/routing.toml and matched first-match-wins with an explanation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.rules.rulefile import RuleFile, RuleFileError, RuleProblem

ACTIONS = ("file", "escalate")
KINDS = ("attest", "anmodning", "kvittering", "andet")
NOTIFY = ("caseworker", "team", "none")
_ROUTE_KEYS = {"name", "forms", "kinds", "senders", "mailboxes", "action", "case_types", "notify", "team_mailbox",
               "form_from_subject"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Route:
    """One route: what it matches (empty = anything) and what it decides."""

    name: str
    forms: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    mailboxes: tuple[str, ...] = ()
    action: str = "escalate"
    case_types: tuple[str, ...] = ()
    notify: str = "caseworker"
    team_mailbox: str | None = None
    form_from_subject: bool = False

    def mismatch(self, form: str | None, kind: str | None, sender: str | None, mailbox: str | None) -> str | None:
        """None when the route matches; otherwise which condition failed, in words."""
        for label, wanted, actual in (("form", self.forms, form), ("kind", self.kinds, kind),
                                      ("sender", self.senders, sender), ("mailbox", self.mailboxes, mailbox)):
            if wanted and (actual is None or actual.lower() not in {w.lower() for w in wanted}):
                return f"{label} {actual!r} not in {list(wanted)}"
        return None


@dataclass(frozen=True)
class RouteMatch:
    """The route that decided (None: no route matched) and why each earlier route did not."""

    route: Route | None
    passed_over: tuple[tuple[str, str], ...]


def match_route(routes: tuple[Route, ...], form: str | None, kind: str | None, sender: str | None,
                mailbox: str | None) -> RouteMatch:
    passed_over: list[tuple[str, str]] = []
    for route in routes:
        why_not = route.mismatch(form, kind, sender, mailbox)
        if why_not is None:
            return RouteMatch(route, tuple(passed_over))
        passed_over.append((route.name, why_not))
    return RouteMatch(None, tuple(passed_over))


def load_routing(path: Path, known_forms: set[str] | None = None,
                 known_senders: set[str] | None = None) -> tuple[Route, ...]:
    """Read and validate the routes; forms and sender names are checked against the other rule files."""
    rules = RuleFile.read(path)
    problems: list[RuleProblem] = []
    for key in sorted(set(rules.data) - {"route"}):
        problems.append(rules.problem(f"unknown key '{key}' (expected [[route]] tables)", key=key))
    entries = rules.data.get("route", [])
    if not isinstance(entries, list):
        problems.append(rules.problem("'route' must be an array of tables: [[route]]", key="route"))
        entries = []
    routes = [_route(rules, problems, index, entry, known_forms, known_senders) for index, entry in enumerate(entries)]
    names = [r.name for r in routes if r is not None]
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append(rules.problem(f"route name {name!r} is used twice", "route", index, "name"))
    if problems:
        raise RuleFileError(problems)
    return tuple(r for r in routes if r is not None)


def _route(rules: RuleFile, problems: list[RuleProblem], index: int, entry: Any, known_forms: set[str] | None,
           known_senders: set[str] | None) -> Route | None:
    def problem(message: str, key: str | None = None) -> None:
        problems.append(rules.problem(message, "route", index, key))

    if not isinstance(entry, dict):
        problem("each 'route' must be a table")
        return None
    for key in sorted(set(entry) - _ROUTE_KEYS):
        problem(f"unknown key '{key}' in [[route]] (expected one of {sorted(_ROUTE_KEYS)})", key)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problem("'name' must be a non-empty string", "name" if "name" in entry else None)
        name = f"route {index + 1}"
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("forms", "kinds", "senders", "mailboxes", "case_types"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problem(f"'{key}' must be a list of non-empty strings", key)
            value = []
        lists[key] = tuple(v.strip() for v in value)
    for kind in lists["kinds"]:
        if kind.lower() not in KINDS:
            problem(f"kind {kind!r} is not one of {list(KINDS)}", "kinds")
    for form in lists["forms"]:
        if known_forms is not None and form not in known_forms:
            problem(f"form {form!r} is not in blankets.toml", "forms")
    for sender in lists["senders"]:
        if known_senders is not None and sender not in known_senders:
            problem(f"sender {sender!r} is no organisation in senders.toml", "senders")
    action = entry.get("action", "escalate")
    if action not in ACTIONS:
        problem(f"'action' must be one of {list(ACTIONS)}, got {action!r}", "action")
    notify = entry.get("notify", "caseworker")
    if notify not in NOTIFY:
        problem(f"'notify' must be one of {list(NOTIFY)}, got {notify!r}", "notify")
    team_mailbox = entry.get("team_mailbox")
    if team_mailbox is not None and (not isinstance(team_mailbox, str) or not _EMAIL.match(team_mailbox)):
        problem("'team_mailbox' must be a mail address", "team_mailbox")
        team_mailbox = None
    if action == "file" and not lists["case_types"]:
        problem("a route that files must name the 'case_types' it may file into", "action")
    if action == "file" and notify == "team" and team_mailbox is None:
        problem("notify = \"team\" needs a 'team_mailbox'", "notify")
    form_from_subject = entry.get("form_from_subject", False)
    if not isinstance(form_from_subject, bool):
        problem("'form_from_subject' must be true or false", "form_from_subject")
        form_from_subject = False
    return Route(name=name.strip(), forms=lists["forms"], kinds=lists["kinds"], senders=lists["senders"],
                 mailboxes=lists["mailboxes"], action=str(action), case_types=lists["case_types"], notify=str(notify),
                 team_mailbox=team_mailbox, form_from_subject=form_from_subject)
