"""The ledger's interface and records: durable intake, per-document states, escalations, outbox and audit."""

from __future__ import annotations

import enum
import functools
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypedDict, Unpack

from robot.form import Form
from robot.ledger.records import (
    DecisionRecord,
    DocumentOutcome,
    EscalationState,
    MessageState,
    NoticeKind,
    NoticeState,
    decode_decision,
)
from robot.ledger.request_records import RequestRegister


class DocumentState(str, enum.Enum):
    """A document's progress: received -> extracted -> decided -> filed | escalated -> notified."""

    RECEIVED = "received"
    EXTRACTED = "extracted"
    DECIDED = "decided"
    FILED = "filed"
    ESCALATED = "escalated"
    DUPLICATE = "duplicate"  # the same bytes already filed into the same case
    NOTIFIED = "notified"


ALLOWED_TRANSITIONS: dict[DocumentState, frozenset[DocumentState]] = {
    DocumentState.RECEIVED: frozenset({DocumentState.EXTRACTED, DocumentState.ESCALATED}),
    DocumentState.EXTRACTED: frozenset({DocumentState.DECIDED, DocumentState.ESCALATED}),
    DocumentState.DECIDED: frozenset({DocumentState.FILED, DocumentState.ESCALATED, DocumentState.DUPLICATE}),
    DocumentState.FILED: frozenset({DocumentState.NOTIFIED}),
    DocumentState.ESCALATED: frozenset({DocumentState.NOTIFIED, DocumentState.FILED}),  # FILED: resolved by hand
    DocumentState.DUPLICATE: frozenset(),
    DocumentState.NOTIFIED: frozenset({DocumentState.FILED}),  # an escalation resolved by an operator
}


class LedgerError(Exception):
    """A request the ledger refuses: an unknown id, a state change the machine does not allow."""


@dataclass(frozen=True)
class Intake:
    """The answer to accepting a mail: its id, and whether these exact bytes were accepted before."""

    message_id: int
    duplicate: bool


@dataclass(frozen=True)
class StoredMessage:
    id: int
    sha256: str
    raw: bytes | None  # None once retention removed it
    source: str  # "smtp" | "imap" | "file"
    source_ref: str | None
    mailbox: str | None
    envelope_sender: str | None
    received_at: datetime
    state: MessageState
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class StoredDocument:
    id: int
    message_id: int
    part: str  # MIME part path; "" stands for the mail as a whole
    name: str | None
    sha256: str | None
    state: DocumentState
    outcome: DocumentOutcome | None
    cpr: str | None  # full CPR: the ledger is the audit store and may hold it
    blanket: Form | None
    kind: str | None
    case_id: str | None
    reason: str | None
    detail: str | None
    rule: str | None
    decision_json: str | None = field(repr=False)  # as stored; read through `decision`
    document_ref: str | None
    updated_at: datetime

    @functools.cached_property
    def decision(self) -> DecisionRecord | None:
        """The decision record, read when first asked for (most reads of a document only need its state)."""
        if self.decision_json is None:
            return None
        try:
            return decode_decision(self.decision_json)
        except ValueError as error:  # RecordError, or JSON that is no JSON
            raise LedgerError(f"document {self.id}: {error}") from None


@dataclass(frozen=True)
class StoredEscalation:
    id: int
    message_id: int
    document_id: int | None
    reason: str
    detail: str
    state: EscalationState
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    note: str | None
    case_id: str | None


@dataclass(frozen=True)
class OpenEscalations:
    """The open escalations in numbers: how many by reason, and when the oldest was opened (None: none open)."""

    by_reason: dict[str, int]
    oldest: datetime | None


@dataclass(frozen=True)
class StoredNotice:
    id: int
    key: str
    kind: NoticeKind
    recipients: tuple[str, ...]
    subject: str
    body: str
    state: NoticeState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    event: str
    message_id: int | None
    document_id: int | None
    escalation_id: int | None
    detail: dict[str, Any]


class DocumentChange(TypedDict, total=False):
    """The document fields a state change may set, each with its one type."""

    outcome: DocumentOutcome | None
    cpr: str | None
    blanket: Form | None
    kind: str | None
    case_id: str | None
    reason: str | None
    detail: str | None
    rule: str | None
    decision: DecisionRecord | None
    document_ref: str | None


