"""Command-line entry point: parses arguments, loads settings, and dispatches to one command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from robot import __version__
from robot.app import describe_factors
from robot.commands.check_rules import run_check_rules
from robot.commands.escalations import (
    OperatorError,
    list_escalations,
    reject_escalation,
    resolve_escalation,
    show_escalation,
)
from robot.commands.extract import run_extract
from robot.commands.process import run_process
from robot.commands.run import run_daemon
from robot.commands.send import send_files
from robot.commands.status import run_status
from robot.config_error import ConfigError
from robot.decisions.rulebook import load_rulebook
from robot.extract.isolation import ParserPool
from robot.extract.reader import DocumentReader
from robot.ledger.base import LedgerError
from robot.log import configure_logging
from robot.privacy import MaskingStream
from robot.rules.catalogue import load_catalogue
from robot.rules.rulefile import RuleFileError
from robot.setting_tables import load_settings
from robot.settings import UPPER_BOUNDS, Settings
from robot.smime_config import smime_keys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lae-robot", description="Files LÆ medical certificates from mail.")
    parser.add_argument("--version", action="version", version=f"lae-robot {__version__}")
    parser.add_argument("--config", type=Path, default=None,
                        help="settings TOML (default: $LAE_ROBOT_CONFIG, else embedded defaults)")
    commands = parser.add_subparsers(dest="command", required=True)

    extract = commands.add_parser("extract", help="read PDFs and .eml mails; print CPR, form and status per document")
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--json", action="store_true", help="one JSON object per document per line")
    extract.add_argument("--reveal-cpr", action="store_true", help="print full CPR numbers (default: DDMMYY-xxxx)")
    extract.add_argument("--rules", type=Path, default=None, help="rule folder (default: from settings)")
    extract.add_argument("--workers", type=_parser_processes, default=None,
                         help=f"parser processes, 1 to {int(UPPER_BOUNDS['extract.workers'])} (default: from settings)")

    process = commands.add_parser("process", help="run mails (or PDFs) through the whole pipeline: file or escalate")
    process.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    process.add_argument("--dry-run", action="store_true", help="decide only: no ledger, archive or notice changes")
    process.add_argument("--json", action="store_true", help="one JSON object per document per line")
    process.add_argument("--pdf-from", default="manuel@indlaesning.invalid",
                         help="sender address for bare PDFs (default: an untrusted one, so they escalate)")

    escalations = commands.add_parser("escalations", help="list, show, resolve or reject escalations")
    actions = escalations.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="open escalations")
    listing.add_argument("--all", action="store_true", help="closed ones too")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one escalation with its mail, evidence and audit trail")
    show.add_argument("id", type=int)
    resolve = actions.add_parser("resolve", help="file the document into a case by hand")
    resolve.add_argument("id", type=int)
    resolve.add_argument("--case", required=True, dest="case_id")
    resolve.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")
    reject = actions.add_parser("reject", help="close without filing")
    reject.add_argument("id", type=int)
    reject.add_argument("--note", required=True)
    reject.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")

    commands.add_parser("run", help="the daemon: SMTP and IMAP ingress, workers, scheduler, /healthz, /metrics")

    send = commands.add_parser("send", help="deliver .eml files to an SMTP server (e.g. the robot's own listener)")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE.eml")
    send.add_argument("--to", required=True, metavar="HOST:PORT")
    send.add_argument("--rcpt", default="lae-robot@localhost",
                      help="envelope recipient (default lae-robot@localhost, which the embedded listener accepts)")
    send.add_argument("--timeout", type=float, default=30.0)

    status = commands.add_parser("status", help="ledger counts and the running daemon's health")
    status.add_argument("--json", action="store_true")

    commands.add_parser("check-config", help="validate the settings file, every section (exit 2 naming the key)")
    check = commands.add_parser("check-rules", help="validate the operators' rule files")
    check.add_argument("--rules", type=Path, default=None, help="rule folder (default: from settings)")
    return parser


def _parser_processes(text: str) -> int:
    """--workers: a whole number within the range the settings allow for extract.workers."""
    top = int(UPPER_BOUNDS["extract.workers"])
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {top}, got {text!r}") from None
    if not 1 <= value <= top:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {top}, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "reveal_cpr", False):
        # the backstop: whatever a command prints (records, errors, file names) passes the CPR mask
        sys.stdout = MaskingStream(sys.stdout)
        sys.stderr = MaskingStream(sys.stderr)
    try:
        settings = load_settings(args.config or _default_config())
    except ConfigError as error:
        print(f"lae-robot: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.logging.format, settings.logging.level)
    rules_dir = getattr(args, "rules", None) or settings.rules.dir
    try:
        if args.command == "check-config":
            print(f"{settings.source}: valid; every section checked", file=sys.stdout)
            return 0
        if args.command == "check-rules":
            return run_check_rules(rules_dir, sys.stdout,
                                   factors=lambda rulebook: asyncio.run(describe_factors(settings, rulebook.senders)))
        if args.command == "extract":
            return _extract(args, settings, rules_dir)
        if args.command == "status":
            return run_status(settings, args.json, sys.stdout, factors=_status_factors(settings, rules_dir))
        if args.command == "send":
            return _send(args)
        if args.command == "run":
            return asyncio.run(run_daemon(settings))
        return asyncio.run(_with_robot(args, settings))
    except RuleFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"lae-robot: configuration error: {error}", file=sys.stderr)
        return 2
    except (OperatorError, LedgerError) as error:
        print(f"lae-robot: {error}", file=sys.stderr)
        return 1


def _status_factors(settings: Settings, rules_dir: Path) -> list[str]:
    """The safety factors for `status`; a rule folder that does not load says so instead."""
    from robot.decisions.factors import placeholder_warning

    try:
        senders = load_rulebook(rules_dir).senders
    except RuleFileError as error:
        return [f"rules: refused ({len(error.problems)} problems; run lae-robot check-rules)"]
    warning = placeholder_warning(senders)
    return [*asyncio.run(describe_factors(settings, senders)), *([warning] if warning else [])]


def _send(args: argparse.Namespace) -> int:
    host, _, port = args.to.rpartition(":")
    if not host or not port.isdigit():
        print(f"lae-robot send: --to takes HOST:PORT, got {args.to!r}", file=sys.stderr)
        return 2
    return asyncio.run(send_files(args.files, host, int(port), args.rcpt, args.timeout, sys.stdout, sys.stderr))


def _default_config() -> Path | None:
    configured = os.environ.get("LAE_ROBOT_CONFIG")
    return Path(configured) if configured else None


def _extract(args: argparse.Namespace, settings: Settings, rules_dir: Path) -> int:
    catalogue = load_catalogue(rules_dir / "blankets.toml")
    workers = args.workers or settings.extract.workers
    with ParserPool(settings.limits, workers=workers, smime=smime_keys(settings)) as pool:
        reader = DocumentReader(pool, lambda: catalogue)
        return run_extract(args.paths, reader, settings.limits, as_json=args.json, reveal_cpr=args.reveal_cpr,
                           workers=workers, out=sys.stdout, err=sys.stderr)


async def _with_robot(args: argparse.Namespace, settings: Settings) -> int:
    from robot.app import open_robot  # the full wiring only for commands that need it

    async with open_robot(settings, dry_run=getattr(args, "dry_run", False)) as robot:
        if args.command == "process":
            return await run_process(args.paths, robot, as_json=args.json, pdf_sender=args.pdf_from,
                                     out=sys.stdout, err=sys.stderr)
        operator = getattr(args, "operator", None) or getpass.getuser()
        if args.action == "list":
            return list_escalations(robot, show_all=args.all, as_json=args.json, out=sys.stdout)
        if args.action == "show":
            return show_escalation(robot, args.id, sys.stdout)
        if args.action == "resolve":
            return await resolve_escalation(robot, args.id, args.case_id, operator, sys.stdout)
        return await reject_escalation(robot, args.id, args.note, operator, sys.stdout)
