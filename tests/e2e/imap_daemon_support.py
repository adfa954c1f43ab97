"""Helpers for the daemon-against-Dovecot tests: a robot installation whose `lae-robot run` watches IMAP mailboxes of a
throwaway Dovecot (tests/dovecot.py), and plain imaplib look-ups of what the server holds.

The daemon's output goes to files (not pipes: hundreds of mails log more than a pipe buffer holds, and a daemon
blocked on a full pipe would stall the test), one pair per start, so every byte it ever printed can be checked.
"""

from __future__ import annotations

import email
import hashlib
import imaplib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

from tests.dovecot import HOST, Account, Dovecot, free_port
from tests.e2e.sessions import reap_session
from tests.cpr_scanner import FULL_CPR  # noqa: F401 - one scanner for every e2e output, re-exported

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
# imaplib's APPEND turns every bare CR or LF into CRLF (imaplib.MapCRLF); the server stores and returns that
_MAP_CRLF = re.compile(rb"\r\n|\r(?!\n)|\n")


def on_the_wire(raw: bytes) -> bytes:
    """The bytes a mail has once APPENDed by imaplib (and so the bytes the robot fetches and commits)."""
    return _MAP_CRLF.sub(b"\r\n", raw)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def message_id_of(raw: bytes) -> str | None:
    value = email.message_from_bytes(raw, policy=policy.compat32).get("Message-ID")
    return str(value).strip() if value else None


@dataclass(frozen=True)
class Mailbox:
    """One `[ingress.imap.<name>]` table of the robot, on one account of the test server."""

    name: str
    account: Account
    password_env: str
    filed_folder: str
    escalated_folder: str
    trusted_channel: bool = False  # only the authenticated network delivers here: no gateway stamp needed


# ---------------------------------------------------------------- the server side, with a plain imaplib client