class Ledger(Protocol):
    """The robot's memory. Every method that changes something has committed it when it returns, so a crash of
    the process loses nothing. A change behind a promise to the outside is also on disk when it returns, with
    everything committed before it: accept (before the sender hears OK), finish (before the mail is moved in
    its mailbox), advance to filed or duplicate (the archive holds it), defer, close_escalation, decide_by_hand,
    purge_raw.
    The other changes may be lost by a power failure after the last such commit; they are recomputed.
    `transaction()` groups several changes into one commit, fsynced when `durable` or a durable change is inside."""

    @property
    def requests(self) -> RequestRegister:
        """The register of LÆ requests sent, in the same file and transactions."""
        ...

    def transaction(self, *, durable: bool = False) -> AbstractContextManager[None]: ...

    # intake
    def accept(self, raw: bytes, *, source: str, source_ref: str | None = None, mailbox: str | None = None,
               envelope_sender: str | None = None, actor: str = "robot") -> Intake: ...
    def message(self, message_id: int) -> StoredMessage: ...
    def state_of(self, message_id: int) -> MessageState: ...
    def unfinished(self, now: datetime | None = None) -> list[int]: ...
    # `durable=False`: committed, not yet fsynced; `sync()` (or any later durable commit) makes it durable
    def defer(self, message_id: int, until: datetime, detail: str, *, durable: bool = True) -> int: ...
    def finish(self, message_id: int, *, durable: bool = True) -> None: ...
    def sync(self) -> None: ...

    # documents
    def record_document(self, message_id: int, part: str, name: str | None, sha256: str | None) -> StoredDocument: ...
    def documents(self, message_id: int) -> list[StoredDocument]: ...
    def document(self, document_id: int) -> StoredDocument: ...
    def advance(self, document_id: int, state: DocumentState, *, actor: str = "robot", durable: bool | None = None,
                **fields: Unpack[DocumentChange]) -> None: ...
    def filing_of(self, case_id: str, sha256: str) -> StoredDocument | None: ...

    # escalations
    def open_escalation(self, message_id: int, document_id: int | None, reason: str, detail: str) -> int: ...
    def escalations(self, state: EscalationState | None = EscalationState.OPEN) -> list[StoredEscalation]: ...
    def escalation(self, escalation_id: int) -> StoredEscalation: ...
    def open_escalations(self) -> OpenEscalations:
        """The open escalations counted by reason, and the oldest one's opening time (one cheap query)."""
        ...
    def close_escalation(self, escalation_id: int, state: EscalationState, *, actor: str, note: str | None = None,
                         case_id: str | None = None) -> None: ...
    def decide_by_hand(self, escalation_id: int, decision: DecisionRecord, *, actor: str,
                       held_until: datetime | None = None) -> int:
        """A person's decision on an open escalation about one document: the escalation closes as resolved, the
        document is decided (from escalated or notified) and its message goes back to the stages; one durable
        commit. Until `held_until` a running daemon leaves the message to the caller, who runs the stages on it
        at once; should the caller die first, the daemon takes it then. Returns the message id."""
        ...

    # outbox
    def enqueue_notice(self, key: str, kind: NoticeKind, recipients: tuple[str, ...], subject: str, body: str) -> int: ...
    def due_notices(self, now: datetime | None = None) -> list[StoredNotice]: ...
    def notice_queued(self, key: str) -> bool:
        """Whether a notice with this key is in the outbox (in any state)."""
        ...
    def notice_sent(self, notice_id: int) -> None: ...
    def notice_failed(self, notice_id: int, error: str, retry_at: datetime | None) -> None: ...
    def outbox_trouble(self, since: datetime) -> tuple[int, int]:
        """(notices given up since `since`, notices waiting to be tried again after a failed attempt)."""
        ...

    # audit and retention
    def audit(self, event: str, *, actor: str = "robot", message_id: int | None = None,
              document_id: int | None = None, escalation_id: int | None = None, **detail: Any) -> None: ...
    def audit_trail(self, message_id: int | None = None) -> list[AuditEntry]: ...
    def purge_raw(self, older_than: datetime) -> int: ...
    def close(self) -> None: ...
