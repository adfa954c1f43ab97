"""`lae-robot check-rules`: validates every operators' rule file and prints `file:line: message` per problem."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TextIO

from robot.decisions.catalogue import load_catalogue
from robot.decisions.rulefile import RuleFileError, RuleProblem

# Every rule file the robot reads, with the loader that validates it.
RULE_FILES: dict[str, Callable[[Path], object]] = {
    "blankets.toml": load_catalogue,
}


def check_rules(rules_dir: Path) -> list[RuleProblem]:
    """All problems in the rule folder: missing files, unknown files, and each file's own errors."""
    if not rules_dir.is_dir():
        return [RuleProblem(str(rules_dir), 0, "rule folder does not exist")]
    problems: list[RuleProblem] = []
    for name, load in RULE_FILES.items():
        path = rules_dir / name
        if not path.exists():
            problems.append(RuleProblem(str(path), 0, "required rule file is missing"))
            continue
        try:
            load(path)
        except RuleFileError as error:
            problems.extend(error.problems)
    for path in sorted(rules_dir.glob("*.toml")):
        if path.name not in RULE_FILES:
            problems.append(RuleProblem(str(path), 1, f"unknown rule file (expected one of {sorted(RULE_FILES)})"))
    return problems


def run_check_rules(rules_dir: Path, out: TextIO) -> int:
    problems = check_rules(rules_dir)
    for problem in problems:
        print(problem, file=out)
    if problems:
        return 1
    print(f"{rules_dir}: {len(RULE_FILES)} rule file(s) valid", file=out)
    return 0
