"""Command-line entry point: parses arguments, loads settings, and dispatches to one command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from robot import __version__
from robot.app import describe_factors
from robot.commands.check_rules import run_check_rules
from robot.commands.escalations import (
    OperatorError,
    export_escalation,
    list_escalations,
    reject_escalation,
    resolve_escalation,
    show_escalation,
)
from robot.commands.extract import run_extract
from robot.commands.process import run_process
from robot.commands.refused import CommandRefused
from robot.commands.request_report import month_report
from robot.commands.requests import list_requests, show_request
from robot.commands.run import run_daemon
from robot.commands.send import send_files
from robot.commands.status import run_status
from robot.commands.trail import day, read_cpr, refuse_cpr_terms, run_trail
from robot.config_error import ConfigError
from robot.decisions.rulebook import load_rulebook
from robot.extract.isolation import ParserPool
from robot.extract.reader import DocumentReader
from robot.ledger.base import LedgerError
from robot.ledger.trail import TrailQuery
from robot.log import configure_logging
from robot.privacy import MaskingStream
from robot.rules.catalogue import load_catalogue
from robot.rules.rulefile import RuleFileError
from robot.setting_tables import load_settings
from robot.settings import UPPER_BOUNDS, Settings
from robot.smime_config import smime_keys

CONFIG_HELP = "settings TOML (default: $LAE_ROBOT_CONFIG, else embedded defaults); before or after the command"
CLOSED_PIPE = 141  # as a shell reports a command ended by SIGPIPE: the reader of the output went away


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lae-robot", description="Files LÆ medical certificates from mail.")
    parser.add_argument("--version", action="version", version=f"lae-robot {__version__}")
    parser.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    commands = _Commands(parser.add_subparsers(dest="command", required=True))

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

    escalations = commands.add_parser("escalations", help="list, show, export, resolve or reject escalations")
    actions = _Commands(escalations.add_subparsers(dest="action", required=True))
    listing = actions.add_parser("list", help="open escalations")
    listing.add_argument("--all", action="store_true", help="closed ones too")
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one escalation with its mail, evidence and audit trail")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="the full record")
    export = actions.add_parser("export", help="write the escalated PDF to a new file readable by you only (audited)")
    export.add_argument("id", type=int)
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    export.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")
    resolve = actions.add_parser("resolve", help="file the document into a case by hand")
    resolve.add_argument("id", type=int)
    choice = resolve.add_mutually_exclusive_group(required=True)
    choice.add_argument("--case", dest="case_id", help="the case to file into")
    choice.add_argument("--accept-suggestion", action="store_true",
                        help="file a scan into the citizen and case OCR suggested (escalations show N)")
    resolve.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")
    reject = actions.add_parser("reject", help="close without filing")
    reject.add_argument("id", type=int)
    reject.add_argument("--note", required=True)
    reject.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")

    requests = commands.add_parser("requests", help="the request register: LÆ requests sent and their answers")
    request_actions = _Commands(requests.add_subparsers(dest="action", required=True))
    request_list = request_actions.add_parser("list", help="open requests (late ones marked)")
    request_list.add_argument("--all", action="store_true", help="answered and returned ones too")
    request_list.add_argument("--json", action="store_true")
    request_show = request_actions.add_parser("show", help="one request and its history")
    request_show.add_argument("id", type=int)
    request_show.add_argument("--json", action="store_true")
    request_report = request_actions.add_parser("report", help="one month per form and addressee: sent, answered, "
                                                "overdue, returned, turnaround, certificates without a request")
    request_report.add_argument("--month", required=True, metavar="YYYY-MM")
    request_report.add_argument("--csv", type=Path, default=None, metavar="FILE",
                                help="also write the lines as CSV (a new file readable by you only)")

    trail = commands.add_parser("trail", help="what happened to a mail: find it, then its whole history")
    trail.add_argument("terms", nargs="*", metavar="QUERY",
                       help="a Message-ID, SMTP queue id / IMAP reference, part of a sender, or a case id")
    trail.add_argument("--message-id", default=None, help="the mail's Message-ID header, whole")
    trail.add_argument("--ref", default=None, help="the ingress's reference (SMTP queue id, IMAP UID) or mail number")
    trail.add_argument("--sender", default=None, help="part of the From or envelope address")
    trail.add_argument("--case", default=None, dest="case_id")
    trail.add_argument("--from", default=None, dest="since", metavar="YYYY-MM-DD", help="received on or after")
    trail.add_argument("--to", default=None, dest="until", metavar="YYYY-MM-DD", help="received on or before")
    trail.add_argument("--cpr-stdin", action="store_true",
                       help="read a CPR number from standard input (prompted, not echoed, on a terminal); audited")
    trail.add_argument("--mail", type=int, default=None, metavar="N", help="show mail N whole")
    trail.add_argument("--json", action="store_true")
    trail.add_argument("--operator", default=None, help="your name for the audit trail (default: OS user)")

    commands.add_parser("run", help="the daemon: SMTP and IMAP ingress, workers, scheduler, /healthz, /metrics")

    send = commands.add_parser("send", help="deliver .eml files to an SMTP server (e.g. the robot's own listener)")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE.eml")
    send.add_argument("--to", required=True, metavar="HOST:PORT")
    send.add_argument("--rcpt", default="lae-robot@localhost",
                      help="envelope recipient (default lae-robot@localhost, which the embedded listener accepts)")
    send.add_argument("--timeout", type=float, default=30.0)

    status = commands.add_parser("status", help="the running daemon's health and the ledger's counts (exit 0 ok, "
                                                "1 degraded or failing, 3 no daemon answers)")
    status.add_argument("--json", action="store_true")

    commands.add_parser("check-config", help="validate the settings file, every section (exit 2 naming the key)")
    check = commands.add_parser("check-rules", help="validate the operators' rule files")
    check.add_argument("--rules", type=Path, default=None, help="rule folder (default: from settings)")
    return parser


class _Commands:
    """Subcommands that each also take --config (after the subcommand too); given there, it wins."""

    def __init__(self, actions: Any):
        self._actions = actions

    def add_parser(self, name: str, **options: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._actions.add_parser(name, **options)
        parser.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)
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
    """Run one command. A reader that goes away (`| head`) ends it quietly with CLOSED_PIPE, never a traceback."""
    try:
        code = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # the rest of the output goes nowhere, also what Python flushes on its way out
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        return CLOSED_PIPE
    return code


def _main(argv: list[str] | None) -> int:
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
    except (OperatorError, CommandRefused, LedgerError) as error:
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
    with ParserPool(settings.limits, workers=workers, smime=smime_keys(settings),
                    ocr=settings.extract.ocr_options()) as pool:
        reader = DocumentReader(pool, lambda: catalogue, ocr=settings.extract.ocr)
        return run_extract(args.paths, reader, settings.limits, as_json=args.json, reveal_cpr=args.reveal_cpr,
                           workers=workers, out=sys.stdout, err=sys.stderr)


async def _with_robot(args: argparse.Namespace, settings: Settings) -> int:
    from robot.app import open_robot  # the full wiring only for commands that need it

    async with open_robot(settings, dry_run=getattr(args, "dry_run", False)) as robot:
        if args.command == "process":
            return await run_process(args.paths, robot, as_json=args.json, pdf_sender=args.pdf_from,
                                     out=sys.stdout, err=sys.stderr)
        operator = getattr(args, "operator", None) or getpass.getuser()
        if args.command == "requests":
            if args.action == "list":
                return list_requests(robot, show_all=args.all, as_json=args.json, out=sys.stdout)
            if args.action == "report":
                return month_report(robot, args.month, args.csv, sys.stdout)
            return show_request(robot, args.id, sys.stdout, as_json=args.json)
        if args.command == "trail":
            return run_trail(robot, _trail_query(args), args.terms, args.mail, operator, as_json=args.json,
                             out=sys.stdout)
        if args.action == "list":
            return list_escalations(robot, show_all=args.all, as_json=args.json, out=sys.stdout)
        if args.action == "show":
            return show_escalation(robot, args.id, sys.stdout, as_json=args.json)
        if args.action == "export":
            return export_escalation(robot, args.id, args.out, operator, sys.stdout)
        if args.action == "resolve":
            return await resolve_escalation(robot, args.id, args.case_id, operator, sys.stdout,
                                            accept_suggestion=args.accept_suggestion)
        return await reject_escalation(robot, args.id, args.note, operator, sys.stdout)


def _trail_query(args: argparse.Namespace) -> TrailQuery:
    """The trail's fields; a CPR number only from standard input (never an argument: it would stay in the shell's
    history and the process list)."""
    refuse_cpr_terms(args.terms)
    cpr = None
    if args.cpr_stdin:
        line = getpass.getpass("CPR number: ") if sys.stdin.isatty() else sys.stdin.readline()
        cpr = read_cpr(line)
    query = TrailQuery(header_message_id=args.message_id, source_ref=args.ref, sender=args.sender,
                       case_id=args.case_id, received_from=day(args.since), received_to=day(args.until, next_day=True),
                       cpr=cpr)
    if query.empty and not args.terms and args.mail is None:
        raise CommandRefused("trail: say what to look for: a QUERY, --message-id, --ref, --sender, --case, --from, "
                            "--to, --cpr-stdin or --mail N")
    return query
