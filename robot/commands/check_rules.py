"""`lae-robot check-rules`: validates every operators' rule file and prints `file:line: message` per problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from robot.decisions.factors import placeholder_warning
from robot.decisions.rulebook import RULE_FILES, Rulebook, load_rulebook
from robot.rules.rulefile import RuleFileError


def run_check_rules(rules_dir: Path, out: TextIO, factors: Callable[[Rulebook], list[str]] | None = None) -> int:
    """Validate the rule files; then say which safety factors are active (`factors`, given the rules) and warn
    loudly about a placeholder gateway id."""
    try:
        rulebook = load_rulebook(rules_dir)
    except RuleFileError as error:
        for problem in error.problems:
            print(problem, file=out)
        return 1
    print(f"{rules_dir}: {len(RULE_FILES)} rule files and {len(rulebook.templates)} templates valid: "
          f"{len(rulebook.catalogue.blankets)} forms, {len(rulebook.senders.organisations)} trusted organisations, "
          f"{len(rulebook.routes)} routes", file=out)
    if factors is not None:
        print("safety factors:", file=out)
        for line in factors(rulebook):
            print(f"  {line}", file=out)
    warning = placeholder_warning(rulebook.senders)
    if warning:
        print(warning, file=out)
    return 0
