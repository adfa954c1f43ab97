"""Groups the fsyncs that make filings and settled messages durable: one fsync, in a thread, for every commit before it."""

from __future__ import annotations

import asyncio
from typing import Protocol


class Syncable(Protocol):
    """A ledger whose commits so far can be made durable at once."""

    def sync(self) -> None: ...


class GroupSync:
    """Workers record filings and settle messages with commits that are not yet fsynced, then wait here. While one fsync runs, the
    commits made meanwhile wait for the next, which covers them all: under a backlog several messages share one
    fsync and one hand-off to a thread; the event loop never waits for the disk."""

    def __init__(self) -> None:
        self._waiting: asyncio.Future[None] | None = None  # for commits made since the running fsync began
        self._flusher: asyncio.Task[None] | None = None

    async def synced(self, ledger: Syncable) -> None:
        """Returns once an fsync that began after this call has ended: every commit made before it is durable.
        Raises what the fsync raised."""
        loop = asyncio.get_running_loop()
        if self._waiting is None:
            self._waiting = loop.create_future()
        waiting = self._waiting
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush(ledger), name="ledger-sync")
        await asyncio.shield(waiting)

    async def _flush(self, ledger: Syncable) -> None:
        while self._waiting is not None:
            batch, self._waiting = self._waiting, None
            try:
                await asyncio.to_thread(ledger.sync)
            except Exception as error:  # every waiter hears it; the next batch tries again
                batch.set_exception(error)
            else:
                batch.set_result(None)
