"""All operators' rule files loaded together and cross-checked into one Rulebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from robot.decisions.routing import Route, load_routing
from robot.decisions.senders import SenderRules, load_senders
from robot.decisions.templates import Template, load_templates
from robot.rules.catalogue import Catalogue, load_catalogue
from robot.rules.request_rules import RequestRules, load_request_rules
from robot.rules.rulefile import RuleFileError, RuleProblem

RULE_FILES = ("blankets.toml", "senders.toml", "routing.toml", "requests.toml")  # requests.toml: optional
TEMPLATE_FOLDER = "templates"


@dataclass(frozen=True)
class Rulebook:
    """Everything the operators decide, validated as a whole."""

    catalogue: Catalogue
    senders: SenderRules
    routes: tuple[Route, ...]
    templates: dict[str, Template]
    requests: RequestRules = RequestRules()


def load_rulebook(folder: Path) -> Rulebook:
    """Load every rule file in `folder`; raises RuleFileError with every problem in every file."""
    problems: list[RuleProblem] = []
    if not folder.is_dir():
        raise RuleFileError([RuleProblem(str(folder), 0, "rule folder does not exist")])
    for path in sorted(folder.glob("*.toml")):
        if path.name not in RULE_FILES:
            problems.append(RuleProblem(str(path), 1, f"unknown rule file (expected one of {list(RULE_FILES)})"))
    catalogue = _collect(problems, lambda: load_catalogue(_required(folder / "blankets.toml")))
    senders = _collect(problems, lambda: load_senders(_required(folder / "senders.toml")))
    known_forms = set(catalogue.blankets) if catalogue else None
    known_senders = {o.name for o in senders.organisations} if senders else None
    routes = _collect(problems, lambda: load_routing(_required(folder / "routing.toml"), known_forms, known_senders))
    templates = _collect(problems, lambda: load_templates(folder / TEMPLATE_FOLDER))
    request_forms = set(catalogue.request_pairs()) if catalogue else None
    requests = _collect(problems, lambda: load_request_rules(folder / "requests.toml", request_forms, known_senders))
    if problems or catalogue is None or senders is None or routes is None or templates is None or requests is None:
        raise RuleFileError(problems)
    return Rulebook(catalogue=catalogue, senders=senders, routes=routes, templates=templates, requests=requests)


def _required(path: Path) -> Path:
    if not path.exists():
        raise RuleFileError([RuleProblem(str(path), 0, "required rule file is missing")])
    return path


def _collect(problems: list[RuleProblem], load):  # type: ignore[no-untyped-def]
    try:
        return load()
    except RuleFileError as error:
        problems.extend(error.problems)
        return None
