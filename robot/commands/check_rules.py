"""`lae-robot check-rules`: validates every operators' rule file and prints `file:line: message` per problem."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from robot.decisions.rulebook import RULE_FILES, load_rulebook
from robot.decisions.rulefile import RuleFileError


def run_check_rules(rules_dir: Path, out: TextIO) -> int:
    try:
        rulebook = load_rulebook(rules_dir)
    except RuleFileError as error:
        for problem in error.problems:
            print(problem, file=out)
        return 1
    print(f"{rules_dir}: {len(RULE_FILES)} rule files and {len(rulebook.templates)} templates valid: "
          f"{len(rulebook.catalogue.blankets)} forms, {len(rulebook.senders.organisations)} trusted organisations, "
          f"{len(rulebook.routes)} routes", file=out)
    return 0
