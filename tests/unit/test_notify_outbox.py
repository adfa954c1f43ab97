"""Notices as mail (no CPR ever, stable Message-ID) and the outbox folder transport: atomic, idempotent files."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from robot.notify.message import Notice, NoticeRefused, check_notice, render_notice
from robot.notify.outbox import OutboxFolderTransport, safe_name
from robot.notify.transport import NoticeTransport, TransportUnavailable

SENDER = "LÆ-robot <lae-robot@aalborg.dk>"
DOMAIN = "aalborg.dk"
NOTICE = Notice(
    key="filed:42",
    to=("sagsbehandler@aalborg.dk",),
    subject="LÆ 125 journaliseret i sag 27.12.08-G01-1234-22",
    body="Statusattest fra Region Nordjylland er lagt på sagen.\nTlf. 99 31 31 31, lokationsnummer 5790001234567.",
)


def at(minute: int) -> dt.datetime:
    return dt.datetime(2025, 3, 4, 10, minute, tzinfo=dt.UTC)


def read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# the mail


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_render_notice_is_plain_utf8_with_the_house_headers() -> None:
    data = render_notice(NOTICE, SENDER, at(0), DOMAIN)
    message = parsed(data)
    assert message["To"] == "sagsbehandler@aalborg.dk"
    assert message["Subject"] == NOTICE.subject
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime == at(0)
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@aalborg.dk>")
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == NOTICE.body
    assert data.isascii()  # quoted-printable: passes relays without 8BITMIME


def test_message_id_depends_on_key_and_domain_only() -> None:
    def message_id(notice: Notice, minute: int, domain: str) -> str:
        return str(parsed(render_notice(notice, SENDER, at(minute), domain))["Message-ID"])

    first = message_id(NOTICE, 0, DOMAIN)
    changed = Notice(NOTICE.key, ("other@aalborg.dk",), "Andet emne", "Anden tekst")
    assert message_id(changed, 9, DOMAIN) == first
    assert message_id(Notice("filed:43", NOTICE.to, NOTICE.subject, NOTICE.body), 0, DOMAIN) != first
    assert message_id(NOTICE, 0, "rn.dk") != first


@pytest.mark.parametrize(
    "text",
    [
        "010190-1234",
        "0101901234",
        "010190 1234",
        "010190\u00a01234",
        "010190\u20131234",
        "cpr:010190-1234.",
        "(0101901234)",
    ],
)
@pytest.mark.parametrize("field", ["subject", "body", "key", "to"])
def test_a_cpr_shaped_number_anywhere_is_refused_without_repeating_it(text: str, field: str) -> None:
    values = {"key": "filed:42", "to": ("sagsbehandler@aalborg.dk",), "subject": "LÆ 125", "body": "Se sagen."}
    values[field] = (f"{text}@aalborg.dk",) if field == "to" else f"x {text} y"
    with pytest.raises(NoticeRefused) as caught:
        render_notice(Notice(**values), SENDER, at(0), DOMAIN)  # type: ignore[arg-type]
    digits = "".join(ch for ch in text if ch.isdigit())
    for shown in (str(caught.value), repr(caught.value), repr(caught.value.args), caught.value.key):
        assert "1234" not in shown and digits not in shown
    assert field in caught.value.reason


@pytest.mark.parametrize(
    "text",
    ["5790001234567", "tlf. 12345678", "27.12.08-G01-1234-22", "01-01-1990", "010190-xxxx", "12345678901"],
)
def test_numbers_that_are_not_cpr_shaped_pass(text: str) -> None:
    check_notice(Notice("filed:42", NOTICE.to, f"Sag {text}", f"Nummer {text}."))


@pytest.mark.parametrize(
    "notice",
    [
        Notice("", NOTICE.to, "LÆ 125", "x"),
        Notice("filed:42", (), "LÆ 125", "x"),
        Notice("filed:42", ("Sagsbehandler <s@aalborg.dk>",), "LÆ 125", "x"),
        Notice("filed:42", ("s@aalborg.dk\r\nBcc: x@evil.example",), "LÆ 125", "x"),
        Notice("filed:42", NOTICE.to, "LÆ 125\r\nBcc: x@evil.example", "x"),
    ],
)
def test_malformed_notices_are_refused(notice: Notice) -> None:
    with pytest.raises(NoticeRefused):
        render_notice(notice, SENDER, at(0), DOMAIN)


def test_render_notice_wants_an_aware_time_and_a_plain_domain() -> None:
    with pytest.raises(ValueError):
        render_notice(NOTICE, SENDER, dt.datetime(2025, 3, 4, 10, 0), DOMAIN)
    with pytest.raises(ValueError):
        render_notice(NOTICE, SENDER, at(0), "aalborg.dk>\r\nX: y")


# the outbox folder


def disk_full(_descriptor: int) -> None:
    """os.fsync on a full disk."""
    raise OSError(28, "No space left on device")


def outbox(folder: Path, minute: int = 0) -> OutboxFolderTransport:
    return OutboxFolderTransport(folder, SENDER, DOMAIN, clock=lambda: at(minute))


def test_the_outbox_is_a_notice_transport(tmp_path: Path) -> None:
    transport: NoticeTransport = outbox(tmp_path)
    assert transport is not None


async def test_a_notice_becomes_one_eml_file_in_a_folder_made_on_demand(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "notices"
    await outbox(folder).send(NOTICE)
    [written] = os.listdir(folder)
    assert written == "filed_3a42.eml"
    parsed = read(folder / written)
    assert parsed["Subject"] == NOTICE.subject and parsed["Auto-Submitted"] == "auto-generated"


async def test_sending_the_same_key_twice_leaves_one_unchanged_file(tmp_path: Path) -> None:
    await outbox(tmp_path, minute=0).send(NOTICE)
    first = (tmp_path / "filed_3a42.eml").read_bytes()
    await outbox(tmp_path, minute=5).send(NOTICE)
    await outbox(tmp_path, minute=6).send(Notice(NOTICE.key, NOTICE.to, "Ændret emne", "Ændret tekst"))
    assert os.listdir(tmp_path) == ["filed_3a42.eml"]
    assert (tmp_path / "filed_3a42.eml").read_bytes() == first


async def test_distinct_keys_give_distinct_files_even_when_they_look_alike(tmp_path: Path) -> None:
    keys = [
        "filed:42",
        "filed/42",
        "filed_42",
        "filed 42",
        "filed:42æ",
        "..",
        ".hidden",
        "../../etc/passwd",
        "x" * 400,
        "x" * 401,
    ]
    for key in keys:
        await outbox(tmp_path).send(Notice(key, NOTICE.to, "LÆ 125", "Se sagen."))
    names = sorted(os.listdir(tmp_path))
    assert len(names) == len(keys)
    for name in names:
        assert name.endswith(".eml") and not name.startswith(".") and len(name) <= 255
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # nothing written outside the folder
    assert safe_name("../../etc/passwd") == "_2e._2f.._2fetc_2fpasswd.eml"


async def test_no_temporary_file_is_left_after_writes(tmp_path: Path) -> None:
    for number in range(20):
        await outbox(tmp_path).send(Notice(f"filed:{number}", NOTICE.to, "LÆ 125", "Se sagen."))
    assert len(os.listdir(tmp_path)) == 20
    assert all(name.endswith(".eml") for name in os.listdir(tmp_path))


async def test_a_failed_write_leaves_neither_a_file_nor_a_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(TransportUnavailable) as caught:
        await outbox(tmp_path).send(NOTICE)
    assert "No space left on device" in str(caught.value)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    await outbox(tmp_path).send(NOTICE)  # and the retry succeeds
    assert os.listdir(tmp_path) == ["filed_3a42.eml"]


async def test_an_unusable_folder_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(TransportUnavailable):
        await outbox(blocker).send(NOTICE)


async def test_a_batch_writes_each_new_notice_and_names_each_refusal(tmp_path: Path) -> None:
    await outbox(tmp_path, minute=0).send(NOTICE)
    before = (tmp_path / "filed_3a42.eml").read_bytes()
    batch = [Notice(NOTICE.key, NOTICE.to, "Ændret emne", "Ændret tekst"),  # sent before: left as it is
             Notice("filed:43", NOTICE.to, "LÆ 125", "Borger 010190-1234"),  # refused
             Notice("filed:44", NOTICE.to, "LÆ 125", "Se sagen.")]
    failures = await outbox(tmp_path, minute=5).send_all(batch)
    assert failures[0] is None and failures[2] is None
    assert isinstance(failures[1], NoticeRefused) and "010190-1234" not in str(failures[1])
    assert sorted(os.listdir(tmp_path)) == ["filed_3a42.eml", "filed_3a44.eml"]
    assert (tmp_path / "filed_3a42.eml").read_bytes() == before
    assert read(tmp_path / "filed_3a44.eml")["Subject"] == "LÆ 125"


async def test_a_batch_that_cannot_be_made_durable_is_unavailable_for_each_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", disk_full)
    batch = [Notice(f"filed:{n}", NOTICE.to, "LÆ 125", "Se sagen.") for n in range(3)]
    failures = await outbox(tmp_path).send_all(batch)
    assert all(isinstance(f, TransportUnavailable) and "No space left on device" in str(f) for f in failures)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    assert await outbox(tmp_path).send_all(batch) == [None, None, None]  # and the retry succeeds
    assert len(os.listdir(tmp_path)) == 3


async def test_a_cpr_number_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    with pytest.raises(NoticeRefused) as caught:
        await outbox(folder).send(Notice("filed:42", NOTICE.to, "LÆ 125", "Borger 010190-1234"))
    assert "010190-1234" not in str(caught.value)
    assert not folder.exists()


def test_the_outbox_checks_its_sender_and_domain_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        OutboxFolderTransport(tmp_path, "no address", DOMAIN)
    with pytest.raises(ValueError):
        OutboxFolderTransport(tmp_path, SENDER, "not a domain!")
