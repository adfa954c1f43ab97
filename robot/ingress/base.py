"""What every ingress hands over: the raw bytes and where they came from, to one accept callback."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Received:
    """One mail exactly as received, and a reference back to its source."""

    raw: bytes
    source: str  # "imap" | "smtp"
    source_ref: str  # imap: "imap:<mailbox>:<folder>:<uidvalidity>:<uid>"; smtp: "smtp:<listener>:<queue id>"
    mailbox: str | None  # the configured mailbox name ("tunnel", "secure"), or the SMTP listener's name
    envelope_sender: str | None = None  # SMTP MAIL FROM, when known


# Commits the mail durably (the ledger) and returns its message id; raises when it cannot.
# An ingress answers its source (SMTP 250) only after this returned.
Accept = Callable[[Received], Awaitable[int]]

class MailOutcome(enum.StrEnum):
    """Where a finished mail goes in its mailbox: every document filed, or at least one for a human."""

    FILED = "filed"
    ESCALATED = "escalated"


# The outcome of a ledger message once it is finished, None while it is not.
OutcomeOf = Callable[[int], Awaitable[MailOutcome | None]]
