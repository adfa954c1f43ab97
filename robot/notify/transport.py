"""The one interface every notice transport implements, and the two ways a sending can fail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from robot.notify.message import Notice, NoticeRefused


class TransportUnavailable(Exception):
    """Transient: the notice was not sent (relay down, timeout, 4xx); send it again later."""

    def __init__(self, message: str, *, code: int | None = None, refused: tuple[str, ...] = ()):
        self.code, self.refused = code, refused
        super().__init__(message)


class TransportRejected(Exception):
    """Permanent: sending again will fail the same way (5xx, a refused recipient, bad credentials)."""

    def __init__(self, message: str, *, code: int | None = None, refused: tuple[str, ...] = ()):
        self.code, self.refused = code, refused
        super().__init__(message)


class NoticeTransport(Protocol):
    """Delivers notices. `send` raises NoticeRefused (before any delivery is tried) for a notice
    that may never leave, TransportUnavailable or TransportRejected; no message names a password
    or a CPR number. Sending the same key again is safe: it carries the same Message-ID."""

    async def send(self, notice: Notice) -> None:
        """Deliver the notice or raise."""
        ...

    async def send_all(self, notices: Sequence[Notice]) -> list[SendFailure | None]:
        """`send` for each notice, in order: None for one delivered, else what `send` raised for it (any other
        exception is raised). A transport may deliver them together (the outbox folder: one fsync for all)."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...


SendFailure = NoticeRefused | TransportUnavailable | TransportRejected  # why one notice was not delivered


async def send_each(transport: NoticeTransport, notices: Sequence[Notice]) -> list[SendFailure | None]:
    """send_all for a transport that delivers one notice at a time."""
    failures: list[SendFailure | None] = []
    for notice in notices:
        try:
            await transport.send(notice)
        except (NoticeRefused, TransportUnavailable, TransportRejected) as failure:
            failures.append(failure)
        else:
            failures.append(None)
    return failures
