"""The SQLite ledger: WAL; every commit survives a crash, and those behind a promise to the outside are fsynced."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Unpack

from robot.form import Form
from robot.ledger.base import (
    ALLOWED_TRANSITIONS,
    AuditEntry,
    DocumentChange,
    DocumentState,
    Intake,
    LedgerError,
    OpenEscalations,
    StoredDocument,
    StoredEscalation,
    StoredMessage,
    StoredNotice,
)
from robot.ledger.records import (
    DecisionRecord,
    DocumentOutcome,
    EscalationState,
    MessageState,
    NoticeKind,
    NoticeState,
    encode_decision,
)
from robot.ledger.request_store import REQUESTS_SCHEMA, SqliteRequests
from robot.private_files import OWNER_ONLY, FileModes

SCHEMA_VERSION = 2  # 2: the request register (requests); a version 1 ledger gains it when opened

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    raw BLOB,
    size INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    mailbox TEXT,
    envelope_sender TEXT,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'received',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    finished_at TEXT,
    raw_purged_at TEXT
);
CREATE INDEX IF NOT EXISTS messages_state ON messages(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS messages_source_ref ON messages(source_ref);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    part TEXT NOT NULL,
    name TEXT,
    sha256 TEXT,
    state TEXT NOT NULL,
    outcome TEXT,
    cpr TEXT, blanket TEXT, kind TEXT, case_id TEXT, reason TEXT, detail TEXT, rule TEXT,
    decision TEXT, document_ref TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (message_id, part)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_filing_per_case ON documents(case_id, sha256) WHERE outcome = 'filed';
CREATE TABLE IF NOT EXISTS escalations (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    document_id INTEGER REFERENCES documents(id),
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    closed_at TEXT, closed_by TEXT, note TEXT, case_id TEXT
);
-- one OPEN escalation per cause: a cause closed by a person (a manual filing the archive then refuses) may open again
DROP INDEX IF EXISTS one_escalation_per_cause;
CREATE UNIQUE INDEX IF NOT EXISTS one_open_escalation_per_cause
    ON escalations(message_id, IFNULL(document_id, 0), reason) WHERE state = 'open';
-- the open escalations by reason and their oldest (the gauges, after every mail): read from this index alone
CREATE INDEX IF NOT EXISTS open_escalations_by_reason ON escalations(reason, created_at) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    message_id INTEGER, document_id INTEGER, escalation_id INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_message ON audit(message_id);
"""

# an audit entry's detail as JSON; one encoder for all (json.dumps with options builds a new one at every call)
_AUDIT_DETAIL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_DOCUMENT_FIELDS = ("outcome", "cpr", "blanket", "kind", "case_id", "reason", "detail", "rule", "decision",
                    "document_ref")

