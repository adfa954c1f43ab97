"""The top-level header fields of a mail (who, to whom, about what, when), each read on its own guard."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.headerregistry import AddressHeader
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import TypeVar

from robot.mail.names import strip_invisible
from robot.mail.parts import PartUnreadable, guarded, raw_values, unsurrogate
from robot.model import MailProblem, Reason

T = TypeVar("T")

_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_ADDR_SPEC = re.compile(r"[^\s@<>]+@[^\s@<>]+")  # kept as sent: invisible characters included


@dataclass(frozen=True)
class Envelope:
    """What the top-level headers say; problems name each header that could not be read."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()
    subject: str = ""
    message_id: str | None = None
    date: datetime | None = None
    authentication_results: tuple[str, ...] = ()
    from_addresses: int = 0  # addresses in all From headers together; a trusted mail has exactly one
    problems: tuple[MailProblem, ...] = ()


def _addr_specs(msg: Message, name: str) -> list[str]:
    """The lower-cased addr-specs in every `name` header; entries without local@domain are skipped."""
    specs: list[str] = []
    title = name.title()
    for header in guarded(title, lambda: msg.get_all(name) or []):
        if not isinstance(header, AddressHeader):  # only under a non-default policy
            raise PartUnreadable(f"{title} not parsed as an address header")
        for address in guarded(title, lambda: header.addresses):  # noqa: B023 (called at once, inside the loop)
            # as the mail system sees it: an invisible character inside a domain makes another domain, never ours
            spec = unsurrogate(address.addr_spec).strip().lower()
            if _ADDR_SPEC.fullmatch(spec):
                specs.append(spec)
    return specs


def read_sender(msg: Message) -> str | None:
    """The first From addr-spec, lower-cased; None when there is no From or no usable address in it."""
    specs = _addr_specs(msg, "from")
    return specs[0] if specs else None


def read_recipients(msg: Message) -> tuple[str, ...]:
    """To and Cc addr-specs, lower-cased, each once, in header order."""
    return tuple(dict.fromkeys(_addr_specs(msg, "to") + _addr_specs(msg, "cc")))


def read_subject(msg: Message) -> str:
    """The decoded (RFC 2047) subject on one line; '' when there is none."""
    value = guarded("Subject", lambda: msg.get("subject"))
    if value is None:
        return ""
    return strip_invisible(_LINE_BREAKS.sub(" ", unsurrogate(str(value)))).strip()


def read_message_id(msg: Message) -> str | None:
    """The first Message-ID as sent, with all whitespace removed (angle brackets kept as sent)."""
    values = ["".join(value.split()) for value in raw_values(msg, "message-id")]
    return next((value for value in values if value), None)


def read_date(msg: Message) -> datetime | None:
    """The Date header as an aware datetime (zone -0000 taken as UTC); None when there is no Date."""
    values = raw_values(msg, "date")
    if not values:
        return None
    parsed = guarded("Date", lambda: parsedate_to_datetime(values[0]))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _from_count(msg: Message) -> int:
    """How many senders the mail names: every From header counts, and every address inside one, valid or not."""
    headers = raw_values(msg, "from")
    if len(headers) != 1:
        return len(headers)
    addresses = guarded("From", lambda: [address for _, address in getaddresses(headers) if address.strip()])
    return max(1, len(addresses))


def read_authentication_results(msg: Message) -> tuple[str, ...]:
    """The raw (unfolded) value of every Authentication-Results header, in header order."""
    return tuple(raw_values(msg, "authentication-results"))


def _from_count_problem(msg: Message) -> list[MailProblem]:
    """A problem when the mail has several From headers (a known way to fool sender checks)."""
    count = len(raw_values(msg, "from"))
    if count <= 1:
        return []
    return [MailProblem(Reason.MALFORMED_MIME, f"{count} From headers; the first is used", lost=False)]


class _Reader:
    """Reads fields one by one; a field that cannot be read gets its default and a problem."""

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self.problems: list[MailProblem] = []

    def read(self, read_field: Callable[[Message], T], default: T) -> T:
        try:
            return read_field(self.msg)
        except PartUnreadable as exc:
            self.problems.append(MailProblem(Reason.MALFORMED_MIME, f"header {exc}", lost=False))
            return default


def read_envelope(msg: Message) -> Envelope:
    """All top-level fields of `msg`; an unreadable header is reported, never raised."""
    reader = _Reader(msg)
    envelope = Envelope(
        sender=reader.read(read_sender, None),
        recipients=reader.read(read_recipients, ()),
        subject=reader.read(read_subject, ""),
        message_id=reader.read(read_message_id, None),
        date=reader.read(read_date, None),
        authentication_results=reader.read(read_authentication_results, ()),
        from_addresses=reader.read(_from_count, 0),
    )
    no_problems: list[MailProblem] = []
    problems = reader.problems + reader.read(_from_count_problem, no_problems)
    return replace(envelope, problems=tuple(problems))
