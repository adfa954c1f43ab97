"""The request register's SQLite table inside the ledger file: schema, migration and queries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from robot.ledger.records import RecordError, decode_decision
from robot.ledger.request_records import (
    REQUEST_VERSION,
    FiledCertificate,
    NewRequest,
    RequestSource,
    RequestState,
    StoredRequest,
)

REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    cpr TEXT NOT NULL,
    case_id TEXT,
    request_form TEXT NOT NULL,
    answer_form TEXT NOT NULL,
    addressee TEXT,
    sent_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    source TEXT NOT NULL,
    notify_to TEXT NOT NULL,
    message_id INTEGER, document_id INTEGER,
    state TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    closed_at TEXT,
    answered_by INTEGER,
    turnaround_days REAL,
    overdue_at TEXT,
    digest_day TEXT
);
CREATE INDEX IF NOT EXISTS open_requests_by_citizen ON requests(cpr, answer_form) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS open_requests_by_deadline ON requests(deadline) WHERE state = 'open' AND overdue_at IS NULL
"""

Audit = Callable[..., None]
LOCAL_DAY = ZoneInfo("Europe/Copenhagen")  # a request's days are the kommune's days


class SqliteRequests:
    """The register on the ledger's own connection, lock and transactions (one file, one commit for a filing and
    the request it answers)."""

    def __init__(self, db: sqlite3.Connection, transaction: Callable[..., AbstractContextManager[None]],
                 audit: Audit):
        self._db = db
        self._transaction = transaction
        self._audit = audit

    def register(self, request: NewRequest) -> StoredRequest:
        with self._transaction():
            row = self._db.execute("SELECT * FROM requests WHERE key = ?", (request.key,)).fetchone()
            if row is not None:
                return _request(row)
            cursor = self._db.execute(
                "INSERT INTO requests (key, version, cpr, case_id, request_form, answer_form, addressee, sent_on,"
                " deadline, source, notify_to, message_id, document_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (request.key, REQUEST_VERSION, request.cpr, request.case_id, request.request_form,
                 request.answer_form, request.addressee, request.sent_on.isoformat(), request.deadline.isoformat(),
                 request.source.value, json.dumps(list(request.notify_to)), request.message_id, request.document_id,
                 _iso(datetime.now(UTC))))
            request_id = int(cursor.lastrowid or 0)
            self._audit("request_registered", message_id=request.message_id, document_id=request.document_id,
                        request_id=request_id, form=request.request_form, case_id=request.case_id,
                        source=request.source.value, deadline=request.deadline.isoformat())
        return self.get(request_id)

    def get(self, request_id: int) -> StoredRequest:
        row = self._db.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            raise RecordError(f"no request {request_id}")
        return _request(row)

    def find(self, key: str) -> StoredRequest | None:
        row = self._db.execute("SELECT * FROM requests WHERE key = ?", (key,)).fetchone()
        return _request(row) if row is not None else None

    def all(self, state: RequestState | None = None) -> list[StoredRequest]:
        if state is None:
            rows = self._db.execute("SELECT * FROM requests ORDER BY id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM requests WHERE state = ? ORDER BY id", (state.value,)).fetchall()
        return [_request(row) for row in rows]

    def open_for(self, cpr: str, *, answer_form: str | None = None,
                 request_form: str | None = None) -> list[StoredRequest]:
        rows = self._db.execute("SELECT * FROM requests WHERE state = 'open' AND cpr = ? ORDER BY id",
                                (cpr,)).fetchall()
        found = [_request(row) for row in rows]
        return [r for r in found if (answer_form is None or r.answer_form == answer_form)
                and (request_form is None or r.request_form == request_form)]

    def answer(self, request_id: int, document_id: int, at: datetime) -> bool:
        # committed with the filing it belongs to; that commit is made durable with the filing's (group) sync
        with self._transaction():
            current = self.get(request_id)
            if current.state is not RequestState.OPEN:
                return False
            turnaround = float(max(0, (at.astimezone(LOCAL_DAY).date() - current.sent_on).days))
            self._db.execute("UPDATE requests SET state = ?, closed_at = ?, answered_by = ?, turnaround_days = ?"
                             " WHERE id = ?", (RequestState.ANSWERED.value, _iso(at), document_id,
                                               turnaround, request_id))
            self._audit("request_answered", document_id=document_id, request_id=request_id,
                        turnaround_days=turnaround)
        return True

    def give_back(self, request_id: int, document_id: int, at: datetime) -> bool:
        with self._transaction(durable=True):
            if self.get(request_id).state is not RequestState.OPEN:
                return False
            self._db.execute("UPDATE requests SET state = ?, closed_at = ?, answered_by = ? WHERE id = ?",
                             (RequestState.RETURNED.value, _iso(at), document_id, request_id))
            self._audit("request_returned", document_id=document_id, request_id=request_id)
        return True

    def certificates_filed(self, since: datetime, until: datetime) -> list[FiledCertificate]:
        rows = self._db.execute("SELECT blanket, decision FROM documents WHERE outcome = 'filed' AND kind = 'attest'"
                                " AND updated_at >= ? AND updated_at < ? ORDER BY id",
                                (_iso(since), _iso(until))).fetchall()
        filed: list[FiledCertificate] = []
        for row in rows:
            decision = decode_decision(row["decision"]) if row["decision"] else None
            form = (decision.form.code if decision and decision.form else None) or str(row["blanket"] or "")
            filed.append(FiledCertificate(form.removeprefix("LÆ ").strip(), decision.organisation if decision else None,
                                          decision.request_id if decision else None))
        return filed

    def overdue(self, today: date) -> list[StoredRequest]:
        rows = self._db.execute("SELECT * FROM requests WHERE state = 'open' AND overdue_at IS NULL"
                                " AND deadline < ? ORDER BY id", (today.isoformat(),)).fetchall()
        return [_request(row) for row in rows]

    def undigested_overdue(self) -> list[StoredRequest]:
        rows = self._db.execute("SELECT * FROM requests WHERE overdue_at IS NOT NULL AND digest_day IS NULL"
                                " ORDER BY id").fetchall()
        return [_request(row) for row in rows]

    def mark_digested(self, request_ids: list[int], day: date) -> None:
        with self._transaction():
            self._db.executemany("UPDATE requests SET digest_day = ? WHERE id = ? AND digest_day IS NULL",
                                 [(day.isoformat(), request_id) for request_id in request_ids])

    def mark_overdue(self, request_id: int, at: datetime) -> bool:
        with self._transaction(durable=True):
            cursor = self._db.execute("UPDATE requests SET overdue_at = ? WHERE id = ? AND overdue_at IS NULL",
                                      (_iso(at), request_id))
            if cursor.rowcount:
                self._audit("request_overdue", request_id=request_id)
        return bool(cursor.rowcount)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _request(row: sqlite3.Row) -> StoredRequest:
    version = row["version"]
    if not isinstance(version, int) or version > REQUEST_VERSION:
        raise RecordError(f"request {row['id']}: format {version!r} is newer than this robot ({REQUEST_VERSION})")
    try:
        return StoredRequest(
            id=row["id"], key=row["key"], cpr=row["cpr"], case_id=row["case_id"], request_form=row["request_form"],
            answer_form=row["answer_form"], addressee=row["addressee"], sent_on=date.fromisoformat(row["sent_on"]),
            deadline=date.fromisoformat(row["deadline"]), source=RequestSource(row["source"]),
            notify_to=tuple(str(a) for a in json.loads(row["notify_to"])), message_id=row["message_id"],
            document_id=row["document_id"], state=RequestState(row["state"]),
            created_at=_time(row["created_at"]) or datetime.now(UTC), closed_at=_time(row["closed_at"]),
            answered_by=row["answered_by"], turnaround_days=row["turnaround_days"], overdue_at=_time(row["overdue_at"]),
            digest_day=date.fromisoformat(row["digest_day"]) if row["digest_day"] else None, version=version)
    except (ValueError, TypeError) as error:
        raise RecordError(f"request {row['id']}: unreadable ({error})") from None


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
