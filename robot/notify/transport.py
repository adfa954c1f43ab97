"""The one interface every notice transport implements, and the two ways a sending can fail."""

from __future__ import annotations

from typing import Protocol

from robot.notify.message import Notice


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

    async def close(self) -> None:
        """Release connections and files."""
        ...
