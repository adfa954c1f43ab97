"""RulebookHolder: edits to the rule folder take effect without a restart; an edit that does not validate is
refused once, loudly, and the rules already in force stay in force."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from robot.decisions.holder import RulebookHolder
from robot.decisions.routing import match_route
from robot.rules.rulefile import RuleFileError

RULES = Path(__file__).parents[2] / "rules"
NEW_ROUTE = """
[[route]]
name = "kronisk-til-team"
forms = ["225"]
action = "file"
case_types = ["sygedagpenge"]
notify = "team"
team_mailbox = "kronisk@kommune.example"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


class Refusals:
    def __init__(self) -> None:
        self.errors: list[RuleFileError] = []

    def __call__(self, error: RuleFileError) -> None:
        self.errors.append(error)


def rewrite(path: Path, text: str, bump: int = 1) -> None:
    """Write `text` and move the mtime clearly forward, so even a coarse clock sees the change."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    later = before + bump * 2_000_000_000
    os.utime(path, ns=(later, later))


def route_names(holder: RulebookHolder) -> list[str]:
    return [r.name for r in holder.current().routes]


def test_unchanged_files_give_the_same_rulebook_object(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    first = holder.current()
    assert holder.current() is first and holder.current() is first
    assert refusals.errors == []


def test_a_valid_edit_is_picked_up(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    before = holder.current()
    matched = match_route(before.routes, "225", "attest", "Region Nordjylland", None).route
    assert matched is not None and matched.name == "attester-til-sygedagpenge-og-afklaring"
    routing = folder / "routing.toml"
    rewrite(routing, NEW_ROUTE + routing.read_text(encoding="utf-8"))
    after = holder.current()
    assert after is not before
    assert route_names(holder)[0] == "kronisk-til-team"
    matched = match_route(after.routes, "225", "attest", "Region Nordjylland", None).route
    assert matched is not None and matched.name == "kronisk-til-team"
    assert matched.team_mailbox == "kronisk@kommune.example"
    assert holder.current() is after  # and it stays loaded
    assert refusals.errors == []


def test_a_valid_template_edit_is_picked_up(folder: Path) -> None:
    holder = RulebookHolder(folder, Refusals())
    path = folder / "templates" / "caseworker_notice.txt"
    rewrite(path, path.read_text(encoding="utf-8").replace("Subject: Ny lægeattest", "Subject: Ny attest"))
    subject, _ = holder.current().templates["caseworker_notice"].render(
        case_id="SAG-1", form="LÆ 125", form_title="Statusattest", sender_organisation="Region Nordjylland",
        received="i dag", document_ref="x", warnings="")
    assert subject == "Ny attest journaliseret i sag SAG-1"


def test_an_invalid_edit_keeps_the_old_rules_and_is_reported_once(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    before = holder.current()
    routing = folder / "routing.toml"
    original = routing.read_text(encoding="utf-8")
    rewrite(routing, original.replace('action = "escalate"', 'action = "ignore"'))

    assert holder.current() is before
    assert len(refusals.errors) == 1
    (problem,) = refusals.errors[0].problems
    assert problem.file == str(routing) and "'action' must be one of" in problem.message
    lines = routing.read_text(encoding="utf-8").splitlines()
    assert lines[problem.line - 1] == 'action = "ignore"'

    # asked again while the file is unchanged: the same old rules, and no second report
    assert holder.current() is before
    assert holder.current() is before
    assert len(refusals.errors) == 1


def test_fixing_the_file_after_a_refusal_loads_the_new_rules(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    before = holder.current()
    routing = folder / "routing.toml"
    original = routing.read_text(encoding="utf-8")
    rewrite(routing, NEW_ROUTE.replace('team_mailbox = "kronisk@kommune.example"\n', "") + original)
    assert holder.current() is before and len(refusals.errors) == 1
    assert "team_mailbox" in refusals.errors[0].problems[0].message

    rewrite(routing, NEW_ROUTE + original, bump=2)
    after = holder.current()
    assert after is not before and route_names(holder)[0] == "kronisk-til-team"
    assert len(refusals.errors) == 1


def test_a_second_different_invalid_edit_is_reported_again(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    before = holder.current()
    senders = folder / "senders.toml"
    original = senders.read_text(encoding="utf-8")
    rewrite(senders, original.replace('domains = ["rn.dk"]', 'domains = ["rn dk"]'))
    assert holder.current() is before
    rewrite(senders, original.replace('domains = ["rn.dk"]', 'domains = ["rn.dk", "regionh.dk"]'), bump=2)
    assert holder.current() is before
    assert [e.problems[0].message for e in refusals.errors] == [
        "'rn dk' is not a domain name (ASCII, e.g. \"rn.dk\")",
        "domain regionh.dk is also listed under 'Region Nordjylland'",
    ]


def test_a_stray_rule_file_is_refused_and_removing_it_restores_reloading(folder: Path) -> None:
    refusals = Refusals()
    holder = RulebookHolder(folder, refusals)
    before = holder.current()
    stray = folder / "routing.toml.toml"
    stray.write_text("", encoding="utf-8")
    assert holder.current() is before and len(refusals.errors) == 1
    assert "unknown rule file" in refusals.errors[0].problems[0].message
    stray.unlink()
    routing = folder / "routing.toml"
    rewrite(routing, NEW_ROUTE + routing.read_text(encoding="utf-8"))
    assert route_names(holder)[0] == "kronisk-til-team"


def test_invalid_rules_at_start_up_are_refused(folder: Path) -> None:
    (folder / "blankets.toml").write_text('prefixes = ["LÆ"]\n[[blanket]]\ncode = "12"\n', encoding="utf-8")
    with pytest.raises(RuleFileError):
        RulebookHolder(folder, Refusals())


def test_a_refused_edit_stays_a_problem_for_health_until_the_files_are_good(folder: Path) -> None:
    holder = RulebookHolder(folder, Refusals())
    holder.current()
    assert holder.problem is None
    routing = folder / "routing.toml"
    original = routing.read_text(encoding="utf-8")
    rewrite(routing, original.replace('action = "escalate"', 'action = "ignore"'))
    holder.current()
    holder.current()  # asked again: still refused, still said
    assert holder.problem is not None and str(folder) in holder.problem and "refused" in holder.problem
    rewrite(routing, original, bump=2)
    holder.current()
    assert holder.problem is None
