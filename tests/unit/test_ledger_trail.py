"""The trail's queries on a real ledger file: find a mail by Message-ID, source ref, sender, date, case or CPR, and
read its whole history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from robot.ledger.base import DocumentState
from robot.ledger.sqlite import SqliteLedger
from robot.ledger.trail import Trail, TrailQuery


def test_a_mail_is_found_by_what_people_know_of_it_and_its_history_read(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SqliteLedger(path)
    first = ledger.accept(b"mail one", source="smtp", source_ref="smtp:smtp:abc123", envelope_sender="a@rn.dk")
    second = ledger.accept(b"mail two", source="imap", source_ref="imap:tunnel:7:42")
    ledger.audit("parsed", message_id=first.message_id, header_message_id="1@rn.dk", sender="attest@rn.dk",
                 subject="Statusattest")
    ledger.audit("parsed", message_id=second.message_id, header_message_id="2@regionh.dk", sender="x@regionh.dk",
                 subject="Attest")
    document = ledger.record_document(first.message_id, "2", "LÆ125.pdf", "ab" * 32)
    ledger.advance(document.id, DocumentState.EXTRACTED, cpr="0101901234")
    ledger.advance(document.id, DocumentState.DECIDED, case_id="SD-1")
    ledger.advance(document.id, DocumentState.FILED, case_id="SD-1", document_ref="SD-1/x.pdf")
    ledger.enqueue_notice(f"filed:{document.id}", "filed", ("sb@kommune.example",), "Attest arkiveret", "...")
    trail = Trail(path, ledger)

    def ids(**query: object) -> list[int]:
        return [found.message_id for found in trail.find(TrailQuery(**query))]  # type: ignore[arg-type]

    assert ids(header_message_id="<1@rn.dk>") == [first.message_id]
    assert ids(header_message_id="1@rn") == []  # a Message-ID is matched whole
    assert ids(source_ref="abc123") == [first.message_id]
    assert ids(source_ref=str(second.message_id)) == [second.message_id]
    assert ids(sender="REGIONH") == [second.message_id]
    assert ids(sender="a@rn.dk") == [first.message_id]  # the envelope sender too
    assert ids(case_id="SD-1") == [first.message_id]
    assert ids(cpr="0101901234") == [first.message_id] and ids(cpr="0101901235") == []
    now = datetime.now(UTC)
    assert ids(received_from=now - timedelta(hours=1), received_to=now + timedelta(hours=1)) == [
        second.message_id, first.message_id]
    assert ids(received_from=now + timedelta(hours=1)) == []
    assert ids() == []  # nothing asked, nothing listed

    history = trail.history(first.message_id)
    assert history.header_message_id == "1@rn.dk" and history.sender == "attest@rn.dk"
    assert [d.case_id for d in history.documents] == ["SD-1"]
    assert [n.key for n in history.notices] == [f"filed:{document.id}"]
    assert [a.event for a in history.audit][:3] == ["received", "parsed", "document_received"]
    assert "document_filed" in [a.event for a in history.audit]
    trail.close()
    ledger.close()


def test_a_copy_received_again_is_found_by_its_own_reference(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SqliteLedger(path)
    first = ledger.accept(b"the same mail", source="smtp", source_ref="smtp:smtp:FIRST1")
    copy = ledger.accept(b"the same mail", source="smtp", source_ref="smtp:smtp:AGAIN2")
    assert copy.duplicate and copy.message_id == first.message_id
    trail = Trail(path, ledger)
    assert [f.message_id for f in trail.find(TrailQuery(source_ref="AGAIN2"))] == [first.message_id]
    assert [f.message_id for f in trail.find(TrailQuery(source_ref="smtp:smtp:AGAIN2"))] == [first.message_id]
    assert trail.find(TrailQuery(source_ref="AGAIN")) == []  # a reference is matched whole
    assert [a.event for a in trail.history(first.message_id).audit] == ["received", "duplicate_received"]
    trail.close()
    ledger.close()
