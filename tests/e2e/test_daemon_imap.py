"""`lae-robot run` against a real Dovecot on loopback: mails in IMAP mailboxes are filed or escalated, each moved to the
right outcome folder exactly once, through a server restart and through repeated SIGKILLs of the daemon.

Two scenarios (about 5 s and 20 s on an idle two-core machine, Dovecot's start-ups included):

* two mailboxes (`tunnel` and `secure`, two users of one Dovecot), the committed sample mails split between them; the
  server is stopped for about two seconds while the daemon is in the middle of the first mails and started again on
  the same port; the rest of the mails arrive after the restart;
* a bag of 200 distinct mails (tests/e2e/mailbag.py, fixed seed) in the two mailboxes, the mails that carry the same
  certificate for the same case back to back; the daemon is SIGKILLed eight times (in start-up, while it takes the
  INBOXes in, mid-run after a random number of finished mails or a random delay, and between a mail's commit and
  its move) and started again each time, then left to finish and stopped by SIGTERM. After every kill the server is
  looked at: every mail is in its INBOX or in one outcome folder, never lost, never twice, and never moved before
  its outcome was committed.

The second scenario ran into a race in the file stage (two mails with the same certificate filed at once: the second
ended internal_error instead of duplicate); the last test reproduces it on its own (fixed: it is a duplicate now).

The daemon's ledger is read read-only, the server with a plain imaplib client. LAE_IMAP_KILL_SEED=<n> runs the second
scenario with other mails and other kill points.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.dovecot import Account, Dovecot, running_dovecot
from tests.e2e.imap_daemon_support import (
    FULL_CPR,
    SAMPLES,
    ImapRobot,
    Mailbox,
    append_all,
    message_id_of,
    on_the_wire,
    sha256,
)
from tests.e2e.mailbag import (
    TRUSTED,
    Bag,
    Citizens,
    certificate_pdf,
    dashed,
    mail_bytes,
    make_bag,
    with_header,
)

TUNNEL = Account("lae-tunnel", 'Tunnel"Kode\\7-hest')  # a quote and a backslash: LOGIN must quote it
SECURE = Account("lae-secure", "Sikker-Post-Kode-4711")
MAILBOXES = [
    Mailbox("tunnel", TUNNEL, "LAE_TEST_TUNNEL_PASSWORD", "LAE/Journaliseret", "LAE/Eskaleret"),
    Mailbox("secure", SECURE, "LAE_TEST_SECURE_PASSWORD", "Sikker/Journaliseret", "Sikker/Eskaleret"),
]
SEED = int(os.environ.get("LAE_IMAP_KILL_SEED", "20251124"))
TERMINAL = {"filed": "notified", "escalated": "notified", "duplicate": "duplicate"}


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot((TUNNEL, SECURE)) as server:
        yield server


@pytest.fixture
def robots() -> Iterator[list[ImapRobot]]:
    """Every robot a test makes; a daemon still running at the end is killed."""
    made: list[ImapRobot] = []
    yield made
    for robot in made:
        robot.cleanup()


# ---------------------------------------------------------------- checks shared by both scenarios


def mail_outcome(outcomes: list[str]) -> str:
    """The folder a mail belongs in: filed when every document was filed (or was a duplicate), else escalated."""
    return "filed" if outcomes and set(outcomes) <= {"filed", "duplicate"} else "escalated"


def documents_by_mail(robot: ImapRobot) -> dict[str, Counter[tuple[Any, ...]]]:
    """sha256 of each mail -> its documents as (attachment name, outcome, case, reason)."""
    sha_of = {m["id"]: m["sha256"] for m in robot.rows("messages")}
    found: dict[str, Counter[tuple[Any, ...]]] = {}
    for d in robot.rows("documents"):
        found.setdefault(sha_of[d["message_id"]], Counter())[(d["name"], d["outcome"], d["case_id"], d["reason"])] += 1
    return found


def check_folders(robot: ImapRobot, placed: dict[str, str], *, finished: bool) -> list[str]:
    """What must hold on the server whenever the daemon stops, however: each mail (sha256 -> the mailbox it was
    APPENDed to) is in that mailbox's INBOX or in one of its outcome folders, exactly once, and one in an outcome
    folder is there only because the ledger says it is done with that outcome. `finished`: the INBOXes are empty."""
    problems: list[str] = []
    ledger = robot.mail_outcomes()
    seen: Counter[str] = Counter()
    for mailbox, folders in robot.folders().items():
        for folder, mails in folders.items():
            for raw in mails:
                digest = sha256(raw)
                seen[digest] += 1
                if placed.get(digest) != mailbox:
                    problems.append(f"{mailbox}/{folder}: a mail that was APPENDed to {placed.get(digest)}")
                if folder == "INBOX":
                    if finished:
                        problems.append(f"{mailbox}/INBOX still holds {message_id_of(raw)}")
                elif ledger.get(digest) != folder:
                    problems.append(f"{mailbox}/{folder} holds {message_id_of(raw)} whose ledger outcome is "
                                    f"{ledger.get(digest, 'not done')}")
    lost = sorted(set(placed) - set(seen))
    twice = sorted(d for d, n in seen.items() if n > 1)
    if lost:
        problems.append(f"{len(lost)} mails are in no folder at all")
    if twice:
        problems.append(f"{len(twice)} mails are in the mailbox more than once: {twice[:5]}")
    return problems


def check_archive(robot: ImapRobot, *, finished: bool) -> list[str]:
    """The folder archive agrees with the ledger: every document the ledger says is filed is there, and a PDF never
    shows without its sidecar. `finished`: also one PDF per filed document and nothing else (no temp files; while
    the daemon may be killed, the archive may hold a document the ledger does not know of yet)."""
    problems: list[str] = []
    archive = robot.archive
    files = sorted(p for p in archive.rglob("*") if p.is_file())
    stray = [str(p.relative_to(archive)) for p in files if p.name.startswith(".") or p.suffix not in (".pdf", ".json")]
    if stray and finished:
        problems.append(f"stray files in the archive: {stray}")
    on_disk: Counter[tuple[str, str]] = Counter()
    for pdf in (p for p in files if p.suffix == ".pdf" and not p.name.startswith(".")):
        sidecar = pdf.with_suffix(".json")
        if not sidecar.is_file():
            problems.append(f"{pdf.relative_to(archive)} has no sidecar")
            continue
        if json.loads(sidecar.read_bytes()).get("document_sha256") != sha256(pdf.read_bytes()):
            problems.append(f"{pdf.relative_to(archive)}: the sidecar names other bytes")
        on_disk[(pdf.parent.name, sha256(pdf.read_bytes()))] += 1
    documents = robot.rows("documents")
    in_ledger = Counter((d["case_id"], d["sha256"]) for d in documents if d["outcome"] == "filed")
    if (on_disk != in_ledger) if finished else not (in_ledger <= on_disk):
        problems.append(f"archive {sorted(on_disk - in_ledger)} not in the ledger, "
                        f"ledger {sorted(in_ledger - on_disk)} not in the archive")
    for d in documents:
        if d["outcome"] in ("filed", "duplicate"):
            pdf = archive / (d["document_ref"] or "?")
            if not pdf.is_file() or sha256(pdf.read_bytes()) != d["sha256"]:
                problems.append(f"document {d['id']} ({d['outcome']}) points at {d['document_ref']}, not in the archive")
    return problems


# A parser process whose daemon was SIGKILLed finds its pipe gone and ends with Python's report of that: it catches
# only EOFError (robot/extract/isolation.py, _worker_main), not the BrokenPipeError of its "ready" or the
# ConnectionResetError of recv_bytes. It does end, so only the traceback is let through, in killed starts only.
_ORPHANED_PARSER = re.compile(
    r"Process parser:\nTraceback \(most recent call last\):\n(?:  .*\n)+"
    r"(?:BrokenPipeError|ConnectionResetError|EOFError)\b.*\n")


_UIDVALIDITY_FIELD = re.compile(r'"?uidvalidity"?[:=] ?\d+')


def check_output(robot: ImapRobot, *, killed: Collection[int] = ()) -> None:
    """No full CPR and no password in anything the daemon printed, and no traceback, except that of an orphaned
    parser in the output of a start that was killed (`killed`: their numbers, from 1)."""
    for start, output in enumerate(robot.outputs(), start=1):
        shown = _UIDVALIDITY_FIELD.sub("", output)  # the server's number, logged as it is (robot/log.py)
        assert not FULL_CPR.search(shown), (start, FULL_CPR.search(shown))
        for mailbox in MAILBOXES:
            assert mailbox.account.secret not in output, start
        if start in killed:
            output = _ORPHANED_PARSER.sub("", output)
        assert "Traceback" not in output, (start, output[max(0, output.index("Traceback") - 500):][:4000])


def checks_of(health: dict[str, Any]) -> dict[str, str]:
    return dict(health.get("checks") or {})


def wait_for(check: Callable[[], Any], seconds: float, what: str, step: float = 0.05) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(step)


# ---------------------------------------------------------------- 1. two mailboxes and a server restart


def inbox_files(server: Dovecot, account: Account) -> int:
    """Mails in the account's INBOX, counted in its maildir (while the server is down)."""
    home = server.root / "mail" / account.name
    return sum(1 for sub in ("new", "cur") if (home / sub).is_dir() for _ in (home / sub).iterdir())


