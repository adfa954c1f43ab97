"""deliver_due with the real outbox folder and a real ledger: notices go in batches, and each one's fate is its own:
sent, refused, retried after a failure, or given up after its attempts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from robot.ledger.base import NoticeState
from robot.ledger.records import NoticeKind
from robot.ledger.sqlite import SqliteLedger
from robot.model import RetryPolicy
from robot.notify.delivery import BATCH_NOTICES, deliver_due
from robot.notify.outbox import OutboxFolderTransport, safe_name

TO = ("sagsbehandler@kommune.example",)
BACKOFF = RetryPolicy(first_seconds=60, max_seconds=600, max_attempts=3)


def clock() -> datetime:
    return datetime.now(UTC)


def later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def outbox(folder: Path) -> OutboxFolderTransport:
    return OutboxFolderTransport(folder, "robot@kommune.example", "kommune.example")


def queue(ledger: SqliteLedger, count: int, *, body: str = "Se sagen.") -> list[int]:
    return [ledger.enqueue_notice(f"filed:{n}", NoticeKind.FILED, TO, "Attest journaliseret", body)
            for n in range(count)]


def states(ledger: SqliteLedger) -> dict[str, NoticeState]:
    rows = ledger._db.execute("SELECT key, state FROM outbox").fetchall()
    return {row["key"]: NoticeState(row["state"]) for row in rows}


def errors(ledger: SqliteLedger) -> dict[str, str | None]:
    return {row["key"]: row["last_error"] for row in ledger._db.execute("SELECT key, last_error FROM outbox")}


async def test_more_notices_than_a_batch_are_all_written_once(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    count = BATCH_NOTICES * 2 + 3
    queue(ledger, count)
    folder = tmp_path / "outbox"
    report = await deliver_due(ledger, outbox(folder), clock, BACKOFF)
    assert (report.sent, report.retrying, report.failed) == (count, 0, 0)
    assert sorted(os.listdir(folder)) == sorted(safe_name(f"filed:{n}") for n in range(count))
    assert set(states(ledger).values()) == {NoticeState.SENT}
    assert (await deliver_due(ledger, outbox(folder), clock, BACKOFF)).sent == 0  # nothing is sent twice


async def test_a_refused_notice_fails_alone_and_the_others_of_its_batch_are_sent(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    queue(ledger, 3)
    ledger.enqueue_notice("filed:cpr", NoticeKind.FILED, TO, "Attest", "Borger 010190-1234")
    folder = tmp_path / "outbox"
    report = await deliver_due(ledger, outbox(folder), clock, BACKOFF)
    assert (report.sent, report.retrying, report.failed) == (3, 0, 1)
    assert states(ledger)["filed:cpr"] is NoticeState.FAILED
    assert safe_name("filed:cpr") not in os.listdir(folder) and len(os.listdir(folder)) == 3
    error = errors(ledger)["filed:cpr"]
    assert error is not None and "CPR-shaped" in error and "010190-1234" not in error


async def test_an_unusable_outbox_is_retried_then_given_up(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    queue(ledger, 2)
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    first = await deliver_due(ledger, outbox(blocked), clock, BACKOFF)
    assert (first.sent, first.retrying, first.failed) == (0, 2, 0)
    assert (await deliver_due(ledger, outbox(blocked), clock, BACKOFF)).retrying == 0  # not due again yet
    await deliver_due(ledger, outbox(blocked), lambda: later(2), BACKOFF)  # the second attempt
    last = await deliver_due(ledger, outbox(blocked), lambda: later(10), BACKOFF)  # the third: out of attempts
    assert (last.sent, last.retrying, last.failed) == (0, 0, 2)
    assert set(states(ledger).values()) == {NoticeState.FAILED}
    assert all((error or "").startswith("gave up: outbox ") for error in errors(ledger).values())


async def test_after_a_failure_the_retry_is_sent_once_the_outbox_works(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    queue(ledger, 2)
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the folder should be")
    assert (await deliver_due(ledger, outbox(blocked), clock, BACKOFF)).retrying == 2
    blocked.unlink()
    report = await deliver_due(ledger, outbox(blocked), lambda: later(2), BACKOFF)
    assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
    assert len(os.listdir(blocked)) == 2
