"""ImapIngress against a real Dovecot: settled mails are moved in batches without sweeping the folder again, a
settle while disconnected is not lost, remembered mails are not asked about on every sweep, new mails are fetched
a few per command."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest

from robot.ingress.imap import FETCH_BATCH_BYTES, FETCH_BATCH_MAILS, MOVE_BATCH_SECONDS, fetch_batches
from robot.ingress.imap_client import ImapSession, parse_fetched_bodies, parse_fetched_sizes, uid_set
from tests.dovecot import Dovecot, running_dovecot
from tests.e2e.imap_daemon_support import append_all
from tests.integration.test_imap_ingress import (
    ESCALATED_WIRE,
    FILED,
    OAUTH,
    ROBOT,
    FakeLedger,
    append,
    eventually,
    ingress,
    mail,
    messages,
    running,
)

SPIED = ("select", "uid_search_all", "fetch_sizes", "fetch_bodies", "_move_set")


@dataclass
class CountingLedger(FakeLedger):
    """FakeLedger counting how often outcome_of was asked about each message."""

    asked: Counter[int] = field(default_factory=Counter)

    async def outcome_of(self, message_id: int) -> str | None:
        self.asked[message_id] += 1
        return await super().outcome_of(message_id)


@dataclass
class Commands:
    """What ImapSession was asked to do: calls per method, and the arguments of each call."""

    calls: Counter[str] = field(default_factory=Counter)
    args: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def moves(self) -> int:
        """UID MOVE commands (or UID COPY + STORE + EXPUNGE rounds, without MOVE)."""
        return self.calls["_move_set"]

    @property
    def moved(self) -> int:
        """UIDs named by those commands ("1:3,7" counts 4)."""
        return sum(len(expand(uids)) for uids, _folder in self.args["_move_set"])


def expand(uids: str) -> list[int]:
    found: list[int] = []
    for part in uids.split(","):
        first, _, last = part.partition(":")
        found.extend(range(int(first), int(last or first) + 1))
    return found


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Commands:
    recorded = Commands()
    for name in SPIED:
        original = getattr(ImapSession, name)

        async def spy(self: ImapSession, *args: Any, _original: Any = original, _name: str = name) -> Any:
            recorded.calls[_name] += 1
            recorded.args[_name].append(args)
            return await _original(self, *args)

        monkeypatch.setattr(ImapSession, name, spy)
    return recorded


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot((ROBOT, OAUTH)) as server:
        yield server


@pytest.fixture
def ledger() -> CountingLedger:
    return CountingLedger()


async def append_many(server: Dovecot, raws: list[bytes]) -> None:
    await asyncio.to_thread(append_all, server, ROBOT, raws)


# settling


async def test_mails_finishing_together_are_moved_in_one_command_per_folder_without_a_new_sweep(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    raws = [mail(n) for n in range(30)]
    await append_many(dovecot, raws)
    watcher = ingress(dovecot, ledger)
    async with running(watcher):
        await eventually(lambda: len(ledger.ids) == 30 and watcher.idling, what="all 30 accepted, then IDLE")
        searches, asked = commands.calls["uid_search_all"], sum(ledger.asked.values())
        outcomes = {ledger.id_of(raw) or 0: "filed" if n % 3 else "escalated" for n, raw in enumerate(raws)}
        ledger.outcomes.update(outcomes)  # committed, then settled: as the daemon's workers do

        started = time.monotonic()
        await asyncio.gather(*(watcher.settle(message_id, outcome) for message_id, outcome in outcomes.items()))
        await eventually(lambda: commands.moved == 30, seconds=1.0, what="all 30 moved within a second")
        moved_after = time.monotonic() - started
        await eventually(lambda: watcher.idling, what="IDLE again")

        assert commands.moves == 2  # one UID MOVE to each outcome folder
        assert commands.calls["uid_search_all"] == searches, "moving is no reason to sweep the folder again"
        assert sum(ledger.asked.values()) == asked, "settled mails are not asked about again"
        assert watcher.last_error is None
    assert await messages(dovecot) == []
    assert sorted(await messages(dovecot, FILED)) == sorted(r for n, r in enumerate(raws) if n % 3)
    assert sorted(await messages(dovecot, ESCALATED_WIRE)) == sorted(r for n, r in enumerate(raws) if not n % 3)
    print(f"\n30 settles moved {moved_after * 1000:.0f} ms after the first, in {commands.moves} commands")


async def test_a_mail_appended_during_idle_is_moved_well_within_a_second_of_its_settle(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    watcher = ingress(dovecot, ledger)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE")
        raw = mail(1)
        await append(dovecot, raw)
        message_id = await eventually(lambda: ledger.id_of(raw), seconds=2.0, what="pickup in IDLE")
        await eventually(lambda: watcher.idling, what="IDLE after the sweep")
        ledger.outcomes[message_id] = "filed"
        started = time.monotonic()
        await watcher.settle(message_id, "filed")
        assert time.monotonic() - started < 0.1, "settle only notes the move while run() watches"
        await eventually(lambda: commands.moved == 1, seconds=1.0, what="the move within a second")
    assert await messages(dovecot, FILED) == [raw]
    assert await messages(dovecot) == []


async def test_while_the_mailbox_is_busy_mails_settled_one_by_one_are_moved_together(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    """Under a backlog the workers settle a mail every few ms: each move costs a SELECT and a MOVE on both sides, so
    while new mail keeps the mailbox busy the moves wait up to MOVE_BATCH_SECONDS and go together."""
    raws = [mail(n) for n in range(30)]
    await append_many(dovecot, raws)
    watcher = ingress(dovecot, ledger, busy_check_seconds=0.05, busy_seconds=30)
    async with running(watcher):
        await eventually(lambda: len(ledger.ids) == 30, what="all 30 accepted")
        started = time.monotonic()
        for raw in raws:  # one by one, as the workers finish them
            message_id = ledger.id_of(raw) or 0
            ledger.outcomes[message_id] = "filed"
            await watcher.settle(message_id, "filed")
            await asyncio.sleep(0.01)
        settled = time.monotonic()
        await eventually(lambda: commands.moved == 30, seconds=5.0, what="all 30 moved")
        moved_after = time.monotonic() - settled
        assert not watcher.idling, "still busy: checking for new mail, not in IDLE"
    spread = settled - started
    # one batch per MOVE_BATCH_SECONDS (and one at the start), never one per mail
    assert commands.moves <= spread / MOVE_BATCH_SECONDS + 2, (commands.moves, spread)
    assert moved_after < MOVE_BATCH_SECONDS + 0.5, "the last ones wait at most one batch interval"
    assert sorted(await messages(dovecot, FILED)) == sorted(raws)
    assert await messages(dovecot) == []
    print(f"\n30 settles over {spread * 1000:.0f} ms moved in {commands.moves} commands")


async def test_a_settle_once_the_mailbox_is_quiet_again_is_moved_at_once(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    """The batching is for a busy mailbox only: when no new mail came for busy_seconds, a settle moves at once."""
    raw = mail(1)
    await append(dovecot, raw)
    watcher = ingress(dovecot, ledger, busy_check_seconds=0.05, busy_seconds=0.3)
    async with running(watcher):
        message_id = await eventually(lambda: ledger.id_of(raw), what="the mail accepted")
        await eventually(lambda: watcher.idling, what="IDLE once the mailbox is quiet")
        ledger.outcomes[message_id] = "filed"
        started = time.monotonic()
        await watcher.settle(message_id, "filed")
        await eventually(lambda: commands.moved == 1, seconds=1.0, what="the move")
        assert time.monotonic() - started < MOVE_BATCH_SECONDS / 2
    assert await messages(dovecot, FILED) == [raw]


async def test_without_run_settles_made_together_share_a_batch_also_without_move(
    ledger: CountingLedger, commands: Commands
) -> None:
    """No IDLE, no MOVE (UID COPY + STORE \\Deleted + UID EXPUNGE), no run(): each settle moves what is noted."""
    with running_dovecot((ROBOT,), capabilities="IMAP4rev1 LITERAL+ UIDPLUS") as server:
        keep, *movers = [mail(n) for n in range(5)]
        await append_many(server, [keep, *movers])
        watcher = ingress(server, ledger)
        await watcher.poll_once()
        outcomes = {ledger.id_of(raw) or 0: ("filed", "escalated")[n % 2] for n, raw in enumerate(movers)}
        ledger.outcomes.update(outcomes)
        await asyncio.gather(*(watcher.settle(message_id, outcome) for message_id, outcome in outcomes.items()))
        assert watcher.last_error is None
        assert commands.moves == 2  # the first settle's SELECT took long enough for the others to be noted
        assert await messages(server) == [keep]
        assert await messages(server, FILED) == movers[0::2]
        assert await messages(server, ESCALATED_WIRE) == movers[1::2]
        watcher.stop()


async def test_a_settle_while_disconnected_is_moved_after_the_reconnect(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    watcher = ingress(dovecot, ledger, reconnect_max_seconds=1)
    raw = mail(1)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE")
        await append(dovecot, raw)
        message_id = await eventually(lambda: ledger.id_of(raw), what="the mail accepted")

        await asyncio.to_thread(dovecot.stop)
        await eventually(lambda: not watcher.connected, what="noticing the server is gone")
        ledger.outcomes[message_id] = "escalated"
        await watcher.settle(message_id, "escalated")  # nothing to talk to: noted, no error raised
        assert commands.moves == 0
        await asyncio.to_thread(dovecot.start)
        await eventually(lambda: commands.moved == 1, seconds=15, what="the move after the reconnect")
        await eventually(lambda: watcher.idling, what="IDLE after the reconnect")
        assert watcher.last_error is None
    assert await messages(dovecot, ESCALATED_WIRE) == [raw]
    assert await messages(dovecot) == []


async def test_stop_moves_what_was_settled_just_before(dovecot: Dovecot, ledger: CountingLedger) -> None:
    """The daemon drains its workers, then stops the ingress: the last settles must not wait for the next start."""
    raws = [mail(n) for n in range(3)]
    await append_many(dovecot, raws)
    watcher = ingress(dovecot, ledger)
    task = asyncio.create_task(watcher.run())
    await eventually(lambda: len(ledger.ids) == 3 and watcher.idling, what="all accepted, then IDLE")
    for raw in raws:
        message_id = ledger.id_of(raw) or 0
        ledger.outcomes[message_id] = "filed"
        await watcher.settle(message_id, "filed")
    watcher.stop()
    await asyncio.wait_for(task, 10)
    assert not watcher.connected
    assert sorted(await messages(dovecot, FILED)) == sorted(raws)
    assert await messages(dovecot) == []


# sweeping


async def test_remembered_mails_are_asked_about_once_and_again_only_when_a_poll_is_due(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    early = [mail(n) for n in range(5)]
    await append_many(dovecot, early)
    watcher = ingress(dovecot, ledger)
    async with running(watcher):
        await eventually(lambda: len(ledger.ids) == 5 and watcher.idling, what="the first five accepted")
        early_ids = [ledger.id_of(raw) or 0 for raw in early]
        assert [ledger.asked[m] for m in early_ids] == [1] * 5  # on intake: each may be a finished message's copy

        sweeps = commands.calls["uid_search_all"]
        for n in range(5, 8):  # each arrival is a sweep of its own
            raw = mail(n)
            await append(dovecot, raw)
            await eventually(partial(ledger.id_of, raw), seconds=2.0, what=f"mail {n} accepted")
            await eventually(lambda: watcher.idling, what="IDLE again")
        assert commands.calls["uid_search_all"] >= sweeps + 3
        assert [ledger.asked[m] for m in early_ids] == [1] * 5, "still in flight: the daemon settles them"
        assert all(count == 1 for count in ledger.asked.values())

        # a poll asks about them again: one finished without a settle for this mailbox (its bytes came first by
        # SMTP, say) is moved then
        ledger.outcomes[early_ids[2]] = "filed"
        await watcher.poll_once()
        assert [ledger.asked[m] for m in early_ids] == [2] * 5
        assert watcher.last_error is None
    assert await messages(dovecot, FILED) == [early[2]]
    assert len(await messages(dovecot)) == 7


async def test_new_mails_are_fetched_a_few_per_command_and_a_big_one_alone(
    dovecot: Dovecot, ledger: CountingLedger, commands: Commands
) -> None:
    small = [mail(n) for n in range(120)]
    big = mail(999, padding=FETCH_BATCH_BYTES + 1024)
    arrived = [*small[:60], big, *small[60:]]
    await append_many(dovecot, arrived)
    watcher = ingress(dovecot, ledger)
    await watcher.poll_once()
    assert watcher.last_error is None
    assert [r.raw for r in ledger.received] == arrived  # intact, in UID order
    assert [r.source_ref.rsplit(":", 1)[1] for r in ledger.received] == [str(uid) for uid in range(1, 122)]
    batches = [list(uids) for uids, _seconds in commands.args["fetch_bodies"]]
    assert [len(batch) for batch in batches] == [50, 10, 1, 50, 10]
    assert batches[2] == [61]  # the big one alone
    assert commands.calls["fetch_sizes"] == 1
    watcher.stop()


# the pieces


def test_uid_sets_name_runs_as_ranges() -> None:
    assert uid_set([9, 1, 2, 3, 7, 10, 3]) == "1:3,7,9:10"
    assert uid_set([5]) == "5"
    assert expand(uid_set(range(1, 500, 2))) == list(range(1, 500, 2))


def test_fetch_batches_bound_mails_and_bytes() -> None:
    sizes = {uid: 1000 for uid in range(1, 121)} | {50: FETCH_BATCH_BYTES + 1}
    batches = fetch_batches(list(range(1, 121)), sizes)
    assert [uid for batch in batches for uid in batch] == list(range(1, 121))
    assert [50] in batches
    assert all(len(batch) <= FETCH_BATCH_MAILS for batch in batches)
    assert all(sum(sizes[uid] for uid in batch) <= FETCH_BATCH_BYTES for batch in batches if len(batch) > 1)
    assert fetch_batches([], {}) == []


def test_fetch_responses_are_read_by_uid_wherever_the_server_puts_it() -> None:
    lines: list[Any] = [
        b"1 FETCH (UID 7 BODY[] {5}", bytearray(b"seven"), b")",
        b"2 FETCH (BODY[] {4}", bytearray(b"nine"), b" UID 9)",
        b"3 FETCH (FLAGS (\\Seen) UID 11)",  # someone's flag change: no body
        b"Fetch completed.",
    ]  # fmt: skip
    assert parse_fetched_bodies(lines) == {7: b"seven", 9: b"nine"}
    sizes = [b"1 FETCH (UID 7 RFC822.SIZE 1200)", b"2 FETCH (RFC822.SIZE 80 UID 9)", b"3 FETCH (UID 11 FLAGS ())"]
    assert parse_fetched_sizes([*sizes, b"Fetch completed."]) == {7: 1200, 9: 80}
