"""`lae-robot status`: what the ledger says, what the running daemon's /healthz says, and files open to too many.

Exit code: 1 when the daemon answers degraded or failing, or a file is too widely readable; else 0 (also when no
daemon answers: `status` reads the ledger of a stopped robot too, and says "not running")."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, TextIO

from robot.health import audit_file_modes
from robot.settings import Settings

OK, TROUBLE = 0, 1


def collect_status(settings: Settings) -> dict[str, Any]:
    """Counts straight from the ledger file (read-only), and the daemon's health if it answers."""
    status: dict[str, Any] = {"ledger": str(settings.ledger.path)}
    path = Path(settings.ledger.path)
    if path.exists():
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
        finally:
            db.close()
    else:
        status["messages"] = "no ledger yet"
    status["daemon"] = _health(settings.observe.host, settings.observe.port)
    status["files_too_widely_readable"] = audit_file_modes(settings)
    return status


def exit_code(status: dict[str, Any]) -> int:
    """TROUBLE when the daemon is degraded or failing or a file is too widely readable, else OK."""
    daemon = status["daemon"].get("status")
    return TROUBLE if status["files_too_widely_readable"] or daemon not in ("ok", "not running") else OK


def _health(host: str, port: int) -> dict[str, Any]:
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - a local, configured address
            return {"url": url, **json.loads(answer.read())}
    except urllib.error.HTTPError as error:
        return {"url": url, **json.loads(error.read() or b"{}")}
    except (urllib.error.URLError, OSError, ValueError) as error:
        return {"url": url, "status": "not running", "error": str(getattr(error, "reason", error))}


def run_status(settings: Settings, as_json: bool, out: TextIO, factors: list[str] | None = None) -> int:
    status = collect_status(settings)
    status["safety_factors"] = factors or []
    if as_json:
        print(json.dumps(status, ensure_ascii=False, indent=2), file=out)
        return exit_code(status)
    daemon = status["daemon"]
    print(f"daemon: {daemon.get('status')} ({daemon['url']})", file=out)
    for problem in daemon.get("problems", []):
        print(f"  problem: {problem}", file=out)
    for key, value in daemon.get("checks", {}).items():
        print(f"  {key}: {value}", file=out)
    for finding in status["files_too_widely_readable"]:
        print(f"warning: {finding} (not changed by the robot: chmod it, or set files.group)", file=out)
    for key in ("messages", "documents", "open_escalations", "outbox"):
        print(f"{key}: {status.get(key)}", file=out)
    if status.get("oldest_unfinished"):
        print(f"oldest unfinished message received {status['oldest_unfinished']}", file=out)
    if status["safety_factors"]:
        print("safety factors:", file=out)
        for line in status["safety_factors"]:
            print(f"  {line}", file=out)
    return exit_code(status)