def test_two_mailboxes_filed_and_sorted_and_a_server_restart_loses_nothing(
    dovecot: Dovecot, robots: list[ImapRobot], tmp_path: Path
) -> None:
    started = time.monotonic()
    expected = [json.loads(line) for line in (SAMPLES / "expected_process.jsonl").read_text("utf-8").splitlines()]
    planned: dict[str, Counter[tuple[Any, ...]]] = {}
    for e in expected:
        planned.setdefault(Path(e["file"]).name, Counter())[(e["attachment"], e["outcome"], e["case_id"],
                                                             e["reason"])] += 1
    files = sorted((SAMPLES / "mail").glob("*.eml"))
    assert sorted(planned) == [f.name for f in files]
    wire = {f.name: on_the_wire(f.read_bytes()) for f in files}
    shares = {"tunnel": [f.name for f in files[0::2]], "secure": [f.name for f in files[1::2]]}
    placed = {sha256(wire[name]): mailbox for mailbox, names in shares.items() for name in names}
    # two thirds of each mailbox's share before the restart, the rest after it
    before = {mailbox: names[: len(names) * 2 // 3] for mailbox, names in shares.items()}
    after = {mailbox: names[len(names) * 2 // 3 :] for mailbox, names in shares.items()}
    accounts = {m.name: m.account for m in MAILBOXES}

    robot = ImapRobot(tmp_path / "robot", dovecot, MAILBOXES, SAMPLES / "cases.csv")
    robots.append(robot)
    for mailbox, names in before.items():
        append_all(dovecot, accounts[mailbox], [wire[name] for name in names])
    robot.start()
    wait_for(lambda: all(checks_of(robot.health()[1]).get(f"imap:{m.name}") == "connected" for m in MAILBOXES),
             15, "both mailboxes connected")

    # the restart, once the first mails are done and while the others are still being worked on
    first_batch = sum(len(names) for names in before.values())
    done_at_stop = wait_for(lambda: (done := robot.message_states()["done"]) >= 2 and done,
                            30, "the first mails done", step=0.005)
    accepted_at_stop = sum(robot.message_states().values())
    outage = time.monotonic()
    dovecot.stop()
    unsettled = sum(inbox_files(dovecot, m.account) for m in MAILBOXES)
    healths = [robot.health()]
    while time.monotonic() - outage < 2.0 or len(healths) < 5:
        time.sleep(0.1)
        healths.append(robot.health())
    dovecot.start()
    outage_seconds = time.monotonic() - outage
    seen_disconnected = {m.name for m in MAILBOXES
                         if any(checks_of(h).get(f"imap:{m.name}") == "disconnected" for _, h in healths)}
    reconnected = time.monotonic()
    health = wait_for(lambda: (h := robot.health()) and all(checks_of(h[1]).get(f"imap:{m.name}") == "connected"
                                                            for m in MAILBOXES) and h, 20, "reconnecting")
    reconnect_seconds = time.monotonic() - reconnected
    for mailbox, names in after.items():
        append_all(dovecot, accounts[mailbox], [wire[name] for name in names])
    robot.wait_finished(len(files), timeout=60)
    status, final_health = robot.health()

    # the ledger: one message per mail, from the mailbox it was put in, with the planned outcome for each document
    messages = robot.rows("messages")
    assert Counter(m["sha256"] for m in messages) == Counter(list(placed)), "exactly one ledger message per mail"
    assert {m["state"] for m in messages} == {"done"}
    for m in messages:
        assert (m["source"], m["mailbox"]) == ("imap", placed[m["sha256"]])
        assert m["source_ref"].startswith(f"imap:{m['mailbox']}:INBOX:"), m["source_ref"]
    by_mail = documents_by_mail(robot)
    assert {name: by_mail.get(sha256(wire[name])) for name in wire} == planned
    assert check_archive(robot, finished=True) == []
    documents = robot.rows("documents")
    assert all(d["state"] == TERMINAL[d["outcome"]] for d in documents), [(d["id"], d["state"]) for d in documents]

    # the server: every INBOX empty, each mail once in its own mailbox's right folder
    assert check_folders(robot, placed, finished=True) == []
    folders = robot.folders()
    for mailbox, names in shares.items():
        want: dict[str, Counter[str]] = {"filed": Counter(), "escalated": Counter()}
        for name in names:
            want[mail_outcome([outcome for (_, outcome, _, _), n in planned[name].items() for _ in range(n)])][
                sha256(wire[name])] += 1
        got = {kind: Counter(sha256(raw) for raw in folders[mailbox][kind]) for kind in ("filed", "escalated")}
        assert got == want, mailbox
        assert folders[mailbox]["INBOX"] == []
        ids = Counter(message_id_of(raw) for kind in ("filed", "escalated") for raw in folders[mailbox][kind])
        assert ids == Counter(message_id_of(wire[name]) for name in names), "each Message-ID exactly once"
    assert sum(len(folders[m]["filed"]) for m in folders) == 5  # 01, 04, 07, 10, 15: every document filed

    # the restart was noticed, the daemon reconnected and reports it
    assert seen_disconnected == {"tunnel", "secure"}, [h for _, h in healths][-3:]
    assert status == 200 and final_health["status"] == "ok", final_health
    assert all(final_health["checks"][f"imap:{m.name}"] == "connected" for m in MAILBOXES)
    connects = Counter(e.get("mailbox") for e in robot.log_events() if e.get("event") == "imap_connected")
    assert connects["tunnel"] >= 2 and connects["secure"] >= 2, connects
    # ... and it came mid-run: mails were still in the INBOXes, unsettled, while the server was down
    assert 0 < done_at_stop < first_batch and unsettled > 0, (done_at_stop, first_batch, unsettled)

    assert robot.terminate() == 0
    assert "robot_stopped" in robot.output()
    check_output(robot)
    assert robot.leftover_pids == []
    print(f"\nIMAP restart scenario: {len(files)} mails, {accepted_at_stop} accepted and {done_at_stop} done of "
          f"{first_batch} at the stop, {unsettled} in the INBOXes during the {outage_seconds:.1f} s outage, "
          f"reconnected {reconnect_seconds:.1f} s after it, {time.monotonic() - started:.1f} s in all; "
          f"health {health[1]['checks']}")


# ---------------------------------------------------------------- 2. repeated SIGKILL under load


@dataclass
class Snapshot:
    """What the test sees of a running daemon, polled every few milliseconds."""

    elapsed: float  # since the start
    healthy_at: float | None  # when /healthz first answered 200, since the start
    messages: int  # ledger messages
    done: int  # ... of them done
    unmoved: int  # messages done in this run that no log line says were moved yet


Trigger = Callable[[Snapshot], bool]


def at_seconds(delay: float) -> Trigger:
    """In start-up: `delay` seconds after the process started."""
    return lambda s: s.elapsed >= delay


def after_intake(messages: int) -> Trigger:
    """While the INBOXes are taken in: once the ledger holds `messages` mails (at once when it held them already)."""
    return lambda s: s.messages >= messages


def after_healthy(delay: float) -> Trigger:
    return lambda s: s.healthy_at is not None and s.elapsed >= s.healthy_at + delay


def after_done(more: int, jitter: float, total: int) -> Trigger:
    """Mid-run: `jitter` seconds after `more` mails were finished in this run (or everything is)."""
    armed: list[float] = []
    baseline: list[int] = []

    def trigger(s: Snapshot) -> bool:
        if not baseline:
            baseline.append(s.done)
        if not armed and (s.done >= baseline[0] + more or s.done >= total):
            armed.append(s.elapsed + jitter)
        return bool(armed) and s.elapsed >= armed[0]

    return trigger


def between_commit_and_move(after: int, total: int) -> Trigger:
    """Mid-run, in the window the IMAP side depends on: once `after` more mails are done, at the first moment a mail's
    outcome is committed and its move not yet logged (or when everything is done)."""
    baseline: list[int] = []

    def trigger(s: Snapshot) -> bool:
        if not baseline:
            baseline.append(s.done)
        return (s.done >= baseline[0] + after and s.unmoved > 0) or s.done >= total

    return trigger


def kill_plan(rng: random.Random, total: int) -> list[tuple[str, Trigger]]:
    """Eight kills: two in start-up, one while the INBOXes are taken in, five mid-run (spread over the first two
    thirds of the bag or so; the last start does the rest)."""
    plan: list[tuple[str, Trigger]] = []
    for kind in ("start-up", "intake", "done", "start-up", "commit", "healthy", "done", "commit"):
        if kind == "start-up":
            delay = rng.uniform(0.05, 0.3)
            plan.append((f"{delay:.2f} s after the start", at_seconds(delay)))
        elif kind == "intake":
            count = rng.randint(total // 10, total // 2)
            plan.append((f"at {count} mails in the ledger", after_intake(count)))
        elif kind == "healthy":
            delay = rng.uniform(0.3, 1.5)
            plan.append((f"{delay:.2f} s after /healthz answered", after_healthy(delay)))
        elif kind == "commit":
            after = rng.randint(10, 30)
            plan.append((f"between commit and move, after {after} more mails", between_commit_and_move(after, total)))
        else:
            more, jitter = rng.randint(15, 40), rng.uniform(0.0, 0.05)
            plan.append((f"{jitter * 1000:.0f} ms after {more} more mails were done", after_done(more, jitter, total)))
    return plan


@dataclass
class Round:
    label: str
    returncode: int
    seconds: float
    healthy: bool  # /healthz had answered before the kill
    before: Counter[str]  # ledger message states at the start
    at_kill: Counter[str]  # ... right after the kill
    committed_not_moved: int = 0  # done in the ledger, still in an INBOX: the next start must move them
    problems: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        if self.at_kill.get("done", 0) > self.before.get("done", 0):
            return "mid-run"
        return "intake" if self.healthy else "start-up"


def _done_ids(robot: ImapRobot) -> set[int]:
    try:
        db = robot.ledger()
        try:
            return {row[0] for row in db.execute("SELECT id FROM messages WHERE state = 'done'")}
        finally:
            db.close()
    except sqlite3.OperationalError:  # no ledger yet
        return set()


def run_killed(robot: ImapRobot, label: str, trigger: Trigger, total: int) -> Round:
    """One start of the daemon, SIGKILLed (its pid only) the first time `trigger` says so."""
    before = robot.message_states()
    done_before = _done_ids(robot) if before else set()
    moved: set[int] = set()
    started = time.monotonic()
    process = robot.spawn()
    log = robot.folder / f"run-{robot.starts:02d}.stderr"
    offset, healthy_at = 0, None
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if healthy_at is None and robot.health()[0] == 200:
            healthy_at = elapsed
        with log.open("rb") as stream:  # the JSON log: one flushed line per event
            stream.seek(offset)
            chunk = stream.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        offset += len(complete)
        for line in complete.splitlines():
            if b'"imap_mail_moved"' in line:
                moved.add(json.loads(line)["message"])
        states = robot.message_states()
        unmoved = len(_done_ids(robot) - done_before - moved) if states.get("done") else 0
        if trigger(Snapshot(elapsed, healthy_at, sum(states.values()), states.get("done", 0), unmoved)):
            break
        assert elapsed < 60, f"{label}: the kill never came"
        time.sleep(0.002)
    returncode = robot.kill()
    return Round(label, returncode, time.monotonic() - started, healthy_at is not None, before,
                 robot.message_states())


def relaxed(outcome: str) -> str:
    """filed and duplicate as one: which of two mails with the same certificate for the same case is filed and which
    is the duplicate depends on the order the daemon's two workers take them in, not on the bag's plan."""
    return "filed" if outcome == "duplicate" else outcome


@dataclass
class KillScenario:
    bag: Bag
    robot: ImapRobot
    wire: dict[str, bytes]  # bag file -> the mail's bytes as APPENDed
    digest: dict[str, str]  # bag file -> sha256 of those bytes
    shares: dict[str, list[str]]  # mailbox -> its bag files, in APPEND order
    placed: dict[str, str]  # sha256 -> mailbox
    planned_mail: dict[str, str]  # sha256 -> the folder the plan puts the mail in
    same_certificate: list[list[str]]  # groups of files carrying the same certificate for the same case
    rounds: list[Round]
    health: tuple[int, dict[str, Any]]  # /healthz when everything was finished
    returncode: int  # of the last start, stopped by SIGTERM


def append_order(bag: Bag, rng: random.Random) -> dict[str, list[str]]:
    """Which mails go to which mailbox, in which order. Mails carrying the same certificate for the same case (the
    bag's duplicates, and the two copies of each sample) arrive back to back in the tunnel mailbox, as when a sender
    sends a certificate twice, so the daemon's two workers take them at the same time; a fifth of the others go to
    the secure mailbox. The tunnel mailbox alone keeps its order in the ledger (the two mailboxes' sweeps
    interleave), which is what puts the copies side by side in the daemon's queue, also after each restart."""
    root: dict[str, str] = {}  # mails linked by a certificate they share, transitively: one run of mails

    def find(file: str) -> str:
        while root.get(file, file) != file:
            file = root[file]
        return file

    for files in same_certificate_groups(bag):
        for file in files[1:]:
            root[find(file)] = find(files[0])
    runs: dict[str, list[str]] = {}
    for file in bag.files:
        if file in root or file in root.values():
            runs.setdefault(find(file), []).append(file)
    shares: dict[str, list[str]] = {"tunnel": [], "secure": []}
    placed: set[str] = set()
    for file in bag.files:
        if file in placed:
            continue
        run = runs.get(find(file))
        if run is not None:
            shares["tunnel"].extend(run)
            placed.update(run)
        elif rng.random() < 0.2:
            shares["secure"].append(file)
        else:
            shares["tunnel"].append(file)
    return shares


def same_certificate_groups(bag: Bag) -> list[list[str]]:
    """The mails (bag files, in the bag's order) of each certificate that more than one mail carries for one case."""
    groups: dict[tuple[str | None, str | None], set[str]] = {}
    for (file, name), e in bag.expected.items():
        if e.outcome in ("filed", "duplicate"):
            groups.setdefault((e.case_id, name), set()).add(file)
    return [sorted(files, key=bag.files.index) for files in groups.values() if len(files) > 1]


@pytest.fixture(scope="module")
def kill_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KillScenario]:
    """The bag in the two mailboxes, eight SIGKILLed starts of the daemon, one last start left to finish and stopped
    by SIGTERM. Run once; the tests below read what it left, with the server still running."""
    started = time.monotonic()
    root = tmp_path_factory.mktemp("imap_kills")
    bag = make_bag(root / "bag", seed=SEED, generated=154, sample_copies=2)
    register = root / "cases.csv"
    bag.write_register(register)
    wire = {file: on_the_wire((root / file).read_bytes()) for file in bag.files}
    digest = {file: sha256(raw) for file, raw in wire.items()}
    assert len(wire) == 200 and len(set(digest.values())) == 200, "200 distinct mails"
    rng = random.Random(SEED)
    shares = append_order(bag, rng)
    assert sorted(f for files in shares.values() for f in files) == sorted(bag.files)
    placed = {digest[file]: mailbox for mailbox, files in shares.items() for file in files}
    planned_mail = {digest[file]: mail_outcome([e.outcome for (f, _), e in bag.expected.items() if f == file])
                    for file in bag.files}
    same_certificate = same_certificate_groups(bag)
    with running_dovecot((TUNNEL, SECURE)) as server:
        robot = ImapRobot(root / "robot", server, MAILBOXES, register)
        try:
            for mailbox in MAILBOXES:
                append_all(server, mailbox.account, [wire[file] for file in shares[mailbox.name]])
            rounds: list[Round] = []
            for number, (label, trigger) in enumerate(kill_plan(rng, len(wire)), start=1):
                round_ = run_killed(robot, f"round {number}: kill {label}", trigger, len(wire))
                round_.problems = check_folders(robot, placed, finished=False) + check_archive(robot, finished=False)
                done = set(robot.mail_outcomes())
                round_.committed_not_moved = sum(1 for folders in robot.folders().values()
                                                 for raw in folders["INBOX"] if sha256(raw) in done)
                rounds.append(round_)
            final_start = time.monotonic()
            robot.start()
            finish_seconds = robot.wait_finished(len(wire), timeout=90)
            final_seconds = time.monotonic() - final_start
            health = robot.health()
            returncode = robot.terminate()
            report = [(f"\nIMAP kill scenario, seed {SEED}: {len(wire)} mails, {len(bag.expected)} documents, "
                       f"{len(same_certificate)} groups of mails with the same certificate")]
            for r in rounds:
                report.append(f"  {r.label}: rc {r.returncode}, {r.stage}, {r.seconds:.2f} s, ledger {dict(r.before)}"
                              f" -> {dict(r.at_kill)}, {r.committed_not_moved} committed but not moved")
            report.append(f"  final run: finished {final_seconds:.1f} s after the start ({finish_seconds:.1f} s "
                          f"after /healthz), rc {returncode}; {time.monotonic() - started:.1f} s in all")
            print("\n".join(report))
            yield KillScenario(bag, robot, wire, digest, shares, placed, planned_mail, same_certificate, rounds,
                               health, returncode)
        finally:
            robot.cleanup()


def test_repeated_sigkill_under_load_every_mail_exactly_once(kill_scenario: KillScenario) -> None:
    scenario = kill_scenario
    robot, rounds, bag, digest = scenario.robot, scenario.rounds, scenario.bag, scenario.digest

    # the kills landed where they were meant to, and hurt nothing visible at that instant
    assert all(r.returncode == -9 for r in rounds), [(r.label, r.returncode) for r in rounds]
    stages = Counter(r.stage for r in rounds)
    assert stages["mid-run"] >= 3 and stages["start-up"] + stages["intake"] >= 2, stages
    # at least one kill left a mail whose outcome was committed in the INBOX: a later start had to move it
    assert sum(r.committed_not_moved for r in rounds) >= 1, "no kill landed between a commit and its move"
    assert {r.label: r.problems for r in rounds if r.problems} == {}

    # the ledger: every mail exactly one message, done, from its mailbox, every document in a final state
    messages = robot.rows("messages")
    assert Counter(m["sha256"] for m in messages) == Counter(digest.values())
    assert {m["state"] for m in messages} == {"done"}
    assert all(m["mailbox"] == scenario.placed[m["sha256"]] and m["source"] == "imap" for m in messages)
    documents = robot.rows("documents")
    assert all(d["state"] == TERMINAL.get(d["outcome"]) for d in documents), [(d["id"], d["state"]) for d in documents]
    escalated = {d["id"] for d in documents if d["outcome"] == "escalated"}
    assert Counter(e["document_id"] for e in robot.rows("escalations")) == Counter(escalated)

    # each document as the bag planned it (filed and duplicate as one, see relaxed()), and one filing, no more, of
    # each certificate in each case (copies side by side race for the filing: one wins, the other is a duplicate)
    planned: dict[str, Counter[tuple[Any, ...]]] = {}
    for (file, name), e in bag.expected.items():
        planned.setdefault(digest[file], Counter())[(name, relaxed(e.outcome), e.case_id, e.reason)] += 1
    found: dict[str, Counter[tuple[Any, ...]]] = {}
    for sha, docs in documents_by_mail(robot).items():
        found[sha] = Counter()
        for (name, outcome, case_id, reason), count in docs.items():
            found[sha][(name, relaxed(outcome), case_id, reason)] += count
    wrong = {file: (found.get(digest[file]), planned[digest[file]]) for file in bag.files
             if found.get(digest[file]) != planned[digest[file]]}
    assert wrong == {}, f"{len(wrong)} mails differ from the plan (found, planned): {list(wrong.items())[:3]}"
    filings = Counter((d["case_id"], d["sha256"]) for d in documents if d["outcome"] == "filed")
    certificates = {(d["case_id"], d["sha256"]) for d in documents if d["outcome"] in ("filed", "duplicate")}
    assert set(filings) == certificates and max(filings.values()) == 1, "one filing per case and certificate"

    # the archive agrees with the ledger: one PDF and sidecar per filed document, no temp files
    assert check_archive(robot, finished=True) == []

    # the server agrees with the ledger (and so with the plan): INBOXes empty, each mail once, in its own mailbox's
    # folder for its outcome
    assert check_folders(robot, scenario.placed, finished=True) == []
    folders = robot.folders()
    ledger = robot.mail_outcomes()
    assert ledger == scenario.planned_mail
    for mailbox, files in scenario.shares.items():
        for kind in ("filed", "escalated"):
            got = Counter(sha256(raw) for raw in folders[mailbox][kind])
            assert got == Counter(digest[f] for f in files if ledger[digest[f]] == kind), kind
        ids = Counter(message_id_of(raw) for kind in ("filed", "escalated") for raw in folders[mailbox][kind])
        assert ids == Counter(message_id_of(scenario.wire[f]) for f in files), "each Message-ID as often as sent"

    # a clean end, nothing left behind, nothing revealed
    status, health = scenario.health
    assert status == 200 and health["status"] == "ok", health
    assert scenario.returncode == 0
    assert robot.leftover_pids == [], "processes the killed daemon left behind"
    check_output(robot, killed=set(range(1, len(rounds) + 1)))


# ---------------------------------------------------------------- 3. the bug the second scenario ran into


PAIRS = 12


def test_the_same_certificate_in_two_mails_at_once_is_filed_once_and_then_a_duplicate(
    dovecot: Dovecot, robots: list[ImapRobot], tmp_path: Path
) -> None:
    """A sender sends the same certificate twice (say once by tunnel mail, once by secure mail): the two mails arrive
    together and the daemon's two workers take them at the same time. One must be filed and the other a duplicate."""
    rng = random.Random(SEED)
    citizens = Citizens(rng, set())
    rows: list[tuple[str, ...]] = []
    mails: list[bytes] = []
    sent = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    for n in range(PAIRS):
        cpr = citizens.new()
        rows.append((dashed(cpr), f"SD-{9100 + n}", "sygedagpenge", "open", "anne.holm@kommune.example", "Team SD"))
        pdf = certificate_pdf("125", "Statusattest", cpr, f"Fiktiv Borger {n}", serial=n)
        for copy in range(2):
            mails.append(on_the_wire(mail_bytes(TRUSTED[copy], 10 * n + copy, [(f"LÆ125_{n}.pdf", pdf)],
                                                sent + timedelta(minutes=10 * n + copy))))
    register = tmp_path / "cases.csv"
    Bag(folder=tmp_path, files=[], register_rows=rows, expected={}).write_register(register)
    robot = ImapRobot(tmp_path / "robot", dovecot, MAILBOXES, register)
    robots.append(robot)
    append_all(dovecot, TUNNEL, mails)  # in one mailbox: the pairs side by side in the daemon's queue
    robot.start()
    robot.wait_finished(len(mails), timeout=60)
    assert robot.terminate() == 0
    assert check_folders(robot, {sha256(raw): "tunnel" for raw in mails}, finished=True) == []

    documents = robot.rows("documents")
    assert len(documents) == len(mails)
    escalated = [(d["case_id"], d["reason"]) for d in documents if d["outcome"] == "escalated"]
    assert escalated == [], f"{len(escalated)} of {PAIRS} second copies escalated instead of being duplicates"
    by_case: dict[str, Counter[str]] = {row[1]: Counter() for row in rows}
    for d in documents:
        by_case.setdefault(d["case_id"] or f"escalated: {d['reason']}", Counter())[d["outcome"]] += 1
    assert by_case == {row[1]: Counter({"filed": 1, "duplicate": 1}) for row in rows}
    folders = robot.folders()["tunnel"]
    assert (len(folders["filed"]), len(folders["escalated"])) == (len(mails), 0)
    check_output(robot)


def test_a_trusted_channel_needs_no_gateway_stamp_and_never_outweighs_a_failure(
    dovecot: Dovecot, robots: list[ImapRobot], tmp_path: Path
) -> None:
    """The tunnel mailbox is declared a trusted channel, the secure one is not. A region mail without any
    Authentication-Results is filed from the tunnel and escalated from the other; a mail our gateway found failing
    DMARC is escalated from the tunnel too."""
    citizens = Citizens(random.Random(SEED + 1), set())
    rows: list[tuple[str, ...]] = []
    pdfs = []
    for n in range(3):
        cpr = citizens.new()
        rows.append((dashed(cpr), f"SD-{9300 + n}", "sygedagpenge", "open", "anne.holm@kommune.example", "Team SD"))
        pdfs.append(certificate_pdf("125", "Statusattest", cpr, f"Fiktiv Borger {n}", serial=100 + n))
    sent = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

    def unstamped(n: int) -> bytes:  # as the sender wrote it: our gateway's pass header taken off again
        raw = mail_bytes(TRUSTED[0], 900 + n, [(f"LÆ125_{n}.pdf", pdfs[n])], sent + timedelta(minutes=n))
        return on_the_wire(b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"Authentication-")))

    forged = with_header(unstamped(2), "Authentication-Results: mx.kommune.example; spf=fail smtp.mailfrom=rn.dk; "
                                       "dkim=none; dmarc=fail header.from=rn.dk")
    register = tmp_path / "cases.csv"
    Bag(folder=tmp_path, files=[], register_rows=rows, expected={}).write_register(register)
    mailboxes = [replace(MAILBOXES[0], trusted_channel=True), MAILBOXES[1]]
    robot = ImapRobot(tmp_path / "robot", dovecot, mailboxes, register)
    robots.append(robot)
    append_all(dovecot, TUNNEL, [unstamped(0), forged])
    append_all(dovecot, SECURE, [unstamped(1)])
    robot.start()
    robot.wait_finished(3, timeout=60)
    assert robot.terminate() == 0
    outcomes = sorted((d["name"], d["outcome"], d["case_id"], d["reason"]) for d in robot.rows("documents"))
    assert outcomes == [("LÆ125_0.pdf", "filed", "SD-9300", None),
                        ("LÆ125_1.pdf", "escalated", None, "untrusted_sender"),
                        ("LÆ125_2.pdf", "escalated", None, "untrusted_sender")]
    folders = robot.folders()
    assert (len(folders["tunnel"]["filed"]), len(folders["tunnel"]["escalated"])) == (1, 1)
    assert (len(folders["secure"]["filed"]), len(folders["secure"]["escalated"])) == (0, 1)
