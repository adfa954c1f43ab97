"""The typed, versioned records of the request register: one LÆ request the kommune sent and what became of it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

REQUEST_VERSION = 1
"""The request row's format; a row of a newer format is refused (RecordError), never half read."""


class RequestState(enum.StrEnum):
    """A request: waiting for its certificate, answered by one, or sent back by the addressee."""

    OPEN = "open"
    ANSWERED = "answered"
    RETURNED = "returned"


class RequestSource(enum.StrEnum):
    """Where the robot learnt of the request."""

    RECEIPT = "receipt"  # the portal's kvittering, filed into the case
    OUTGOING_COPY = "outgoing_copy"  # a copy of the request mail (BCC), the anmodning form itself
    IMPORT = "import"  # a row of the case system's requests export (the folder archive's requests CSV)


@dataclass(frozen=True)
class NewRequest:
    """A request as learnt, before the register numbers it. `key` makes learning it twice harmless."""

    key: str
    cpr: str  # full: the ledger is the audit store; never shown unmasked
    case_id: str | None
    request_form: str  # "121"
    answer_form: str  # "125"
    addressee: str | None  # the organisation asked (senders.toml name), or as the source printed it
    sent_on: date
    deadline: date
    source: RequestSource
    notify_to: tuple[str, ...] = ()  # the caseworker (or team) told when it is late or returned
    message_id: int | None = None
    document_id: int | None = None


@dataclass(frozen=True)
class StoredRequest:
    """A request in the register, with its number and life so far."""

    id: int
    key: str
    cpr: str
    case_id: str | None
    request_form: str
    answer_form: str
    addressee: str | None
    sent_on: date
    deadline: date
    source: RequestSource
    notify_to: tuple[str, ...]
    message_id: int | None
    document_id: int | None
    state: RequestState
    created_at: datetime
    closed_at: datetime | None
    answered_by: int | None  # the certificate's document id
    turnaround_days: float | None  # sent -> answered
    overdue_at: datetime | None  # when its deadline passing was told (once)
    digest_day: date | None = None  # the day of the digest that listed it as late (once)
    version: int = REQUEST_VERSION


@dataclass(frozen=True)
class FiledCertificate:
    """A certificate filed in a period, for the report: its form, sender organisation and the request it answered."""

    form: str  # "125"
    organisation: str | None
    request_id: int | None


class RequestRegister(Protocol):
    """The register in the ledger. Every change is committed when the method returns; inside a ledger
    transaction it joins that commit."""

    def register(self, request: NewRequest) -> StoredRequest:
        """Record a request; one already learnt under the same key is returned unchanged."""
        ...
    def get(self, request_id: int) -> StoredRequest: ...
    def find(self, key: str) -> StoredRequest | None:
        """The request learnt under `key`, if any."""
        ...
    def all(self, state: RequestState | None = None) -> list[StoredRequest]: ...
    def open_for(self, cpr: str, *, answer_form: str | None = None,
                 request_form: str | None = None) -> list[StoredRequest]: ...
    def answer(self, request_id: int, document_id: int, at: datetime) -> bool:
        """Close an open request as answered by the document; False when it was no longer open."""
        ...
    def give_back(self, request_id: int, document_id: int, at: datetime) -> bool:
        """Close an open request as returned by its addressee; False when it was no longer open."""
        ...
    def certificates_filed(self, since: datetime, until: datetime) -> list[FiledCertificate]:
        """Certificates (kind attest) filed in [since, until), with the request each answered, if any."""
        ...
    def overdue(self, today: date) -> list[StoredRequest]:
        """Open requests whose deadline is before `today` and whose lateness was not yet told."""
        ...
    def undigested_overdue(self) -> list[StoredRequest]:
        """Requests told late that no digest has listed yet (answered or returned since, too)."""
        ...
    def mark_digested(self, request_ids: list[int], day: date) -> None:
        """Note that the digest of `day` lists these late requests."""
        ...
    def mark_overdue(self, request_id: int, at: datetime) -> bool:
        """Note that the lateness is told; False when another run noted it first."""
        ...
