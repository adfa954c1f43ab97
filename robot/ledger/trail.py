"""A mail's trail in the ledger: find mails by what people know of them, and read one mail's whole history."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robot.ledger.base import AuditEntry, Ledger, StoredDocument, StoredEscalation, StoredMessage

MAX_FOUND = 200


@dataclass(frozen=True)
class TrailQuery:
    """What a person knows of a mail; every given field must match. `cpr` is ten digits (never put in a URL)."""

    header_message_id: str | None = None  # with or without <>
    source_ref: str | None = None  # the ingress's reference (SMTP queue id, IMAP UID; a re-sent copy's too) or the
    # ledger's message id
    sender: str | None = None  # part of the From or envelope address
    received_from: datetime | None = None
    received_to: datetime | None = None
    case_id: str | None = None
    cpr: str | None = None

    @property
    def empty(self) -> bool:
        return not any((self.header_message_id, self.source_ref, self.sender, self.received_from, self.received_to,
                        self.case_id, self.cpr))


@dataclass(frozen=True)
class MailFound:
    """One mail a search found: enough to choose it from a list."""

    message_id: int
    received_at: datetime
    source_ref: str | None
    sender: str | None
    subject: str | None  # masked when the robot noted it
    state: str


@dataclass(frozen=True)
class NoticeSent:
    """A notice the robot queued about the mail's documents or escalations, and what became of it."""

    key: str
    kind: str
    recipients: tuple[str, ...]
    subject: str
    state: str
    sent_at: datetime | None


@dataclass(frozen=True)
class MailHistory:
    """One mail's whole story: the message, what it said of itself, its documents, escalations, notices, audit."""

    message: StoredMessage
    header_message_id: str | None
    sender: str | None
    subject: str | None
    documents: list[StoredDocument]
    escalations: list[StoredEscalation]
    notices: list[NoticeSent]
    audit: list[AuditEntry] = field(default_factory=list)


class Trail:
    """Read-only queries on the ledger file, on their own connection (safe beside the daemon's writes: WAL)."""

    def __init__(self, path: Path | str, ledger: Ledger):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._ledger = ledger

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def find(self, query: TrailQuery, limit: int = MAX_FOUND) -> list[MailFound]:
        """The mails matching every field given, newest first; none for an empty query."""
        if query.empty:
            return []
        where, args = _conditions(query)
        sql = ("SELECT m.id, m.received_at, m.source_ref, m.state, m.envelope_sender, p.detail AS parsed"
               " FROM messages m LEFT JOIN audit p ON p.id = (SELECT MAX(id) FROM audit"
               "   WHERE message_id = m.id AND event = 'parsed')"
               f" WHERE {' AND '.join(where)} ORDER BY m.id DESC LIMIT ?")
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        found = []
        for row in rows:
            parsed = _detail(row["parsed"])
            found.append(MailFound(message_id=row["id"], received_at=datetime.fromisoformat(row["received_at"]),
                                   source_ref=row["source_ref"], sender=parsed.get("sender") or row["envelope_sender"],
                                   subject=parsed.get("subject"), state=row["state"]))
        return found

    def history(self, message_id: int) -> MailHistory:
        """Everything the ledger knows of one mail, in order. Raises LedgerError for an unknown id."""
        message = self._ledger.message(message_id)
        documents = self._ledger.documents(message_id)
        with self._lock:
            escalation_ids = [row["id"] for row in self._db.execute(
                "SELECT id FROM escalations WHERE message_id = ? ORDER BY id", (message_id,))]
        escalations = [self._ledger.escalation(escalation_id) for escalation_id in escalation_ids]
        keys = [f"filed:{d.id}" for d in documents] + [f"escalation:{e.id}" for e in escalations]
        audit = self._ledger.audit_trail(message_id)
        parsed = next((entry.detail for entry in reversed(audit) if entry.event == "parsed"), {})
        return MailHistory(message=message, header_message_id=_text(parsed.get("header_message_id")),
                           sender=_text(parsed.get("sender")) or message.envelope_sender,
                           subject=_text(parsed.get("subject")), documents=documents, escalations=escalations,
                           notices=self._notices(keys), audit=audit)

    def noted(self, message_id: int) -> dict[str, Any]:
        """What the parse stage last noted of the mail (Message-ID, sender, masked subject), {} when nothing."""
        with self._lock:
            row = self._db.execute("SELECT detail FROM audit WHERE message_id = ? AND event = 'parsed'"
                                   " ORDER BY id DESC LIMIT 1", (message_id,)).fetchone()
        return _detail(row["detail"]) if row else {}

    def _notices(self, keys: list[str]) -> list[NoticeSent]:
        if not keys:
            return []
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM outbox WHERE key IN ({', '.join('?' for _ in keys)}) ORDER BY id",
                                    keys).fetchall()
        return [NoticeSent(key=row["key"], kind=row["kind"], recipients=tuple(json.loads(row["recipients"])),
                           subject=row["subject"], state=row["state"],
                           sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None) for row in rows]


def _conditions(query: TrailQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    args: list[object] = []
    if query.header_message_id:
        where.append("EXISTS (SELECT 1 FROM audit a WHERE a.message_id = m.id AND a.event = 'parsed'"
                     " AND json_extract(a.detail, '$.header_message_id') = ?)")
        args.append(query.header_message_id.strip().strip("<>").strip())
    if query.source_ref:
        ref = query.source_ref.strip()
        # a copy received again (the same bytes) is kept as a `duplicate_received` audit entry on the first mail
        where.append("(m.source_ref = ? OR m.source_ref LIKE ? OR CAST(m.id AS TEXT) = ? OR EXISTS (SELECT 1 FROM"
                     " audit d WHERE d.message_id = m.id AND d.event = 'duplicate_received'"
                     " AND (json_extract(d.detail, '$.source_ref') = ? OR json_extract(d.detail, '$.source_ref')"
                     " LIKE ?)))")
        args += [ref, f"%:{ref}", ref, ref, f"%:{ref}"]
    if query.sender:
        where.append("(LOWER(m.envelope_sender) LIKE ? OR EXISTS (SELECT 1 FROM audit a WHERE a.message_id = m.id"
                     " AND a.event = 'parsed' AND LOWER(json_extract(a.detail, '$.sender')) LIKE ?))")
        pattern = f"%{query.sender.strip().lower()}%"
        args += [pattern, pattern]
    if query.received_from:
        where.append("m.received_at >= ?")
        args.append(query.received_from.astimezone(UTC).isoformat())
    if query.received_to:
        where.append("m.received_at < ?")
        args.append(query.received_to.astimezone(UTC).isoformat())
    if query.case_id:
        where.append("(EXISTS (SELECT 1 FROM documents d WHERE d.message_id = m.id AND d.case_id = ?)"
                     " OR EXISTS (SELECT 1 FROM escalations e WHERE e.message_id = m.id AND e.case_id = ?))")
        args += [query.case_id.strip(), query.case_id.strip()]
    if query.cpr:
        where.append("EXISTS (SELECT 1 FROM documents d WHERE d.message_id = m.id AND d.cpr = ?)")
        args.append(query.cpr)
    return where, args


def _detail(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
