"""SqliteLedger on a real file: durable intake, the document state machine, one filing per case and document,
escalations, the outbox, retention and the audit trail."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from robot.ledger.base import ALLOWED_TRANSITIONS, DocumentState, LedgerError
from robot.form import Form
from robot.ledger.records import (
    DECISION_VERSION,
    Action,
    DecisionRecord,
    DocumentOutcome,
    EscalationState,
    MessageState,
    NoticeKind,
    NoticeState,
)
from robot.ledger.sqlite import SCHEMA_VERSION, SqliteLedger

RAW = b"From: psyk@rn.dk\r\nSubject: LAE 125\r\n\r\nHermed attesten.\r\n"
OTHER_RAW = b"From: psyk@rn.dk\r\nSubject: LAE 285\r\n\r\nHermed attesten.\r\n"
PDF_SHA = hashlib.sha256(b"%PDF-1.7 attest").hexdigest()
S = DocumentState


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger" / "robot.sqlite"


@pytest.fixture
def ledger(path: Path):  # type: ignore[no-untyped-def]
    opened = SqliteLedger(path)
    yield opened
    opened.close()


def now() -> datetime:
    return datetime.now(UTC)


def document(ledger: SqliteLedger, raw: bytes = RAW, part: str = "2", sha256: str | None = PDF_SHA) -> int:
    message_id = ledger.accept(raw, source="file").message_id
    return ledger.record_document(message_id, part, "attest.pdf", sha256).id


def walk(ledger: SqliteLedger, document_id: int, *states: DocumentState) -> None:
    for state in states:
        ledger.advance(document_id, state)


def events(ledger: SqliteLedger, message_id: int | None = None) -> list[str]:
    return [entry.event for entry in ledger.audit_trail(message_id)]


# ---------------------------------------------------------------- intake


def test_accept_is_durable_and_the_same_bytes_twice_are_one_message(path: Path) -> None:
    ledger = SqliteLedger(path)
    first = ledger.accept(RAW, source="smtp", source_ref="queue-1", mailbox="attester@kommune.example",
                          envelope_sender="bounce@rn.dk")
    assert first.duplicate is False
    # another connection to the same file sees it at once: it was committed before accept returned
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT raw, envelope_sender FROM messages").fetchall() == [(RAW, "bounce@rn.dk")]
    again = ledger.accept(RAW, source="imap", source_ref="uid-9")
    assert again.message_id == first.message_id and again.duplicate is True
    assert ledger.accept(OTHER_RAW, source="smtp").message_id != first.message_id
    stored = ledger.message(first.message_id)
    assert stored.raw == RAW and stored.sha256 == hashlib.sha256(RAW).hexdigest()
    assert (stored.source, stored.source_ref, stored.mailbox) == ("smtp", "queue-1", "attester@kommune.example")
    assert stored.state == "received"
    assert events(ledger, first.message_id) == ["received", "duplicate_received"]
    ledger.close()


def test_unknown_ids_are_refused(ledger: SqliteLedger) -> None:
    with pytest.raises(LedgerError):
        ledger.message(42)
    with pytest.raises(LedgerError):
        ledger.document(42)
    with pytest.raises(LedgerError):
        ledger.escalation(42)


def test_record_document_is_idempotent_per_part(ledger: SqliteLedger) -> None:
    message_id = ledger.accept(RAW, source="file").message_id
    first = ledger.record_document(message_id, "2", "attest.pdf", PDF_SHA)
    assert ledger.record_document(message_id, "2", "attest.pdf", PDF_SHA).id == first.id
    assert ledger.record_document(message_id, "3", "bilag.pdf", None).id != first.id
    assert [d.part for d in ledger.documents(message_id)] == ["2", "3"]
    assert first.state is S.RECEIVED
    assert events(ledger, message_id).count("document_received") == 2


# ---------------------------------------------------------------- the state machine


def test_the_happy_path_received_extracted_decided_filed_notified(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    ledger.advance(document_id, S.EXTRACTED, cpr="0101901017", blanket="125", kind="attest")
    ledger.advance(document_id, S.DECIDED, rule="r", case_id="SAG-1",
                   decision=DecisionRecord(Action.FILE, cpr="010190-xxxx"))
    ledger.advance(document_id, S.FILED, outcome="filed", document_ref="SAG-1/attest.pdf")
    ledger.advance(document_id, S.NOTIFIED)
    stored = ledger.document(document_id)
    assert stored.state is S.NOTIFIED and stored.outcome == "filed" and stored.case_id == "SAG-1"
    assert stored.cpr == "0101901017" and stored.decision == DecisionRecord(Action.FILE, cpr="010190-xxxx")
    trail = events(ledger, stored.message_id)
    assert trail[-4:] == ["document_extracted", "document_decided", "document_filed", "document_notified"]


def test_an_escalation_notified_and_then_resolved_by_hand_is_filed(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    walk(ledger, document_id, S.EXTRACTED, S.ESCALATED)
    ledger.advance(document_id, S.NOTIFIED)
    ledger.advance(document_id, S.FILED, actor="operator:jens", outcome="filed", case_id="SAG-1")
    assert ledger.document(document_id).state is S.FILED
    last = ledger.audit_trail()[-1]
    assert (last.event, last.actor, last.detail) == ("document_filed", "operator:jens",
                                                     {"outcome": "filed", "case_id": "SAG-1"})


@pytest.mark.parametrize("path_to, illegal", [
    ((), S.DECIDED),
    ((), S.FILED),
    ((), S.NOTIFIED),
    ((S.EXTRACTED,), S.FILED),
    ((S.EXTRACTED,), S.RECEIVED),
    ((S.EXTRACTED, S.DECIDED), S.EXTRACTED),
    ((S.EXTRACTED, S.DECIDED), S.NOTIFIED),
    ((S.EXTRACTED, S.DECIDED, S.FILED), S.ESCALATED),
    ((S.EXTRACTED, S.DECIDED, S.FILED), S.DECIDED),
    ((S.EXTRACTED, S.DECIDED, S.DUPLICATE), S.FILED),
    ((S.EXTRACTED, S.DECIDED, S.DUPLICATE), S.NOTIFIED),
    ((S.ESCALATED,), S.DECIDED),
])
def test_illegal_transitions_are_refused_and_change_nothing(ledger: SqliteLedger, path_to: tuple[DocumentState, ...],
                                                            illegal: DocumentState) -> None:
    document_id = document(ledger)
    walk(ledger, document_id, *path_to)
    before = ledger.document(document_id)
    trail = len(ledger.audit_trail())
    with pytest.raises(LedgerError, match="is not allowed"):
        ledger.advance(document_id, illegal, case_id="SAG-X")
    assert ledger.document(document_id) == before
    assert len(ledger.audit_trail()) == trail


def test_every_allowed_transition_is_accepted(ledger: SqliteLedger) -> None:
    reach = {S.RECEIVED: (), S.EXTRACTED: (S.EXTRACTED,), S.DECIDED: (S.EXTRACTED, S.DECIDED),
             S.FILED: (S.EXTRACTED, S.DECIDED, S.FILED), S.ESCALATED: (S.ESCALATED,),
             S.DUPLICATE: (S.EXTRACTED, S.DECIDED, S.DUPLICATE), S.NOTIFIED: (S.ESCALATED, S.NOTIFIED)}
    count = 0
    for start, targets in ALLOWED_TRANSITIONS.items():
        for target in targets:
            count += 1
            document_id = document(ledger, raw=RAW + str(count).encode())
            walk(ledger, document_id, *reach[start])
            ledger.advance(document_id, target)
            assert ledger.document(document_id).state is target
    assert count == sum(len(t) for t in ALLOWED_TRANSITIONS.values()) == 11


def test_a_document_the_robot_filed_and_notified_cannot_be_filed_again(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    walk(ledger, document_id, S.EXTRACTED, S.DECIDED)
    ledger.advance(document_id, S.FILED, outcome="filed", case_id="SAG-1")
    ledger.advance(document_id, S.NOTIFIED)
    with pytest.raises(LedgerError):
        ledger.advance(document_id, S.FILED, actor="operator:jens", outcome="filed", case_id="SAG-2")


def test_unknown_document_fields_are_refused(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    with pytest.raises(LedgerError, match="unknown document fields"):
        ledger.advance(document_id, S.EXTRACTED, colour="red")
    assert ledger.document(document_id).state is S.RECEIVED


# ---------------------------------------------------------------- one filing per case and document


def test_the_same_document_is_filed_into_a_case_only_once(ledger: SqliteLedger) -> None:
    first = document(ledger, raw=RAW)
    second = document(ledger, raw=OTHER_RAW)  # another mail carrying the same PDF bytes
    walk(ledger, first, S.EXTRACTED, S.DECIDED)
    walk(ledger, second, S.EXTRACTED, S.DECIDED)
    ledger.advance(first, S.FILED, outcome="filed", case_id="SAG-1")
    found = ledger.filing_of("SAG-1", PDF_SHA)
    assert found is not None and found.id == first
    with pytest.raises(sqlite3.IntegrityError):
        ledger.advance(second, S.FILED, outcome="filed", case_id="SAG-1")
    # the refused change left nothing behind, and the ledger goes on working
    assert ledger.document(second).state is S.DECIDED and ledger.document(second).outcome is None
    ledger.advance(second, S.DUPLICATE, outcome="duplicate", case_id="SAG-1")
    assert ledger.document(second).state is S.DUPLICATE
    assert ledger.filing_of("SAG-1", PDF_SHA).id == first  # type: ignore[union-attr]


def test_the_same_document_may_be_filed_into_another_case(ledger: SqliteLedger) -> None:
    first, second = document(ledger, raw=RAW), document(ledger, raw=OTHER_RAW)
    walk(ledger, first, S.EXTRACTED, S.DECIDED)
    walk(ledger, second, S.EXTRACTED, S.DECIDED)
    ledger.advance(first, S.FILED, outcome="filed", case_id="SAG-1")
    ledger.advance(second, S.FILED, outcome="filed", case_id="SAG-2")
    assert ledger.filing_of("SAG-2", PDF_SHA).id == second  # type: ignore[union-attr]
    assert ledger.filing_of("SAG-3", PDF_SHA) is None


# ---------------------------------------------------------------- escalations


def test_open_escalation_is_idempotent_per_message_document_and_reason(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    first = ledger.open_escalation(message_id, document_id, "no_case", "ingen åben sag")
    assert ledger.open_escalation(message_id, document_id, "no_case", "ingen åben sag (igen)") == first
    other_reason = ledger.open_escalation(message_id, document_id, "ambiguous_case", "to sager")
    whole_mail = ledger.open_escalation(message_id, None, "no_pdf", "ingen PDF")
    assert ledger.open_escalation(message_id, None, "no_pdf", "ingen PDF") == whole_mail
    assert len({first, other_reason, whole_mail}) == 3
    assert [e.id for e in ledger.escalations()] == [first, other_reason, whole_mail]
    stored = ledger.escalation(first)
    assert (stored.state, stored.detail, stored.closed_by) == ("open", "ingen åben sag", None)
    assert events(ledger, message_id).count("escalation_opened") == 3


def test_a_cause_a_person_closed_opens_a_new_escalation_when_it_happens_again(ledger: SqliteLedger, path: Path) -> None:
    # a manual filing the archive refuses again: the desk must show a new open escalation, not the closed one
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    first = ledger.open_escalation(message_id, document_id, "archive_rejected", "afvist")
    ledger.close_escalation(first, "resolved", actor="operator:mette", case_id="SAG-1")
    again = ledger.open_escalation(message_id, document_id, "archive_rejected", "afvist igen")
    assert again != first and [e.id for e in ledger.escalations()] == [again]
    assert ledger.open_escalation(message_id, document_id, "archive_rejected", "afvist igen") == again


def test_a_ledger_made_before_the_open_only_index_takes_a_reopened_cause(path: Path) -> None:
    old = SqliteLedger(path)
    old._db.execute("DROP INDEX one_open_escalation_per_cause")  # as a ledger written by the previous version
    old._db.execute("CREATE UNIQUE INDEX one_escalation_per_cause ON escalations(message_id, IFNULL(document_id, 0),"
                    " reason)")
    old.close()
    ledger = SqliteLedger(path)
    try:
        document_id = document(ledger)
        message_id = ledger.document(document_id).message_id
        first = ledger.open_escalation(message_id, document_id, "archive_rejected", "afvist")
        ledger.close_escalation(first, "resolved", actor="operator:mette", case_id="SAG-1")
        assert ledger.open_escalation(message_id, document_id, "archive_rejected", "afvist igen") != first
    finally:
        ledger.close()


@pytest.mark.parametrize("state", ["resolved", "rejected"])
def test_closing_an_escalation_records_the_actor_and_refuses_a_second_close(ledger: SqliteLedger, state: str) -> None:
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    escalation_id = ledger.open_escalation(message_id, document_id, "no_case", "ingen åben sag")
    ledger.close_escalation(escalation_id, state, actor="operator:mette", note="ok", case_id="SAG-1")
    closed = ledger.escalation(escalation_id)
    assert (closed.state, closed.closed_by, closed.note, closed.case_id) == (state, "operator:mette", "ok", "SAG-1")
    assert closed.closed_at is not None and closed.closed_at >= closed.created_at
    assert ledger.escalations() == [] and [e.id for e in ledger.escalations(state)] == [escalation_id]
    entry = ledger.audit_trail(message_id)[-1]
    assert (entry.event, entry.actor, entry.escalation_id) == (f"escalation_{state}", "operator:mette", escalation_id)
    with pytest.raises(LedgerError, match=f"already {state}"):
        ledger.close_escalation(escalation_id, "rejected", actor="operator:bo")
    assert ledger.escalation(escalation_id).closed_by == "operator:mette"


def test_an_escalation_closes_only_as_resolved_or_rejected(ledger: SqliteLedger) -> None:
    message_id = ledger.accept(RAW, source="file").message_id
    escalation_id = ledger.open_escalation(message_id, None, "no_pdf", "ingen PDF")
    with pytest.raises(LedgerError):
        ledger.close_escalation(escalation_id, "open", actor="x")
    with pytest.raises(LedgerError):
        ledger.close_escalation(escalation_id, "deleted", actor="x")
    assert ledger.escalation(escalation_id).state == "open"


def test_escalation_and_notice_states_come_back_typed_and_read_as_their_values(ledger: SqliteLedger) -> None:
    message_id = ledger.accept(RAW, source="file").message_id
    escalation_id = ledger.open_escalation(message_id, None, "no_pdf", "ingen PDF")
    assert ledger.escalation(escalation_id).state is EscalationState.OPEN
    ledger.close_escalation(escalation_id, EscalationState.REJECTED, actor="operator:bo")
    assert ledger.escalation(escalation_id).state is EscalationState.REJECTED
    notice_id = ledger.enqueue_notice("k", NoticeKind.DIGEST, ("a@kommune.example",), "S", "B")
    (notice,) = ledger.due_notices(now() + timedelta(seconds=1))
    assert (notice.id, notice.kind, notice.state) == (notice_id, NoticeKind.DIGEST, NoticeState.PENDING)
    # a log line or a JSON export shows the value, never the class name
    assert json.dumps([notice.kind, notice.state]) == '["digest", "pending"]' and f"{notice.state}" == "pending"


# ---------------------------------------------------------------- outbox


def test_enqueue_notice_is_idempotent_by_key(ledger: SqliteLedger) -> None:
    first = ledger.enqueue_notice("filed:1", "filed", ("anna@kommune.example",), "Ny attest", "Hej")
    assert ledger.enqueue_notice("filed:1", "filed", ("bo@kommune.example",), "Andet emne", "Andet") == first
    second = ledger.enqueue_notice("filed:2", "filed", ("anna@kommune.example",), "Ny attest", "Hej")
    assert second != first
    (notice, _) = ledger.due_notices(now() + timedelta(seconds=1))
    assert (notice.id, notice.recipients, notice.subject, notice.state) == (first, ("anna@kommune.example",),
                                                                            "Ny attest", "pending")


def test_due_notices_respect_next_attempt_at(ledger: SqliteLedger) -> None:
    notice_id = ledger.enqueue_notice("k", "escalation", ("team@kommune.example",), "S", "B")
    assert ledger.due_notices(now() - timedelta(minutes=5)) == []
    assert [n.id for n in ledger.due_notices(now() + timedelta(seconds=1))] == [notice_id]
    ledger.notice_sent(notice_id)
    assert ledger.due_notices(now() + timedelta(days=1)) == []


def test_a_failed_notice_with_a_retry_time_comes_back_then(ledger: SqliteLedger) -> None:
    notice_id = ledger.enqueue_notice("k", "filed", ("a@kommune.example",), "S", "B")
    retry_at = now() + timedelta(minutes=10)
    ledger.notice_failed(notice_id, "421 try later", retry_at)
    assert ledger.due_notices(now() + timedelta(minutes=9)) == []
    (notice,) = ledger.due_notices(retry_at + timedelta(seconds=1))
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 1, "421 try later")
    assert notice.next_attempt_at == retry_at


def test_a_failed_notice_without_a_retry_time_is_given_up(ledger: SqliteLedger) -> None:
    notice_id = ledger.enqueue_notice("k", "filed", ("a@kommune.example",), "S", "B")
    ledger.notice_failed(notice_id, "550 no such user", None)
    assert ledger.due_notices(now() + timedelta(days=365)) == []
    row = ledger._db.execute("SELECT state, attempts, last_error FROM outbox WHERE id = ?", (notice_id,)).fetchone()
    assert tuple(row) == ("failed", 1, "550 no such user")
    assert events(ledger)[-1] == "notice_failed"


# ---------------------------------------------------------------- unfinished, retention


def test_unfinished_lists_deferred_messages_only_when_due(ledger: SqliteLedger) -> None:
    waiting = ledger.accept(RAW, source="file").message_id
    fresh = ledger.accept(OTHER_RAW, source="file").message_id
    done = ledger.accept(RAW + b"3", source="file").message_id
    ledger.finish(done)
    until = now() + timedelta(minutes=30)
    assert ledger.defer(waiting, until, "archive unavailable") == 1
    assert ledger.unfinished(now()) == [fresh]
    assert ledger.unfinished(until + timedelta(seconds=1)) == [waiting, fresh]
    assert ledger.defer(waiting, until + timedelta(minutes=30), "again") == 2
    assert ledger.unfinished(until + timedelta(seconds=1)) == [fresh]
    stored = ledger.message(waiting)
    assert stored.attempts == 2 and stored.next_attempt_at == until + timedelta(minutes=30)


def test_purge_raw_removes_old_finished_raw_mail_and_keeps_the_audit_trail(ledger: SqliteLedger) -> None:
    old_done = ledger.accept(RAW, source="file").message_id
    old_open = ledger.accept(OTHER_RAW, source="file").message_id
    ledger.finish(old_done)
    trail_before = ledger.audit_trail(old_done)
    assert ledger.purge_raw(now() - timedelta(days=1)) == 0  # nothing that old yet
    assert ledger.message(old_done).raw == RAW
    assert ledger.purge_raw(now() + timedelta(seconds=1)) == 1
    purged = ledger.message(old_done)
    assert purged.raw is None and purged.sha256 == hashlib.sha256(RAW).hexdigest()
    assert ledger.message(old_open).raw == OTHER_RAW  # unfinished mail is never purged
    assert ledger.audit_trail(old_done) == trail_before
    assert events(ledger)[-1] == "raw_purged" and ledger.audit_trail()[-1].detail["count"] == 1
    assert ledger.purge_raw(now() + timedelta(seconds=1)) == 0  # nothing left to purge
    # the same bytes arriving again are still recognised after their raw copy is gone
    assert ledger.accept(RAW, source="file").duplicate is True


# ---------------------------------------------------------------- audit


def test_every_change_writes_an_audit_entry_with_its_actor(ledger: SqliteLedger) -> None:
    message_id = ledger.accept(RAW, source="smtp", actor="smtp-listener").message_id
    ledger.accept(RAW, source="imap", actor="imap-poller")
    document_id = ledger.record_document(message_id, "2", "a.pdf", PDF_SHA).id
    ledger.advance(document_id, S.EXTRACTED)
    ledger.advance(document_id, S.ESCALATED, actor="worker-2", outcome="escalated", reason="no_case")
    escalation_id = ledger.open_escalation(message_id, document_id, "no_case", "ingen sag")
    ledger.close_escalation(escalation_id, "rejected", actor="operator:mette", note="spam")
    ledger.defer(message_id, now(), "later")
    ledger.finish(message_id)
    notice_id = ledger.enqueue_notice("k", "escalation", ("a@kommune.example",), "S", "B")
    ledger.notice_failed(notice_id, "421", now())
    ledger.notice_sent(notice_id)
    ledger.purge_raw(now() + timedelta(seconds=1))
    trail = [(e.event, e.actor) for e in ledger.audit_trail()]
    assert trail == [
        ("received", "smtp-listener"), ("duplicate_received", "imap-poller"), ("document_received", "robot"),
        ("document_extracted", "robot"), ("document_escalated", "worker-2"), ("escalation_opened", "robot"),
        ("escalation_rejected", "operator:mette"), ("deferred", "robot"), ("finished", "robot"),
        ("notice_queued", "robot"), ("notice_failed", "robot"), ("notice_sent", "robot"), ("raw_purged", "robot"),
    ]
    for entry in ledger.audit_trail():
        assert entry.at.tzinfo is not None and abs(entry.at - now()) < timedelta(minutes=1)
    escalated = next(e for e in ledger.audit_trail() if e.event == "document_escalated")
    assert (escalated.message_id, escalated.document_id, escalated.detail) == (
        message_id, document_id, {"outcome": "escalated", "reason": "no_case"})


# ---------------------------------------------------------------- the file


def test_everything_survives_closing_and_reopening(path: Path) -> None:
    ledger = SqliteLedger(path)
    message_id = ledger.accept(RAW, source="smtp", mailbox="attester@kommune.example").message_id
    document_id = ledger.record_document(message_id, "2", "a.pdf", PDF_SHA).id
    walk(ledger, document_id, S.EXTRACTED, S.DECIDED)
    ledger.advance(document_id, S.FILED, outcome="filed", case_id="SAG-1",
                   decision=DecisionRecord(Action.FILE, rule="r"))
    escalation_id = ledger.open_escalation(message_id, None, "no_pdf", "x")
    ledger.enqueue_notice("k", "filed", ("a@kommune.example",), "S", "B")
    trail = ledger.audit_trail()
    ledger.close()

    reopened = SqliteLedger(path)
    assert reopened.message(message_id).raw == RAW
    assert reopened.accept(RAW, source="smtp").duplicate is True
    stored = reopened.document(document_id)
    assert (stored.state, stored.case_id, stored.decision) == (S.FILED, "SAG-1", DecisionRecord(Action.FILE, rule="r"))
    assert reopened.filing_of("SAG-1", PDF_SHA) is not None
    assert reopened.escalation(escalation_id).state == "open"
    assert [n.key for n in reopened.due_notices(now() + timedelta(seconds=1))] == ["k"]
    assert reopened.audit_trail()[:len(trail)] == trail
    reopened.close()


def test_a_ledger_written_by_a_newer_robot_is_refused(path: Path) -> None:
    SqliteLedger(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(LedgerError, match="newer than this robot"):
        SqliteLedger(path)


def test_a_ledger_of_the_same_schema_version_opens(path: Path) -> None:
    SqliteLedger(path).close()
    SqliteLedger(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM meta").fetchone() == (1,)


class WalSyncs:
    """Counts fsyncs of the ledger's write-ahead log (SQLite itself does not fsync it under synchronous=NORMAL)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path):
        self.count = 0
        real_fsync, real_open = os.fsync, os.open
        opened: set[int] = set()

        def spy_open(name, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
            descriptor = real_open(name, flags, *args, **kwargs)
            if str(name) == f"{path}-wal":
                opened.add(descriptor)
            return descriptor

        def spy_fsync(descriptor: int) -> None:
            if descriptor in opened:
                self.count += 1
                opened.discard(descriptor)
            real_fsync(descriptor)

        monkeypatch.setattr(os, "open", spy_open)
        monkeypatch.setattr(os, "fsync", spy_fsync)


def test_only_commits_behind_a_promise_are_fsynced(ledger: SqliteLedger, path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = WalSyncs(monkeypatch, path)
    message_id = ledger.accept(RAW, source="smtp").message_id
    assert syncs.count == 1, "the sender hears OK only after the mail is on disk"
    stored = ledger.record_document(message_id, "2", "attest.pdf", PDF_SHA)
    ledger.advance(stored.id, S.EXTRACTED, cpr="x", blanket="LÆ 125")
    ledger.advance(stored.id, S.DECIDED, case_id="SAG-1")
    with ledger.transaction():
        ledger.enqueue_notice("k", "filed", ("a@kommune.dk",), "s", "b")
    assert syncs.count == 1, "recomputable steps are committed without an fsync"
    ledger.advance(stored.id, S.FILED, outcome="filed", case_id="SAG-1", document_ref="d1")
    assert syncs.count == 2, "a filing is on disk before anything else happens: it must never be redone"
    ledger.finish(message_id)
    assert syncs.count == 3, "the mail leaves its mailbox only after its outcome is on disk"
    with ledger.transaction():
        ledger.audit("operator_note", note="x")
    with ledger.transaction(durable=True):
        ledger.audit("operator_note", note="y")
    assert syncs.count == 4


def test_relaxed_commits_survive_the_process(path: Path) -> None:
    """Without an fsync a commit is still in the log: another connection (a restarted process) sees it."""
    first = SqliteLedger(path)
    message_id = first.accept(RAW, source="smtp").message_id
    stored = first.record_document(message_id, "2", "attest.pdf", PDF_SHA)
    first.advance(stored.id, S.EXTRACTED, blanket="LÆ 125")
    second = SqliteLedger(path)  # the first is not closed: as after a SIGKILL, its log is not checkpointed
    try:
        assert second.document(stored.id).state is S.EXTRACTED
        assert second.document(stored.id).blanket == "LÆ 125"
    finally:
        second.close()
        first.close()


# ---------------------------------------------------------------- typed records, and ledgers written before them


def test_an_old_format_row_without_a_version_reads_as_a_typed_record(path: Path) -> None:
    """Ledgers on disk hold decisions written as unversioned dicts, outcomes and forms as plain text: they read."""
    ledger = SqliteLedger(path)
    document_id = document(ledger)
    walk(ledger, document_id, S.EXTRACTED, S.DECIDED)
    ledger.close()
    old = ('{"action": "file", "case_id": "SAG-1", "case_type": "sygedagpenge", "cases_rejected": '
           '[{"case_id": "SAG-2", "why": "status closed"}], "cpr": "010190-xxxx", "explanation": ["sender: ok"], '
           '"form": "LÆ 125", "form_title": "Statusattest", "kind": "attest", "notify_to": ["anna@kommune.example"], '
           '"organisation": "Region Nordjylland", "reason": null, "routes_passed_over": [{"route": "a", "why": "b"}], '
           '"rule": "sygedagpenge"}')
    with sqlite3.connect(path) as db:
        db.execute("UPDATE documents SET state = 'notified', outcome = 'filed', blanket = 'LÆ 125', decision = ?"
                   " WHERE id = ?", (old, document_id))
    reopened = SqliteLedger(path)
    stored = reopened.document(document_id)
    reopened.close()
    assert stored.outcome is DocumentOutcome.FILED and stored.blanket == Form("125") and stored.blanket.code == "125"
    assert stored.decision == DecisionRecord(
        Action.FILE, rule="sygedagpenge", organisation="Region Nordjylland", cpr="010190-xxxx", form=Form("125"),
        form_title="Statusattest", kind="attest", case_id="SAG-1", case_type="sygedagpenge",
        notify_to=("anna@kommune.example",), explanation=("sender: ok",), routes_passed_over=(("a", "b"),),
        cases_rejected=(("SAG-2", "status closed"),))
    assert stored.decision.version == DECISION_VERSION
    assert json.loads(old) == {k: v for k, v in stored.decision.to_json().items()}  # nothing lost or added


def test_decisions_are_stored_with_their_version_and_a_newer_one_is_refused(ledger: SqliteLedger, path: Path) -> None:
    document_id = document(ledger)
    walk(ledger, document_id, S.EXTRACTED)
    ledger.advance(document_id, S.DECIDED, case_id="SAG-1", decision=DecisionRecord(Action.FILE, case_id="SAG-1"))
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT decision FROM documents WHERE id = ?", (document_id,)).fetchone()
        assert json.loads(text)["version"] == DECISION_VERSION
        db.execute("UPDATE documents SET decision = ? WHERE id = ?",
                   (json.dumps({"version": DECISION_VERSION + 1, "action": "file"}), document_id))
    with pytest.raises(LedgerError, match="newer than this robot"):
        ledger.document(document_id).decision


def test_a_decision_must_be_a_typed_record_and_the_outcome_follows_the_state(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    walk(ledger, document_id, S.EXTRACTED)
    with pytest.raises(LedgerError, match="DecisionRecord"):
        ledger.advance(document_id, S.DECIDED, decision={"action": "file"})  # type: ignore[typeddict-item]
    with pytest.raises(LedgerError, match="cannot have the outcome"):
        ledger.advance(document_id, S.ESCALATED, outcome=DocumentOutcome.FILED)
    ledger.advance(document_id, S.ESCALATED, reason="no_case")
    assert ledger.document(document_id).outcome is DocumentOutcome.ESCALATED
    assert ledger.state_of(ledger.document(document_id).message_id) is MessageState.RECEIVED


def test_a_decision_by_hand_resolves_the_escalation_and_sends_the_message_back_to_the_stages(
        ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    walk(ledger, document_id, S.EXTRACTED)
    ledger.advance(document_id, S.ESCALATED, reason="ambiguous_case", detail="to sager")
    escalation_id = ledger.open_escalation(message_id, document_id, "ambiguous_case", "to sager")
    ledger.advance(document_id, S.NOTIFIED)
    ledger.defer(message_id, now(), "x")
    ledger.finish(message_id)
    decision = DecisionRecord(Action.FILE, rule="manual:jens", case_id="SAG-1", decided_by="jens")
    assert ledger.decide_by_hand(escalation_id, decision, actor="jens") == message_id
    stored = ledger.document(document_id)
    assert (stored.state, stored.outcome, stored.case_id, stored.rule) == (S.DECIDED, None, "SAG-1", "manual:jens")
    assert stored.decision == decision
    assert ledger.escalation(escalation_id).state == "resolved" and ledger.escalation(escalation_id).case_id == "SAG-1"
    assert ledger.state_of(message_id) is MessageState.RECEIVED and ledger.message(message_id).attempts == 0
    assert message_id in ledger.unfinished()
    trail = [(e.event, e.actor) for e in ledger.audit_trail(message_id)][-3:]
    assert trail == [("escalation_resolved", "jens"), ("document_decided", "jens"), ("reopened", "jens")]
    with pytest.raises(LedgerError, match="already resolved"):
        ledger.decide_by_hand(escalation_id, decision, actor="jens")


def test_a_decision_by_hand_needs_an_open_escalation_about_an_escalated_document(ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    whole_mail = ledger.open_escalation(message_id, None, "no_pdf", "ingen PDF")
    decision = DecisionRecord(Action.FILE, case_id="SAG-1", decided_by="jens")
    with pytest.raises(LedgerError, match="the mail as a whole"):
        ledger.decide_by_hand(whole_mail, decision, actor="jens")
    walk(ledger, document_id, S.EXTRACTED, S.DECIDED)
    not_escalated = ledger.open_escalation(message_id, document_id, "archive_rejected", "x")
    with pytest.raises(LedgerError, match="not escalated"):
        ledger.decide_by_hand(not_escalated, decision, actor="jens")
    assert ledger.escalation(not_escalated).state == "open" and ledger.document(document_id).state is S.DECIDED


def test_a_message_decided_by_hand_is_held_for_the_deciding_command_then_left_to_the_daemon(
        ledger: SqliteLedger) -> None:
    document_id = document(ledger)
    message_id = ledger.document(document_id).message_id
    walk(ledger, document_id, S.EXTRACTED)
    ledger.advance(document_id, S.ESCALATED, reason="no_case")
    escalation_id = ledger.open_escalation(message_id, document_id, "no_case", "ingen sag")
    ledger.finish(message_id)
    decision = DecisionRecord(Action.FILE, case_id="SAG-1", decided_by="jens")
    ledger.decide_by_hand(escalation_id, decision, actor="jens", held_until=now() + timedelta(minutes=10))
    assert message_id not in ledger.unfinished(now())
    assert message_id in ledger.unfinished(now() + timedelta(minutes=11))