# The outcome a state implies: moving there records it, so the state and the outcome never disagree.
_IMPLIED_OUTCOME = {DocumentState.FILED: DocumentOutcome.FILED, DocumentState.ESCALATED: DocumentOutcome.ESCALATED,
                    DocumentState.DUPLICATE: DocumentOutcome.DUPLICATE}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat() if moment.tzinfo is UTC else moment.astimezone(UTC).isoformat()


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SqliteLedger:
    """One SQLite file; safe to share between threads (one connection behind a lock).

    Commits run with synchronous=NORMAL: a commit is in the write-ahead log when the method returns, so a killed
    process loses nothing, but only a commit behind a promise to the outside is fsynced before returning (mail
    accepted, message finished, document filed, deferral, escalation closed, raw mail purged). Syncing the log
    makes everything committed before it durable as well, so after a power failure the ledger is exactly as it
    was at some fsynced commit plus possibly some later ones; what is lost is recomputed from the kept raw mail.
    This spares the six or so fsyncs per document that the intermediate steps would otherwise cost."""

    def __init__(self, path: Path | str, modes: FileModes = OWNER_ONLY):
        self._path = str(path)
        if self._path != ":memory:":
            # the file made with our mode before SQLite opens it: SQLite gives its -wal and -shm the same mode
            # and owner, so raw mail never lies readable for others, whatever the umask
            modes.make_dir(Path(self._path).parent)
            modes.create_file(Path(self._path))
        self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._sync_at_commit = False
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self.requests = SqliteRequests(self._db, self.transaction, self.audit)
        with self.transaction():
            self._create_schema()

    def _create_schema(self) -> None:
        row = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if row is not None:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and int(row["value"]) > SCHEMA_VERSION:
            raise LedgerError(f"{self._path}: ledger schema {row['value']} is newer than this robot ({SCHEMA_VERSION})")
        for statement in (_SCHEMA + ";" + REQUESTS_SCHEMA).split(";"):
            if statement.strip():
                self._db.execute(statement)
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row["value"]) < SCHEMA_VERSION:  # the tables it lacked were made above; nothing else changed
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            self.audit("schema_migrated", from_version=int(row["value"]), to_version=SCHEMA_VERSION)

    @contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[None]:
        """One commit for everything inside; nested uses join the outer one. The commit is fsynced when
        `durable` or when a durable change was made inside, after the lock is let go: the fsync (milliseconds) does
        not hold up another thread's commit, and covers it too when that came meanwhile."""
        sync_now = False
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
                self._sync_at_commit = False
            self._sync_at_commit = self._sync_at_commit or durable
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                    self._sync_at_commit = False
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")
                sync_now, self._sync_at_commit = self._sync_at_commit, False
        if sync_now:
            self._sync_log()

    def sync(self) -> None:
        """fsync every commit made so far (those made without `durable`, too)."""
        self._sync_log()

    def _sync_log(self) -> None:
        """fsync the write-ahead log: the commit just made, and every one before it, is on disk. (This is what
        synchronous=FULL does at every commit.) Without a log file the last checkpoint has synced everything."""
        if self._path == ":memory:":
            return
        try:
            descriptor = os.open(f"{self._path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    # ------------------------------------------------------------ intake

    def accept(self, raw: bytes, *, source: str, source_ref: str | None = None, mailbox: str | None = None,
               envelope_sender: str | None = None, actor: str = "robot") -> Intake:
        digest = hashlib.sha256(raw).hexdigest()
        with self.transaction(durable=True):
            row = self._db.execute("SELECT id FROM messages WHERE sha256 = ?", (digest,)).fetchone()
            if row is not None:
                self.audit("duplicate_received", actor=actor, message_id=row["id"], source=source,
                           source_ref=source_ref)
                return Intake(message_id=row["id"], duplicate=True)
            cursor = self._db.execute(
                "INSERT INTO messages (sha256, raw, size, source, source_ref, mailbox, envelope_sender, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (digest, raw, len(raw), source, source_ref, mailbox, envelope_sender, _iso(_now())),
            )
            message_id = int(cursor.lastrowid or 0)
            self.audit("received", actor=actor, message_id=message_id, source=source, source_ref=source_ref,
                       size=len(raw), sha256=digest)
        return Intake(message_id=message_id, duplicate=False)

    def message(self, message_id: int) -> StoredMessage:
        row = self._db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise LedgerError(f"no message {message_id}")
        return _message(row)

    def state_of(self, message_id: int) -> MessageState:
        """The message's state without reading its raw bytes."""
        row = self._db.execute("SELECT state FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise LedgerError(f"no message {message_id}")
        return MessageState(row["state"])

    def unfinished(self, now: datetime | None = None) -> list[int]:
        moment = _iso(now or _now())
        rows = self._db.execute(
            "SELECT id FROM messages WHERE state = 'received' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            " ORDER BY id", (moment,)).fetchall()
        return [row["id"] for row in rows]

    def defer(self, message_id: int, until: datetime, detail: str, *, durable: bool = True) -> int:
        with self.transaction(durable=durable):
            self._db.execute("UPDATE messages SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                             (_iso(until), message_id))
            attempts = int(self._db.execute("SELECT attempts FROM messages WHERE id = ?",
                                            (message_id,)).fetchone()["attempts"])
            self.audit("deferred", message_id=message_id, until=_iso(until), attempts=attempts, detail=detail)
        return attempts

    def finish(self, message_id: int, *, durable: bool = True) -> None:
        with self.transaction(durable=durable):
            self._db.execute("UPDATE messages SET state = 'done', finished_at = ?, next_attempt_at = NULL"
                             " WHERE id = ?", (_iso(_now()), message_id))
            self.audit("finished", message_id=message_id)

    # ------------------------------------------------------------ documents

    def record_document(self, message_id: int, part: str, name: str | None, sha256: str | None) -> StoredDocument:
        with self.transaction():
            row = self._db.execute("SELECT * FROM documents WHERE message_id = ? AND part = ?",
                                   (message_id, part)).fetchone()
            if row is None:
                cursor = self._db.execute(
                    "INSERT INTO documents (message_id, part, name, sha256, state, updated_at)"
                    " VALUES (?, ?, ?, ?, 'received', ?)", (message_id, part, name, sha256, _iso(_now())))
                self.audit("document_received", message_id=message_id, document_id=cursor.lastrowid, part=part,
                           sha256=sha256)
                row = self._db.execute("SELECT * FROM documents WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _document(row)

    def documents(self, message_id: int) -> list[StoredDocument]:
        rows = self._db.execute("SELECT * FROM documents WHERE message_id = ? ORDER BY id", (message_id,)).fetchall()
        return [_document(row) for row in rows]

    def document(self, document_id: int) -> StoredDocument:
        row = self._db.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise LedgerError(f"no document {document_id}")
        return _document(row)

    def advance(self, document_id: int, state: DocumentState, *, actor: str = "robot", durable: bool | None = None,
                **fields: Unpack[DocumentChange]) -> None:
        columns = _columns(state, dict(fields))
        # the archive holds the document now: that must not be forgotten, or it would be filed again (a caller that
        # passes durable=False makes it durable itself before it goes on, with sync())
        if durable is None:
            durable = state in (DocumentState.FILED, DocumentState.DUPLICATE)
        with self.transaction(durable=durable):
            # only the three columns the checks need: decoding the whole row's records here cost more than the update
            row = self._db.execute("SELECT state, outcome, message_id FROM documents WHERE id = ?",
                                   (document_id,)).fetchone()
            if row is None:
                raise LedgerError(f"no document {document_id}")
            current_state = DocumentState(row["state"])
            current_outcome = DocumentOutcome(row["outcome"]) if row["outcome"] else None
            if state is not current_state and state not in ALLOWED_TRANSITIONS[current_state]:
                raise LedgerError(f"document {document_id}: {current_state.value} -> {state.value} is not allowed")
            if state is DocumentState.FILED and current_outcome in (DocumentOutcome.FILED, DocumentOutcome.DUPLICATE) \
                    and current_state is not state:
                raise LedgerError(f"document {document_id} was already {current_outcome.value}; only an escalation is "
                                  "filed by hand")
            assignments = ", ".join(f"{name} = ?" for name in columns)
            self._db.execute(
                f"UPDATE documents SET state = ?, updated_at = ?{', ' + assignments if assignments else ''}"
                " WHERE id = ?", (state.value, _iso(_now()), *columns.values(), document_id))
            audited = {k: v for k, v in columns.items() if k in ("outcome", "blanket", "case_id", "reason", "rule")}
            self.audit(f"document_{state.value}", actor=actor, message_id=row["message_id"],
                       document_id=document_id, **audited)

    def filing_of(self, case_id: str, sha256: str) -> StoredDocument | None:
        row = self._db.execute("SELECT * FROM documents WHERE case_id = ? AND sha256 = ? AND outcome = 'filed'",
                               (case_id, sha256)).fetchone()
        return _document(row) if row else None

    # ------------------------------------------------------------ escalations

    def open_escalation(self, message_id: int, document_id: int | None, reason: str, detail: str) -> int:
        with self.transaction():
            row = self._db.execute(
                "SELECT id FROM escalations WHERE message_id = ? AND IFNULL(document_id, 0) = ? AND reason = ?"
                " AND state = ?",
                (message_id, document_id or 0, reason, EscalationState.OPEN)).fetchone()
            if row is not None:
                return int(row["id"])
            cursor = self._db.execute(
                "INSERT INTO escalations (message_id, document_id, reason, detail, created_at) VALUES (?, ?, ?, ?, ?)",
                (message_id, document_id, reason, detail, _iso(_now())))
            escalation_id = int(cursor.lastrowid or 0)
            self.audit("escalation_opened", message_id=message_id, document_id=document_id,
                       escalation_id=escalation_id, reason=reason)
        return escalation_id

    def escalations(self, state: EscalationState | None = EscalationState.OPEN) -> list[StoredEscalation]:
        if state is None:
            rows = self._db.execute("SELECT * FROM escalations ORDER BY id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM escalations WHERE state = ? ORDER BY id", (state,)).fetchall()
        return [_escalation(row) for row in rows]

    def open_escalations(self) -> OpenEscalations:
        # state = 'open' written out: the partial index of open escalations serves it (a parameter would not)
        rows = self._db.execute("SELECT reason, COUNT(*), MIN(created_at) FROM escalations WHERE state = 'open'"
                                " GROUP BY reason").fetchall()
        oldest = _time(min((str(row[2]) for row in rows if row[2]), default=None))  # ISO 8601 in UTC: sorts as text
        return OpenEscalations({str(row[0]): int(row[1]) for row in rows}, oldest)

    def escalation(self, escalation_id: int) -> StoredEscalation:
        row = self._db.execute("SELECT * FROM escalations WHERE id = ?", (escalation_id,)).fetchone()
        if row is None:
            raise LedgerError(f"no escalation {escalation_id}")
        return _escalation(row)

    def close_escalation(self, escalation_id: int, state: EscalationState, *, actor: str, note: str | None = None,
                         case_id: str | None = None) -> None:
        if state not in (EscalationState.RESOLVED, EscalationState.REJECTED):
            raise LedgerError(f"an escalation closes as resolved or rejected, not {state}")
        with self.transaction(durable=True):
            current = self.escalation(escalation_id)
            if current.state is not EscalationState.OPEN:
                raise LedgerError(f"escalation {escalation_id} is already {current.state}")
            self._db.execute("UPDATE escalations SET state = ?, closed_at = ?, closed_by = ?, note = ?, case_id = ?"
                             " WHERE id = ?", (state, _iso(_now()), actor, note, case_id, escalation_id))
            self.audit(f"escalation_{state}", actor=actor, message_id=current.message_id,
                       document_id=current.document_id, escalation_id=escalation_id, case_id=case_id, note=note)

    def decide_by_hand(self, escalation_id: int, decision: DecisionRecord, *, actor: str,
                       held_until: datetime | None = None) -> int:
        with self.transaction(durable=True):
            escalation = self.escalation(escalation_id)
            if escalation.state is not EscalationState.OPEN:
                raise LedgerError(f"escalation {escalation_id} is already {escalation.state}")
            if escalation.document_id is None:
                raise LedgerError(f"escalation {escalation_id} concerns the mail as a whole, not one document")
            current = self.document(escalation.document_id)
            if current.state not in (DocumentState.ESCALATED, DocumentState.NOTIFIED) or \
                    current.outcome is not DocumentOutcome.ESCALATED:
                raise LedgerError(f"document {current.id} is {current.state.value}, not escalated")
            self.close_escalation(escalation_id, EscalationState.RESOLVED, actor=actor, case_id=decision.case_id)
            self._db.execute("UPDATE documents SET state = ?, outcome = NULL, rule = ?, case_id = ?, decision = ?,"
                             " updated_at = ? WHERE id = ?",
                             (DocumentState.DECIDED.value, decision.rule, decision.case_id, encode_decision(decision),
                              _iso(_now()), current.id))
            self.audit("document_decided", actor=actor, message_id=current.message_id, document_id=current.id,
                       escalation_id=escalation_id, case_id=decision.case_id, rule=decision.rule)
            # back to the stages, with a fresh set of attempts: the decision is new
            self._db.execute("UPDATE messages SET state = ?, attempts = 0, next_attempt_at = ?, finished_at = NULL"
                             " WHERE id = ?", (MessageState.RECEIVED.value, _iso(held_until), current.message_id))
            self.audit("reopened", actor=actor, message_id=current.message_id, escalation_id=escalation_id)
        return current.message_id

    # ------------------------------------------------------------ outbox

    def enqueue_notice(self, key: str, kind: NoticeKind, recipients: tuple[str, ...], subject: str, body: str) -> int:
        with self.transaction():
            row = self._db.execute("SELECT id FROM outbox WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return int(row["id"])
            now = _iso(_now())
            cursor = self._db.execute(
                "INSERT INTO outbox (key, kind, recipients, subject, body, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", (key, kind, json.dumps(list(recipients)), subject, body, now, now))
            notice_id = int(cursor.lastrowid or 0)
            self.audit("notice_queued", key=key, kind=kind, notice_id=notice_id)
        return notice_id

    def notice_queued(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM outbox WHERE key = ?", (key,)).fetchone() is not None

    def due_notices(self, now: datetime | None = None) -> list[StoredNotice]:
        rows = self._db.execute("SELECT * FROM outbox WHERE state = ? AND next_attempt_at <= ? ORDER BY id",
                                (NoticeState.PENDING, _iso(now or _now()))).fetchall()
        return [_notice(row) for row in rows]

    def notice_sent(self, notice_id: int) -> None:
        with self.transaction():
            self._db.execute("UPDATE outbox SET state = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                             (NoticeState.SENT, _iso(_now()), notice_id))
            self.audit("notice_sent", notice_id=notice_id)

    def notice_failed(self, notice_id: int, error: str, retry_at: datetime | None) -> None:
        with self.transaction():
            if retry_at is None:
                self._db.execute("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?"
                                 " WHERE id = ?", (NoticeState.FAILED, error, notice_id))
            else:
                self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                                 " WHERE id = ?", (error, _iso(retry_at), notice_id))
            self.audit("notice_failed", notice_id=notice_id, error=error, retry_at=_iso(retry_at))

    def outbox_trouble(self, since: datetime) -> tuple[int, int]:
        # a notice given up keeps the time of its last attempt in next_attempt_at
        row = self._db.execute(
            "SELECT IFNULL(SUM(state = ? AND next_attempt_at >= ?), 0),"
            " IFNULL(SUM(state = ? AND last_error IS NOT NULL), 0) FROM outbox",
            (NoticeState.FAILED, _iso(since), NoticeState.PENDING)).fetchone()
        return int(row[0]), int(row[1])

    # ------------------------------------------------------------ audit and retention

    def audit(self, event: str, *, actor: str = "robot", message_id: int | None = None,
              document_id: int | None = None, escalation_id: int | None = None, **detail: Any) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO audit (at, actor, event, message_id, document_id, escalation_id, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_iso(_now()), actor, event, message_id, document_id, escalation_id,
                 _AUDIT_DETAIL.encode(detail)))

    def audit_trail(self, message_id: int | None = None) -> list[AuditEntry]:
        if message_id is None:
            rows = self._db.execute("SELECT * FROM audit ORDER BY id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM audit WHERE message_id = ? ORDER BY id", (message_id,)).fetchall()
        return [AuditEntry(id=r["id"], at=_time(r["at"]) or _now(), actor=r["actor"], event=r["event"],
                           message_id=r["message_id"], document_id=r["document_id"], escalation_id=r["escalation_id"],
                           detail=json.loads(r["detail"])) for r in rows]

    def purge_raw(self, older_than: datetime) -> int:
        """Delete kept raw mail of finished messages received before `older_than`; the audit stays."""
        with self.transaction(durable=True):
            cursor = self._db.execute(
                "UPDATE messages SET raw = NULL, raw_purged_at = ? WHERE state = 'done' AND raw IS NOT NULL"
                " AND received_at < ?", (_iso(_now()), _iso(older_than)))
            if cursor.rowcount:
                self.audit("raw_purged", count=cursor.rowcount, older_than=_iso(older_than))
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(id=row["id"], sha256=row["sha256"], raw=row["raw"], source=row["source"],
                         source_ref=row["source_ref"], mailbox=row["mailbox"], envelope_sender=row["envelope_sender"],
                         received_at=_time(row["received_at"]) or _now(), state=MessageState(row["state"]),
                         attempts=row["attempts"], next_attempt_at=_time(row["next_attempt_at"]))


def _document(row: sqlite3.Row) -> StoredDocument:
    return StoredDocument(
        id=row["id"], message_id=row["message_id"], part=row["part"], name=row["name"], sha256=row["sha256"],
        state=DocumentState(row["state"]), outcome=DocumentOutcome(row["outcome"]) if row["outcome"] else None,
        cpr=row["cpr"], blanket=Form(row["blanket"]) if row["blanket"] else None,
        kind=row["kind"], case_id=row["case_id"], reason=row["reason"], detail=row["detail"], rule=row["rule"],
        decision_json=row["decision"] or None, document_ref=row["document_ref"],
        updated_at=_time(row["updated_at"]) or _now())


def _columns(state: DocumentState, fields: dict[str, Any]) -> dict[str, Any]:
    """The column values for a state change: each field checked for its one type and serialised; the outcome the
    state implies is recorded with it."""
    unknown = set(fields) - set(_DOCUMENT_FIELDS)
    if unknown:
        raise LedgerError(f"unknown document fields {sorted(unknown)}")
    implied = _IMPLIED_OUTCOME.get(state)
    outcome = fields.get("outcome")
    if outcome is not None and DocumentOutcome(outcome) is not implied:
        raise LedgerError(f"a document moving to {state.value} cannot have the outcome {outcome}")
    columns = dict(fields)
    if implied is not None:
        columns["outcome"] = implied.value
    if columns.get("blanket") is not None:
        columns["blanket"] = str(Form(columns["blanket"]))
    decision = columns.get("decision")
    if decision is not None:
        if not isinstance(decision, DecisionRecord):
            raise LedgerError(f"a decision is a DecisionRecord, not {type(decision).__name__}")
        columns["decision"] = encode_decision(decision)
    return columns


def _escalation(row: sqlite3.Row) -> StoredEscalation:
    return StoredEscalation(id=row["id"], message_id=row["message_id"], document_id=row["document_id"],
                            reason=row["reason"], detail=row["detail"], state=EscalationState(row["state"]),
                            created_at=_time(row["created_at"]) or _now(), closed_at=_time(row["closed_at"]),
                            closed_by=row["closed_by"], note=row["note"], case_id=row["case_id"])


def _notice(row: sqlite3.Row) -> StoredNotice:
    return StoredNotice(id=row["id"], key=row["key"], kind=NoticeKind(row["kind"]),
                        recipients=tuple(json.loads(row["recipients"])),
                        subject=row["subject"], body=row["body"], state=NoticeState(row["state"]), attempts=row["attempts"],
                        next_attempt_at=_time(row["next_attempt_at"]) or _now(), last_error=row["last_error"])
