"""What an Outlook container (TNEF winmail.dat, attached .msg) holds: its text and its attached files or messages."""

from __future__ import annotations

from dataclasses import dataclass


class ContainerUnreadable(Exception):
    """The container is damaged, hostile or not what it claims; the message says what was wrong."""


class ContainerTooDeep(Exception):
    """Messages attached inside messages go deeper than the nesting limit."""


class ContainerTooLarge(Exception):
    """The container's files together are over the unpacked-bytes budget."""


@dataclass(frozen=True)
class Enclosed:
    """One attachment of an Outlook message: a file's bytes, or an attached message (`message`), never both."""

    name: str | None
    data: bytes = b""
    message: OutlookMessage | None = None


@dataclass(frozen=True)
class OutlookMessage:
    """An Outlook message read from its container: subject and body text (untrusted) and its attachments."""

    subject: str
    body: str
    attachments: tuple[Enclosed, ...]


@dataclass
class Budget:
    """Bytes of attached files still allowed in one mail; shared by every container of the mail."""

    limit: int
    used: int = 0

    def spend(self, count: int) -> None:
        """Count `count` bytes before they are read; ContainerTooLarge when over the limit."""
        self.used += count
        if self.used > self.limit:
            raise ContainerTooLarge(f"more than {self.limit} bytes in attached files (limits.zip_max_total_bytes)")
