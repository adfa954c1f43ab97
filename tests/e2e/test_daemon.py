"""`lae-robot run` as a real process: SMTP in, filed or escalated, /healthz and /metrics, clean stop, resume after a kill."""

from __future__ import annotations

import json
from collections import Counter
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.cpr_scanner import FULL_CPR  # one scanner for every e2e output

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MAILS = sorted(str(p) for p in (SAMPLES / "mail").glob("*.eml"))
EXPECTED = [json.loads(line) for line in (SAMPLES / "expected_process.jsonl").read_text(encoding="utf-8").splitlines()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Daemon:
    """A robot installation in a folder and the daemon process running on it."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "var" / "archive").mkdir(parents=True)
        shutil.copy(SAMPLES / "cases.csv", folder / "var" / "cases.csv")
        self.smtp_port, self.observe_port = free_port(), free_port()
        self.config = folder / "robot.toml"
        self.config.write_text(
            f'[logging]\nformat = "json"\n[rules]\ndir = "{ROOT / "rules"}"\n'
            f'[observe]\nport = {self.observe_port}\n[schedule]\nsweep_seconds = 1.0\n'
            f'[ingress]\nsmtp = {{ host = "127.0.0.1", port = {self.smtp_port}, '
            'accept_recipients = ["@localhost", "@kommune.example"] }\n', encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[bytes] = []

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "robot", "--config", str(self.config), "run"],
                                        cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read().decode() if self.process.stdout else ""
            if self.health()[0] == 200:
                return
            time.sleep(0.1)
        raise AssertionError("the daemon did not answer /healthz within 30 s")

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as expired:  # show where it hangs: its threads' stacks (SIGUSR1), its log
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
            self.process.kill()
            rest, _ = self.process.communicate()
            tail = ((expired.output or b"") + rest).decode("utf-8", "replace")[-12000:]
            raise AssertionError(f"the daemon did not stop within {timeout:g} s of signal {signum}:\n{tail}") from None
        self.logs.append(out)
        return self.process.returncode

    def health(self) -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.observe_port}/healthz", timeout=2) as answer:
                return answer.status, json.loads(answer.read())
        except OSError:
            return 0, {}

    def metrics(self, *expected: str, timeout: float = 5.0) -> str:
        """/metrics, once it shows every `expected` line: a worker counts a message just after its ledger commit
        (made off the event loop), so a scrape right after the ledger says done may be a moment early."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.observe_port}/metrics", timeout=2) as answer:
                text = answer.read().decode()
            if all(line in text for line in expected) or time.monotonic() > deadline:
                return text
            time.sleep(0.1)

    def send(self, *files: str, rcpt: str = "lae-robot@localhost") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "robot", "send", "--to", f"127.0.0.1:{self.smtp_port}",
                               "--rcpt", rcpt, *files], cwd=ROOT, capture_output=True, text=True, timeout=120)

    def ledger(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.folder / 'var' / 'ledger.sqlite3'}?mode=ro", uri=True)

    def wait_done(self, messages: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.ledger() as db:
                states = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
            if states.get("done", 0) >= messages and not states.get("received"):
                return
            time.sleep(0.2)
        raise AssertionError(f"not done in {timeout} s: {states}")

    def outcomes(self) -> Counter[tuple[str | None, str, str | None]]:
        """(attachment name, outcome, case) of every document; the mail's file name is unknown to the daemon."""
        with self.ledger() as db:
            rows = db.execute("SELECT name, outcome, case_id FROM documents").fetchall()
        return Counter((name, outcome, case) for name, outcome, case in rows)


@pytest.fixture
def daemon(tmp_path: Path):  # type: ignore[no-untyped-def]
    robot = Daemon(tmp_path)
    yield robot
    if robot.process is not None and robot.process.poll() is None:
        robot.process.kill()
        robot.process.wait()


def test_mails_sent_by_smtp_are_filed_or_escalated_and_ctrl_c_stops_cleanly(daemon: Daemon) -> None:
    daemon.start()
    sent = daemon.send(*MAILS)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.count("2.0.0 OK queued as") == len(MAILS)
    daemon.wait_done(len(MAILS))
    assert daemon.outcomes() == Counter((e["attachment"], e["outcome"], e["case_id"]) for e in EXPECTED)
    filed = sum(1 for e in EXPECTED if e["outcome"] == "filed")
    assert len(list((daemon.folder / "var" / "archive").rglob("*.pdf"))) == filed
    status, health = daemon.health()
    assert status == 200 and health["status"] == "ok"
    metrics = daemon.metrics(f"lae_filed_total {float(filed)}")
    assert f'lae_received_total{{source="smtp"}} {float(len(MAILS))}' in metrics
    assert f"lae_filed_total {float(filed)}" in metrics
    assert 'lae_escalated_total{reason="untrusted_sender"}' in metrics
    assert "lae_receipt_to_outcome_seconds_bucket" in metrics

    assert daemon.stop(signal.SIGINT, timeout=30) == 0
    log = b"".join(daemon.logs).decode()
    assert "robot_stopped" in log and "Traceback" not in log
    assert not FULL_CPR.search(log)
    assert len(list((daemon.folder / "var" / "outbox").glob("*.eml"))) == len(EXPECTED)


def test_sigusr1_writes_where_every_thread_is_and_the_daemon_goes_on(daemon: Daemon) -> None:
    """An operator's first look at a daemon that seems stuck: `kill -USR1` writes each thread's stack to the log
    (code locations only), and the daemon keeps running."""
    daemon.start()
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    assert daemon.health()[0] == 200
    assert daemon.stop(signal.SIGTERM) == 0
    log = daemon.logs[-1].decode("utf-8", "replace")
    assert "Current thread" in log and 'File "' in log and "asyncio/base_events.py" in log, log[-3000:]


def test_the_listener_is_no_open_relay(daemon: Daemon) -> None:
    daemon.start()
    refused = daemon.send(MAILS[0], rcpt="someone@example.org")
    assert refused.returncode == 1 and "550" in refused.stderr
    with daemon.ledger() as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    assert daemon.stop(signal.SIGTERM) == 0


def test_a_killed_daemon_resumes_what_it_had_accepted(daemon: Daemon) -> None:
    daemon.start()
    assert daemon.send(*MAILS).returncode == 0
    assert daemon.process is not None
    daemon.process.kill()  # SIGKILL, whatever it was doing
    daemon.process.wait()
    with daemon.ledger() as db:
        accepted = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert accepted == len(MAILS)  # every 250 was preceded by a durable commit
    daemon.start()
    daemon.wait_done(len(MAILS))
    with daemon.ledger() as db:
        per_document = db.execute("SELECT outcome, COUNT(*) FROM documents GROUP BY outcome").fetchall()
        escalations = db.execute("SELECT COUNT(*) FROM escalations").fetchone()[0]
    counts = dict(per_document)
    assert counts.get("filed") == sum(1 for e in EXPECTED if e["outcome"] == "filed")
    assert escalations == counts.get("escalated")
    assert daemon.stop(signal.SIGTERM) == 0


def lae_robot(daemon: Daemon, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with --config after the command, in the installation's folder (the default ledger path is relative)."""
    done = subprocess.run([sys.executable, "-m", "robot", *args, "--config", str(daemon.config)], cwd=daemon.folder,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr and not FULL_CPR.search(done.stdout + done.stderr), done.stderr
    return done


def test_status_says_up_or_down_by_exit_code_and_the_trail_shows_a_resent_copy(daemon: Daemon) -> None:
    daemon.start()
    first = daemon.send(MAILS[0])
    daemon.wait_done(1)
    again = daemon.send(MAILS[0])  # the same bytes once more: a new queue id, deduplicated by the ledger
    assert again.returncode == 0, again.stderr
    queue_id = again.stdout.rsplit("queued as", 1)[1].strip()
    assert queue_id and queue_id not in first.stdout

    up = lae_robot(daemon, "status")
    assert up.returncode == 0, up.stdout + up.stderr
    assert up.stdout.startswith("daemon: ok (http://127.0.0.1:") and "mails: 1 done" in up.stdout
    assert "None" not in up.stdout and "{" not in up.stdout, up.stdout  # words, not Python values
    answered = lae_robot(daemon, "status", "--json")
    assert answered.returncode == 0 and json.loads(answered.stdout)["daemon"]["status"] == "ok"
    assert json.loads(answered.stdout)["messages"] == {"done": 1}

    trail = lae_robot(daemon, "trail", queue_id)  # what the sender's log says of the second delivery
    assert trail.returncode == 0, trail.stdout + trail.stderr
    assert trail.stdout.startswith("mail 1 (done): received ")
    assert "received again" in trail.stdout and f"queue id {queue_id}" in trail.stdout, trail.stdout

    assert daemon.stop() == 0
    down = lae_robot(daemon, "status")
    assert down.returncode == 3 and down.stdout.startswith("daemon: NOT RUNNING (no answer at "), down.stdout
    assert "mails: 1 done" in down.stdout  # the stopped robot's ledger is still read
    stopped = lae_robot(daemon, "status", "--json")
    assert stopped.returncode == 3 and json.loads(stopped.stdout)["daemon"]["status"] == "not running"
