"""Settled messages are made durable together: one fsync covers every commit made before it began."""

from __future__ import annotations

import asyncio
import threading

import pytest

from robot.ledger.group_sync import GroupSync


class CountingLedger:
    """A ledger stand-in that records when each fsync begins and ends (the real one is in test_ledger.py)."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.syncs = 0
        self.running = threading.Event()
        self.fail = False

    def sync(self) -> None:
        self.running.set()
        threading.Event().wait(self.seconds)
        self.syncs += 1
        self.running.clear()
        if self.fail:
            raise OSError("disk gone")


async def test_messages_settling_together_share_one_fsync() -> None:
    ledger, group = CountingLedger(), GroupSync()
    await asyncio.gather(*(group.synced(ledger) for _ in range(5)))
    assert ledger.syncs == 1


async def test_a_commit_made_while_an_fsync_runs_waits_for_the_next_one() -> None:
    ledger, group = CountingLedger(seconds=0.1), GroupSync()
    first = asyncio.create_task(group.synced(ledger))
    while not ledger.running.is_set():
        await asyncio.sleep(0.005)
    second = asyncio.create_task(group.synced(ledger))  # its commit came after the running fsync began
    await first
    assert not second.done()  # the first fsync may not have covered it
    await second
    assert ledger.syncs == 2


async def test_a_failed_fsync_reaches_every_waiter_and_the_next_batch_tries_again() -> None:
    ledger, group = CountingLedger(), GroupSync()
    ledger.fail = True
    results = await asyncio.gather(group.synced(ledger), group.synced(ledger), return_exceptions=True)
    assert [type(r) for r in results] == [OSError, OSError]
    ledger.fail = False
    await group.synced(ledger)
    assert ledger.syncs == 2


def test_the_loop_is_free_while_the_disk_works() -> None:
    async def main() -> int:
        ledger, group = CountingLedger(seconds=0.2), GroupSync()
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        await group.synced(ledger)
        ticker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await ticker
        return ticks

    assert asyncio.run(main()) >= 10
