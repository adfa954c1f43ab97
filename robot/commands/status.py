"""`lae-robot status`: what the ledger says, what the running daemon's /healthz says, and files open to too many.

Exit codes (README, "Using it"): 0 the daemon answers ok and no file is too widely readable; 1 the daemon answers
degraded or failing, or a file is too widely readable; 3 no daemon answers (the ledger of the stopped robot is
still reported); 2 a configuration error, as for every command."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from robot.commands.shown import age, counts_line, local_time
from robot.health import audit_file_modes
from robot.settings import Settings

OK, TROUBLE, NOT_ANSWERING = 0, 1, 3
NOT_RUNNING = "not running"


def collect_status(settings: Settings) -> dict[str, Any]:
    """Counts straight from the ledger file (read-only), and the daemon's health if it answers."""
    path = Path(settings.ledger.path)
    status: dict[str, Any] = {"ledger": str(path.resolve()), "ledger_exists": path.exists(), "messages": {},
                              "documents": {}, "open_escalations": {}, "outbox": {}, "oldest_unfinished": None,
                              "oldest_open_escalation": None}
    if path.exists():
        try:
            _count(path, status)
        except sqlite3.Error as error:  # not (yet) a ledger, or unreadable: said, not a traceback
            status["ledger_error"] = str(error)
    status["daemon"] = _health(settings.observe.host, settings.observe.port)
    status["files_too_widely_readable"] = audit_file_modes(settings)
    return status


def _count(path: Path, status: dict[str, Any]) -> None:
    """The ledger's counts into `status`, read-only."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        status["messages"] = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
        status["documents"] = dict(db.execute(
            "SELECT IFNULL(outcome, state), COUNT(*) FROM documents GROUP BY 1").fetchall())
        status["open_escalations"] = dict(db.execute(
            "SELECT reason, COUNT(*) FROM escalations WHERE state = 'open' GROUP BY reason").fetchall())
        status["outbox"] = dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
        status["oldest_unfinished"] = db.execute(
            "SELECT MIN(received_at) FROM messages WHERE state != 'done'").fetchone()[0]
        status["oldest_open_escalation"] = db.execute(
            "SELECT MIN(created_at) FROM escalations WHERE state = 'open'").fetchone()[0]
    finally:
        db.close()


def exit_code(status: dict[str, Any]) -> int:
    """NOT_ANSWERING when no daemon answers; TROUBLE when it is degraded or failing or a file is too widely
    readable; else OK."""
    daemon = status["daemon"].get("status")
    if daemon == NOT_RUNNING:
        return NOT_ANSWERING
    trouble = status["files_too_widely_readable"] or "ledger_error" in status or daemon != "ok"
    return TROUBLE if trouble else OK


def _health(host: str, port: int) -> dict[str, Any]:
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a local, configured address
            return {"url": url, **json.loads(answer.read())}
    except urllib.error.HTTPError as error:
        try:
            return {"url": url, **json.loads(error.read() or b"{}")}
        except ValueError:
            return {"url": url, "status": "failing", "problems": [f"/healthz answered HTTP {error.code}"]}
    except (urllib.error.URLError, OSError, ValueError) as error:
        return {"url": url, "status": NOT_RUNNING, "error": str(getattr(error, "reason", error))}


def run_status(settings: Settings, as_json: bool, out: TextIO, factors: list[str] | None = None) -> int:
    status = collect_status(settings)
    status["safety_factors"] = factors or []
    if as_json:
        print(json.dumps(status, ensure_ascii=False, indent=2), file=out)
    else:
        for line in human_lines(status, datetime.now(UTC)):
            print(line, file=out)
    return exit_code(status)


def human_lines(status: dict[str, Any], now: datetime) -> list[str]:
    """The status as lines for a person: words, local times, nothing left out silently, no Python values."""
    daemon = status["daemon"]
    lines = []
    if daemon.get("status") == NOT_RUNNING:
        lines.append(f"daemon: NOT RUNNING (no answer at {daemon['url']}: {daemon.get('error') or 'no answer'})")
    else:
        lines.append(f"daemon: {daemon.get('status')} ({daemon['url']})")
    lines += [f"  problem: {problem}" for problem in daemon.get("problems", [])]
    lines += [f"  {key}: {value}" for key, value in daemon.get("checks", {}).items()]
    lines += [f"warning: {finding} (not changed by the robot: chmod it, or set files.group)"
              for finding in status["files_too_widely_readable"]]
    if not status["ledger_exists"]:
        lines.append(f"ledger: {status['ledger']} (not there: no mail received yet, or the robot keeps its ledger "
                     "elsewhere; a relative ledger.path is taken from the folder the command runs in when the "
                     "config file does not set it)")
        return lines + _factors(status)
    lines.append(f"ledger: {status['ledger']}")
    if "ledger_error" in status:
        return [*lines, f"  cannot be read: {status['ledger_error']}", *_factors(status)]
    lines.append(f"mails: {counts_line(status['messages'])}")
    lines.append(f"documents: {counts_line(status['documents'])}")
    open_ = status["open_escalations"]
    if open_:
        oldest = _moment(status["oldest_open_escalation"])
        since = f"; oldest opened {local_time(oldest)} ({age(oldest, now)} ago)" if oldest else ""
        lines.append(f"open escalations: {sum(open_.values())} ({counts_line(open_)}){since}")
    else:
        lines.append("open escalations: none")
    lines.append(f"notices: {counts_line(status['outbox'])}")
    unfinished = _moment(status["oldest_unfinished"])
    if unfinished:
        lines.append(f"oldest unfinished mail: received {local_time(unfinished)} ({age(unfinished, now)} ago)")
    return lines + _factors(status)


def _factors(status: dict[str, Any]) -> list[str]:
    if not status["safety_factors"]:
        return []
    return ["safety factors:", *(f"  {line}" for line in status["safety_factors"])]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
