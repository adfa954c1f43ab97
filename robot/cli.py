"""Command-line entry point: parses arguments, loads settings, and dispatches to one command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from robot import __version__
from robot.commands.check_rules import run_check_rules
from robot.log import configure_logging
from robot.settings import Settings, SettingsError, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lae-robot", description="Files LÆ medical certificates from mail.")
    parser.add_argument("--version", action="version", version=f"lae-robot {__version__}")
    parser.add_argument("--config", type=Path, default=None, help="settings TOML (default: embedded defaults)")
    commands = parser.add_subparsers(dest="command", required=True)

    extract = commands.add_parser("extract", help="read PDFs and .eml mails; print CPR, form and status per document")
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--json", action="store_true", help="one JSON object per document per line")
    extract.add_argument("--reveal-cpr", action="store_true", help="print full CPR numbers (default: DDMMYY-xxxx)")
    extract.add_argument("--rules", type=Path, default=None, help="rule folder (default: from settings)")
    extract.add_argument("--workers", type=int, default=None, help="parser processes (default: from settings)")

    check = commands.add_parser("check-rules", help="validate the operators' rule files")
    check.add_argument("--rules", type=Path, default=None, help="rule folder (default: from settings)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config or _default_config())
    except SettingsError as error:
        print(f"lae-robot: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.logging.format, settings.logging.level)
    rules_dir = args.rules or settings.rules.dir
    if args.command == "check-rules":
        return run_check_rules(rules_dir, sys.stdout)
    if args.command == "extract":
        return _extract(args, settings, rules_dir)
    raise AssertionError(f"unhandled command {args.command}")


def _default_config() -> Path | None:
    """LAE_ROBOT_CONFIG when set; otherwise embedded defaults."""
    configured = os.environ.get("LAE_ROBOT_CONFIG")
    return Path(configured) if configured else None


def _extract(args: argparse.Namespace, settings: Settings, rules_dir: Path) -> int:
    from robot.commands.extract import run_extract
    from robot.decisions.catalogue import load_catalogue
    from robot.decisions.rulefile import RuleFileError
    from robot.extract.isolation import PdfReaderPool
    from robot.extract.reader import DocumentReader

    try:
        catalogue = load_catalogue(rules_dir / "blankets.toml")
    except RuleFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    workers = args.workers or settings.extract.workers
    with PdfReaderPool(settings.limits, workers=workers) as pool:
        reader = DocumentReader(pool, catalogue)
        return run_extract(args.paths, reader, settings.limits, as_json=args.json, reveal_cpr=args.reveal_cpr,
                           workers=workers, out=sys.stdout, err=sys.stderr)