def _q(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def append_all(server: Dovecot, account: Account, raws: Iterable[bytes], folder: str = "INBOX") -> int:
    """APPEND every mail over one connection (Dovecot.append logs in once per mail); returns how many."""
    count = 0
    imap = imaplib.IMAP4(HOST, server.port, timeout=30)
    try:
        imap.login(account.name, account.secret)
        for raw in raws:
            status, data = imap.append(_q(folder), None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data!r}")
            count += 1
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            imap.shutdown()
    return count


def folder_contents(server: Dovecot, account: Account, folders: Iterable[str]) -> dict[str, list[bytes]]:
    """The raw bytes of every mail in each folder (BODY.PEEK[], UID order); a folder that does not exist is empty."""
    found: dict[str, list[bytes]] = {}
    imap = imaplib.IMAP4(HOST, server.port, timeout=30)
    try:
        imap.login(account.name, account.secret)
        for folder in folders:
            status, _data = imap.select(_q(folder), readonly=True)
            if status != "OK":
                found[folder] = []
                continue
            _status, data = imap.uid("SEARCH", "ALL")
            uids = (data[0] or b"").split()
            mails: list[bytes] = []
            for start in range(0, len(uids), 50):
                _status, fetched = imap.uid("FETCH", b",".join(uids[start:start + 50]).decode(), "(BODY.PEEK[])")
                mails.extend(part[1] for part in fetched if isinstance(part, tuple))
            if len(mails) != len(uids):
                raise RuntimeError(f"{folder}: {len(uids)} UIDs but {len(mails)} mails fetched")
            found[folder] = mails
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            imap.shutdown()
    return found


def inbox_size(server: Dovecot, account: Account) -> int:
    imap = imaplib.IMAP4(HOST, server.port, timeout=30)
    try:
        imap.login(account.name, account.secret)
        status, data = imap.status("INBOX", "(MESSAGES)")
        match = re.search(rb"MESSAGES (\d+)", data[0] or b"")
        if status != "OK" or match is None:
            raise RuntimeError(f"STATUS INBOX failed: {data!r}")
        return int(match.group(1))
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            imap.shutdown()


# ---------------------------------------------------------------- the robot side


class ImapRobot:
    """A robot installation in `folder` (config, ledger, archive, register, outbox) whose daemon watches `mailboxes`
    on `server`; SMTP is off. start()/kill()/terminate() may be repeated: each start is one process."""

    def __init__(self, folder: Path, server: Dovecot, mailboxes: list[Mailbox], register: Path | None = None,
                 *, workers: int = 2, poll_seconds: float = 2.0, reconnect_max_seconds: float = 2.0) -> None:
        self.folder, self.server, self.mailboxes = folder, server, mailboxes
        (folder / "var" / "archive").mkdir(parents=True)
        register_file = folder / "var" / "cases.csv"
        if register is not None:
            register_file.write_bytes(register.read_bytes())
        self.archive = folder / "var" / "archive"
        self.outbox = folder / "var" / "outbox"
        self.ledger_file = folder / "var" / "ledger.sqlite3"
        self.observe_port = free_port()
        self.config = folder / "robot.toml"
        text = (
            f'[logging]\nformat = "json"\nlevel = "INFO"\n'
            f"[rules]\ndir = {json.dumps(str(ROOT / 'rules'))}\n"
            f"[observe]\nhost = \"127.0.0.1\"\nport = {self.observe_port}\n"
            f"[schedule]\nsweep_seconds = 1.0\n"
            f"[daemon]\nworkers = {workers}\ndrain_seconds = 30.0\n"
            "[ingress]\nsmtp_enabled = false\n"
        )
        for mailbox in mailboxes:
            text += (
                f"[ingress.imap.{mailbox.name}]\n"
                f'host = "{HOST}"\nport = {server.port}\nsecurity = "plain"\n'
                f"username = {json.dumps(mailbox.account.name)}\npassword_env = \"{mailbox.password_env}\"\n"
                f'folder = "INBOX"\nfiled_folder = {json.dumps(mailbox.filed_folder)}\n'
                f"escalated_folder = {json.dumps(mailbox.escalated_folder)}\n"
                f"idle = true\npoll_seconds = {poll_seconds}\ntimeout_seconds = 5\n"
                f"reconnect_max_seconds = {reconnect_max_seconds}\n"
                f"trusted_channel = {'true' if mailbox.trusted_channel else 'false'}\n"
            )
        self.config.write_text(text, encoding="utf-8")
        self.environ = {**os.environ, **{m.password_env: m.account.secret for m in mailboxes}}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.leftover_pids: list[int] = []

    # life cycle

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start `python -m robot --config CFG run` without waiting for it (a kill may land in its start-up)."""
        assert self.process is None or self.process.poll() is not None, "the daemon is running already"
        self.starts += 1
        out = (self.folder / f"run-{self.starts:02d}.stdout").open("wb")
        err = (self.folder / f"run-{self.starts:02d}.stderr").open("wb")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "robot", "--config", str(self.config), "run"], cwd=self.folder,
                stdout=out, stderr=err, env=self.environ, start_new_session=True)
        finally:
            out.close()
            err.close()
        return self.process

    def start(self, timeout: float = 30) -> None:
        """Start and wait until /healthz answers 200."""
        self.spawn()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 30) -> dict[str, Any]:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            status, health = self.health()
            if status == 200:
                return health
            time.sleep(0.05)
        raise AssertionError(f"the daemon did not answer /healthz within {timeout} s")

    def kill(self) -> int:
        """SIGKILL the daemon itself (its pid only), then reap what it left in its session."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        returncode = self.process.wait(timeout=30)
        self.leftover_pids += reap_session(self.process.pid)
        return returncode

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait for the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        returncode = self.process.wait(timeout=timeout)
        self.leftover_pids += reap_session(self.process.pid)
        return returncode

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            reap_session(self.process.pid)

    # what it says

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.observe_port}/healthz", timeout=2) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            try:
                return error.code, json.loads(error.read())
            except ValueError:
                return error.code, {}
        except (OSError, ValueError):
            return 0, {}

    def output(self) -> str:
        """Everything every start printed, stdout and stderr."""
        return "".join(self.outputs())

    def outputs(self) -> list[str]:
        """What each start printed (stdout, then stderr), in the order of the starts."""
        return [
            "".join((self.folder / f"run-{start:02d}.{stream}").read_bytes().decode("utf-8", "replace")
                    for stream in ("stdout", "stderr"))
            for start in range(1, self.starts + 1)
        ]

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines of every start (lines cut by a kill and non-JSON lines are skipped)."""
        events = []
        for line in self.output().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
        return events

    # the ledger, read-only

    def ledger(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self.ledger_file}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def rows(self, table: str) -> list[dict[str, Any]]:
        if not self.ledger_file.exists():
            return []
        db = self.ledger()
        try:
            present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if table not in present:
                return []
            return [dict(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY id")]
        finally:
            db.close()

    def message_states(self) -> Counter[str]:
        if not self.ledger_file.exists():
            return Counter()
        try:
            db = self.ledger()
            try:
                return Counter(dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall()))
            finally:
                db.close()
        except sqlite3.OperationalError:  # no table yet (a kill in the very first start-up)
            return Counter()

    def mail_outcomes(self) -> dict[str, str]:
        """sha256 of each finished mail -> 'filed' (every document filed or duplicate) or 'escalated' (as the daemon
        decides which folder a mail goes to)."""
        messages = self.rows("messages")
        documents: dict[int, set[str | None]] = {}
        for document in self.rows("documents"):
            documents.setdefault(document["message_id"], set()).add(document["outcome"])
        found = {}
        for message in messages:
            if message["state"] != "done":
                continue
            outcomes = documents.get(message["id"], set())
            found[message["sha256"]] = "filed" if outcomes and outcomes <= {"filed", "duplicate"} else "escalated"
        return found

    # the server, as the robot's mailboxes see it

    def folders(self) -> dict[str, dict[str, list[bytes]]]:
        """mailbox name -> {"INBOX": [...], "filed": [...], "escalated": [...]}."""
        found = {}
        for mailbox in self.mailboxes:
            contents = folder_contents(self.server, mailbox.account,
                                       ["INBOX", mailbox.filed_folder, mailbox.escalated_folder])
            found[mailbox.name] = {"INBOX": contents["INBOX"], "filed": contents[mailbox.filed_folder],
                                   "escalated": contents[mailbox.escalated_folder]}
        return found

    def wait_finished(self, mails: int, timeout: float) -> float:
        """Until `mails` ledger messages are done, none is waiting, and every watched INBOX is empty; returns the
        seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        states: Counter[str] = Counter()
        inboxes: dict[str, int] = {}
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            states = self.message_states()
            if states.get("done", 0) >= mails and sum(states.values()) == states["done"]:
                inboxes = {m.name: inbox_size(self.server, m.account) for m in self.mailboxes}
                if not any(inboxes.values()):
                    return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"not finished within {timeout} s: ledger {dict(states)}, INBOX sizes {inboxes}")


