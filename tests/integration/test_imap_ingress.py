"""ImapIngress against a real Dovecot on 127.0.0.1: pickup, settling, restarts, UIDVALIDITY, big mails, TLS, XOAUTH2."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import sys
import time
import tomllib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog

from robot.config_error import ConfigError
from robot.ingress.base import Received
from robot.ingress.imap import ImapIngress, ImapMailboxConfig
from robot.ingress.imap_client import encode_folder, sasl_xoauth2
from tests.dovecot import Account, Dovecot, running_dovecot

# a quote and a backslash: the password must stay out of aioimaplib's debug log and every error text
ROBOT = Account("lae-robot", 'Hest"Batteri\\Kode-7')
# Dovecot 2.3's XOAUTH2 mechanism compares the bearer token with the passdb password: this is the token
OAUTH = Account("lae-oauth", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJsYWUtb2F1dGgifQ.c2lnbmF0dXJl")
PASSWORD_ENV = "LAE_TEST_IMAP_PASSWORD"
ENVIRON = {PASSWORD_ENV: ROBOT.secret}
FILED, ESCALATED = "LAE/Journaliseret", "LÆ/Eskaleret"
ESCALATED_WIRE = "L&AMY-/Eskaleret"  # modified UTF-7, as the server names it


@dataclass
class FakeLedger:
    """The daemon's accept/outcome_of in miniature: ids by content (so deduplicated), outcomes set by the test."""

    ids: dict[str, int] = field(default_factory=dict)
    raw: dict[int, bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)
    refuse: bool = False

    async def accept(self, received: Received) -> int:
        if self.refuse:
            raise OSError(28, "No space left on device")
        self.received.append(received)
        message_id = self.ids.setdefault(hashlib.sha256(received.raw).hexdigest(), len(self.ids) + 1)
        self.raw[message_id] = received.raw
        return message_id

    async def outcome_of(self, message_id: int) -> str | None:
        return self.outcomes.get(message_id)

    def id_of(self, raw: bytes) -> int | None:
        return self.ids.get(hashlib.sha256(raw).hexdigest())

    def bytes_by_reference(self) -> dict[str, set[bytes]]:
        found: dict[str, set[bytes]] = {}
        for received in self.received:
            found.setdefault(received.source_ref, set()).add(received.raw)
        return found


def mail(number: int, padding: int = 0) -> bytes:
    """A mail with CRLF line ends (as IMAP hands them back); `padding` adds that many bytes of base64 lines."""
    head = (
        "From: Lægehuset <klinik@laege.dk>\r\nTo: jobcenter@kommune.dk\r\n"
        f"Subject: LÆ 125 nr. {number}\r\nMessage-ID: <{number}.{time.monotonic_ns()}@laege.dk>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode()
    body = b"Hermed statusattest.\r\n"
    if padding:
        chunk = base64.b64encode(hashlib.sha256(str(number).encode()).digest() * 2)[:76] + b"\r\n"
        body += chunk * (padding // len(chunk) + 1)
    return head + body


def config(server: Dovecot, **options: Any) -> ImapMailboxConfig:
    defaults = {"security": "plain", "port": server.port, "username": ROBOT.name, "filed_folder": FILED,
                "escalated_folder": ESCALATED, "timeout_seconds": 5, "poll_seconds": 30,
                "busy_check_seconds": 0}  # these tests watch IDLE itself; busy checks are tested on their own  # fmt: skip
    if options.get("auth", "login") == "login":
        defaults["password_env"] = PASSWORD_ENV
    return ImapMailboxConfig(host=server.host, **{**defaults, **options})


def ingress(server: Dovecot, ledger: FakeLedger, *, environ: dict[str, str] = ENVIRON, **options: Any) -> ImapIngress:
    return ImapIngress("tunnel", config(server, **options), ledger.accept, ledger.outcome_of, environ=environ)


async def eventually(check: Callable[[], Any], seconds: float = 10.0, what: str = "the condition") -> Any:
    """Poll `check` until it returns something true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(watcher: ImapIngress) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(watcher.run())
    try:
        yield task
    finally:
        watcher.stop()
        await asyncio.wait_for(task, 10)


async def append(server: Dovecot, raw: bytes, folder: str = "INBOX", account: Account = ROBOT) -> int:
    return await asyncio.to_thread(server.append, raw, folder, account)


async def messages(server: Dovecot, folder: str = "INBOX", account: Account = ROBOT) -> list[bytes]:
    return await asyncio.to_thread(server.messages, folder, account)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot((ROBOT, OAUTH)) as server:
        yield server


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


# pickup

DOVECOT_IDLE_DELAY = 0.5  # Dovecot holds IDLE news back this long after a change (NOTIFY_DELAY_MSECS)


async def test_a_mail_after_new_mail_is_seen_without_waiting_for_idle(dovecot: Dovecot, ledger: FakeLedger) -> None:
    """While the mailbox is busy the watcher asks with NOOP, so it sees a mail sooner than Dovecot's IDLE says so;
    once busy_seconds pass without new mail it waits in IDLE again."""
    watcher = ingress(dovecot, ledger, busy_check_seconds=0.02, busy_seconds=3)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE before any mail")
        await append(dovecot, mail(0))
        await eventually(lambda: len(ledger.received) == 1, what="the first mail (announced by IDLE)")
        pickups = []
        for number in range(1, 6):
            started = time.monotonic()
            await append(dovecot, mail(number))
            await eventually(lambda: len(ledger.received) == number + 1, what=f"mail {number}")
            pickups.append(time.monotonic() - started)
            assert not watcher.idling
        await eventually(lambda: watcher.idling, seconds=10.0, what="IDLE again once the mailbox is quiet")
    assert sorted(pickups)[2] < DOVECOT_IDLE_DELAY * 0.9, pickups


async def test_with_busy_checks_off_a_new_mail_waits_for_idle(dovecot: Dovecot, ledger: FakeLedger) -> None:
    """busy_check_seconds = 0: after a mail the watcher IDLEs at once, and Dovecot's delay shows."""
    watcher = ingress(dovecot, ledger, busy_check_seconds=0)
    async with running(watcher):
        await append(dovecot, mail(0))
        await eventually(lambda: len(ledger.received) == 1 and watcher.idling, what="the first mail, then IDLE")
        started = time.monotonic()
        await append(dovecot, mail(1))
        await eventually(lambda: len(ledger.received) == 2, what="the second mail")
        assert time.monotonic() - started >= DOVECOT_IDLE_DELAY


async def test_a_mail_appended_during_idle_is_accepted_within_two_seconds(dovecot: Dovecot, ledger: FakeLedger) -> None:
    watcher = ingress(dovecot, ledger)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE")
        raw = mail(1)
        started = time.monotonic()
        uid = await append(dovecot, raw)
        await eventually(lambda: ledger.received, seconds=2.0, what="pickup in IDLE")
        assert time.monotonic() - started < 2.0
        await eventually(lambda: watcher.idling, what="IDLE again after the sweep")
    [received] = ledger.received
    assert received.raw == raw
    assert (received.source, received.mailbox) == ("imap", "tunnel")
    assert received.source_ref == f"imap:tunnel:INBOX:{dovecot.uidvalidity()}:{uid}"
    assert await messages(dovecot) == [raw]  # still there: nothing is moved before its outcome is committed
    assert "\\Seen" not in dovecot.flags()[0]  # BODY.PEEK[]: the mail looks unread to the people using the box
    assert not watcher.connected


async def test_without_idle_a_mail_is_picked_up_by_polling(dovecot: Dovecot, ledger: FakeLedger) -> None:
    watcher = ingress(dovecot, ledger, idle=False, poll_seconds=0.3)
    async with running(watcher):
        await eventually(lambda: watcher.connected, what="connect")
        raw = mail(1)
        await append(dovecot, raw)
        await eventually(lambda: ledger.received, seconds=3.0, what="pickup by polling")
        assert not watcher.idling
    assert [r.raw for r in ledger.received] == [raw]


async def test_poll_once_picks_up_mails_without_run(dovecot: Dovecot, ledger: FakeLedger) -> None:
    first, second = mail(1), mail(2)
    await append(dovecot, first)
    await append(dovecot, second)
    watcher = ingress(dovecot, ledger)
    await watcher.poll_once()
    assert [r.raw for r in ledger.received] == [first, second]  # ascending UIDs
    assert watcher.connected and watcher.last_error is None
    await watcher.poll_once()  # known UIDs are not fetched again
    assert len(ledger.received) == 2
    watcher.stop()
    assert not watcher.connected


async def test_poll_once_while_run_idles_ends_the_idle_and_both_carry_on(dovecot: Dovecot, ledger: FakeLedger) -> None:
    watcher = ingress(dovecot, ledger)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE")
        raws = [mail(n) for n in range(3)]
        for raw in raws:
            await append(dovecot, raw)
        await asyncio.gather(*(watcher.poll_once() for _ in range(3)))
        await eventually(lambda: len(ledger.ids) == 3, what="all three accepted")
        await eventually(lambda: watcher.idling, what="IDLE again")
        assert watcher.last_error is None
    assert sorted(ledger.raw.values()) == sorted(raws)
    assert all(len(found) == 1 for found in ledger.bytes_by_reference().values())


# settling


async def test_settle_moves_filed_and_escalated_mails_to_their_folders(dovecot: Dovecot, ledger: FakeLedger) -> None:
    filed, escalated, waiting = mail(1), mail(2), mail(3)
    for raw in (filed, escalated, waiting):
        await append(dovecot, raw)
    watcher = ingress(dovecot, ledger)
    await watcher.poll_once()
    assert await messages(dovecot) == [filed, escalated, waiting]
    for raw, outcome in ((filed, "filed"), (escalated, "escalated")):
        message_id = ledger.id_of(raw)
        assert message_id is not None
        ledger.outcomes[message_id] = outcome
        await watcher.settle(message_id, outcome)
    assert await messages(dovecot) == [waiting]
    assert await messages(dovecot, FILED) == [filed]
    assert await messages(dovecot, ESCALATED_WIRE) == [escalated]
    await watcher.settle(ledger.id_of(filed) or 0, "filed")  # again: nothing left to move, no error
    assert watcher.last_error is None
    watcher.stop()


async def test_the_outcome_folders_are_created_when_missing(dovecot: Dovecot, ledger: FakeLedger) -> None:
    assert dovecot.folders() == {"INBOX"}
    watcher = ingress(dovecot, ledger)
    await watcher.poll_once()
    assert {FILED, ESCALATED_WIRE} <= dovecot.folders()
    assert encode_folder(ESCALATED) == ESCALATED_WIRE
    watcher.stop()
    again = ingress(dovecot, ledger)  # existing folders are used as they are
    await again.poll_once()
    assert again.last_error is None
    again.stop()


async def test_a_mail_whose_outcome_is_known_moves_on_the_first_sweep_of_a_new_ingress(
    dovecot: Dovecot, ledger: FakeLedger
) -> None:
    """A crash between commit and move: the next ingress finds the outcome through outcome_of."""
    raw = mail(1)
    await append(dovecot, raw)
    crashed = ingress(dovecot, ledger)
    await crashed.poll_once()
    message_id = ledger.id_of(raw)
    assert message_id is not None
    crashed.stop()  # gone before settle() was called
    ledger.outcomes[message_id] = "filed"  # ... though the outcome was committed

    restarted = ingress(dovecot, ledger)
    await restarted.poll_once()
    assert await messages(dovecot) == []
    assert await messages(dovecot, FILED) == [raw]
    assert [r.raw for r in ledger.received] == [raw, raw]  # accepted twice, the same bytes: the ledger dedups
    restarted.stop()


async def test_a_refused_accept_leaves_the_mail_for_the_next_sweep(dovecot: Dovecot, ledger: FakeLedger) -> None:
    raw = mail(1)
    await append(dovecot, raw)
    watcher = ingress(dovecot, ledger)
    ledger.refuse = True
    await watcher.poll_once()
    assert watcher.last_error is not None and "No space left" in watcher.last_error
    assert await messages(dovecot) == [raw]
    ledger.refuse = False
    await watcher.poll_once()
    assert [r.raw for r in ledger.received] == [raw]
    assert watcher.last_error is None
    watcher.stop()


# failures of the server


async def test_after_a_server_restart_the_ingress_reconnects_and_loses_nothing(
    dovecot: Dovecot, ledger: FakeLedger
) -> None:
    watcher = ingress(dovecot, ledger)
    before, after = mail(1), mail(2)
    async with running(watcher):
        await eventually(lambda: watcher.idling, what="IDLE")
        await append(dovecot, before)
        await eventually(lambda: ledger.id_of(before), what="the first mail accepted")
        await eventually(lambda: watcher.idling, what="IDLE")

        await asyncio.to_thread(dovecot.stop)
        await eventually(lambda: not watcher.connected, what="noticing the server is gone")
        await asyncio.to_thread(dovecot.start)
        await append(dovecot, after)
        await eventually(lambda: ledger.id_of(after), seconds=15, what="the mail sent after the restart accepted")
        assert watcher.connected

        for raw in (before, after):
            message_id = ledger.id_of(raw)
            assert message_id is not None
            ledger.outcomes[message_id] = "filed"
            await watcher.settle(message_id, "filed")
        await eventually(lambda: watcher.idling, what="IDLE after settling")
    assert sorted(await messages(dovecot, FILED)) == sorted([before, after])  # each exactly once
    assert await messages(dovecot) == []
    assert all(len(found) == 1 for found in ledger.bytes_by_reference().values())  # one reference, one content
    assert set(ledger.raw.values()) == {before, after}


async def test_a_uidvalidity_change_rereads_the_folder_and_an_old_uid_moves_nothing(
    dovecot: Dovecot, ledger: FakeLedger
) -> None:
    folder = "LAE/Indbakke"
    dovecot.create(folder)
    a, b = mail(1), mail(2)
    await append(dovecot, a, folder)
    watcher = ingress(dovecot, ledger, folder=folder)
    await watcher.poll_once()
    old_uidvalidity = watcher.uidvalidity
    message_a = ledger.id_of(a)
    assert message_a is not None and ledger.received[0].source_ref.endswith(f":{old_uidvalidity}:1")

    # the folder is rebuilt: the same UIDs now name other mails (B is UID 1)
    dovecot.delete(folder)
    dovecot.create(folder)
    assert await append(dovecot, b, folder) == 1
    assert await append(dovecot, a, folder) == 2
    assert dovecot.uidvalidity(folder) != old_uidvalidity

    ledger.outcomes[message_a] = "filed"
    await watcher.settle(message_a, "filed")  # A was UID 1 under the old UIDVALIDITY: B must stay
    assert await messages(dovecot, folder) == [b, a]
    assert await messages(dovecot, FILED) == []

    async def reread() -> bool:
        await watcher.poll_once()
        return await messages(dovecot, FILED) == [a]

    deadline = time.monotonic() + 10
    while not await reread():
        assert time.monotonic() < deadline, watcher.last_error
    assert watcher.uidvalidity == dovecot.uidvalidity(folder) != old_uidvalidity
    assert await messages(dovecot, folder) == [b]
    references = {r.source_ref for r in ledger.received}
    assert f"imap:tunnel:{folder}:{watcher.uidvalidity}:1" in references  # B, read under the new UIDVALIDITY
    assert f"imap:tunnel:{folder}:{watcher.uidvalidity}:2" in references  # A again, deduplicated
    assert all(len(found) == 1 for found in ledger.bytes_by_reference().values())
    watcher.stop()


async def test_a_25_mb_mail_arrives_intact(dovecot: Dovecot, ledger: FakeLedger) -> None:
    raw = mail(1, padding=25 * 1024 * 1024)
    await append(dovecot, raw)
    watcher = ingress(dovecot, ledger, timeout_seconds=5)
    await watcher.poll_once()
    assert watcher.last_error is None
    [received] = ledger.received
    assert len(received.raw) == len(raw) and received.raw == raw
    watcher.stop()


@pytest.mark.parametrize("capabilities", ["IMAP4rev1 LITERAL+ UIDPLUS", "IMAP4rev1 LITERAL+"], ids=["uidplus", "bare"])
async def test_without_idle_and_move_the_ingress_polls_and_copies(capabilities: str, ledger: FakeLedger) -> None:
    """A server announcing neither IDLE nor MOVE: polling, and UID COPY + STORE \\Deleted + (UID) EXPUNGE."""
    with running_dovecot((ROBOT,), capabilities=capabilities) as server:
        watcher = ingress(server, ledger, poll_seconds=0.3)
        keep, move = mail(1), mail(2)
        await append(server, keep)
        async with running(watcher):
            await eventually(lambda: watcher.connected, what="connect")
            await append(server, move)
            await eventually(lambda: ledger.id_of(move), seconds=3, what="pickup by polling")
            assert not watcher.idling
            message_id = ledger.id_of(move) or 0
            ledger.outcomes[message_id] = "escalated"
            await watcher.settle(message_id, "escalated")
            assert watcher.last_error is None
        assert await messages(server) == [keep]
        assert await messages(server, ESCALATED_WIRE) == [move]


async def test_stop_ends_run_promptly(dovecot: Dovecot, ledger: FakeLedger) -> None:
    watcher = ingress(dovecot, ledger)
    task = asyncio.create_task(watcher.run())
    await eventually(lambda: watcher.idling, what="IDLE")
    started = time.monotonic()
    watcher.stop()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 1.0
    assert not watcher.connected and not watcher.idling


# TLS


async def test_implicit_tls_with_a_private_ca(ledger: FakeLedger) -> None:
    with running_dovecot((ROBOT,), tls=True) as server:
        assert server.tls is not None and server.tls_port is not None
        raw = mail(1)
        await append(server, raw)
        watcher = ingress(server, ledger, security="tls", port=server.tls_port, ca_file=server.tls.ca_file)
        await watcher.poll_once()
        assert watcher.last_error is None
        assert [r.raw for r in ledger.received] == [raw]
        watcher.stop()

        untrusted = ingress(server, ledger, security="tls", port=server.tls_port)  # the system's roots only
        await untrusted.poll_once()
        assert untrusted.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in untrusted.last_error
        assert not untrusted.connected

        # plain IMAP to the TLS port: both sides wait for the other (aioimaplib would hang); bounded here
        mismatch = ingress(server, ledger, port=server.tls_port, timeout_seconds=1)
        started = time.monotonic()
        await mismatch.poll_once()
        assert time.monotonic() - started < 3
        assert mismatch.last_error is not None and "connect" in mismatch.last_error
        assert len(ledger.received) == 1


# XOAUTH2


def token_script(folder: Path, *tokens: str) -> tuple[list[str], Path]:
    """A token command printing `tokens` one per run (the last one from then on); it counts its runs."""
    runs = folder / "runs"
    script = folder / "token.py"
    script.write_text(
        "import pathlib, sys\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "n = len(runs.read_text()) if runs.exists() else 0\n"
        "runs.write_text('x' * (n + 1))\n"
        f"tokens = {list(tokens)!r}\n"
        "print(tokens[min(n, len(tokens) - 1)])\n"
    )
    return [sys.executable, str(script)], runs


def runs_of(runs: Path) -> int:
    return len(runs.read_text()) if runs.exists() else 0


async def test_xoauth2_uses_the_token_command_and_retries_a_refused_token(
    dovecot: Dovecot, ledger: FakeLedger, tmp_path: Path
) -> None:
    """A stand-in, because Microsoft 365 cannot be reached here: Dovecot's XOAUTH2 mechanism checks the bearer
    token against its passdb like a password, where Microsoft validates an Entra ID access token. What is
    real: the token command is run on every connect, its output goes into the SASL string in the documented
    format (checked byte for byte below), a refused token is answered as XOAUTH2 requires (an empty response
    to the error challenge; aioimaplib would hang) and replaced once by a fresh one."""
    sasl = base64.b64decode(sasl_xoauth2("robot@kommune.dk", "tok"))
    assert sasl == b"user=robot@kommune.dk\x01auth=Bearer tok\x01\x01"
    raw = mail(1)
    await append(dovecot, raw, account=OAUTH)
    command, runs = token_script(tmp_path, "expired-token", OAUTH.secret)
    watcher = ingress(dovecot, ledger, auth="xoauth2", username=OAUTH.name, token_command=tuple(command), environ={})
    with structlog.testing.capture_logs() as logs:
        await watcher.poll_once()
    assert watcher.last_error is None and watcher.connected
    assert runs_of(runs) == 2  # the expired token, then a fresh one on the same connection
    assert [r.raw for r in ledger.received] == [raw]
    assert any(entry["event"] == "imap_token_refused" for entry in logs)
    watcher.stop()
    await watcher.poll_once()  # stopped: nothing happens
    fresh = ingress(dovecot, ledger, auth="xoauth2", username=OAUTH.name, token_command=tuple(command), environ={})
    await fresh.poll_once()  # a new connection runs the command again
    assert runs_of(runs) == 3 and fresh.last_error is None
    fresh.stop()


async def test_a_token_that_stays_refused_fails_fast_and_never_shows(
    dovecot: Dovecot, ledger: FakeLedger, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Mock of Microsoft 365 as above."""
    caplog.set_level(logging.DEBUG, logger="aioimaplib")
    command, runs = token_script(tmp_path, "revoked-token-0123456789")
    watcher = ingress(dovecot, ledger, auth="xoauth2", username=OAUTH.name, token_command=tuple(command), environ={})
    with structlog.testing.capture_logs() as logs:
        await watcher.poll_once()
    assert runs_of(runs) == 2
    # the server's NO was read: the error challenge was answered, not left waiting for the timeout
    assert watcher.last_error is not None and "AUTHENTICATE XOAUTH2: NO" in watcher.last_error
    secrets = ["revoked-token-0123456789", sasl_xoauth2(OAUTH.name, "revoked-token-0123456789")]
    for text in (watcher.last_error, repr(logs), caplog.text):
        assert not any(secret in text for secret in secrets)


async def test_a_failing_token_command_is_reported(dovecot: Dovecot, ledger: FakeLedger, tmp_path: Path) -> None:
    script = tmp_path / "fail.py"
    script.write_text("import sys, time\nsys.stderr.write('AADSTS700082: refresh token expired')\nsys.exit(3)\n")
    watcher = ingress(dovecot, ledger, auth="xoauth2", username=OAUTH.name,
                      token_command=(sys.executable, str(script)), environ={})  # fmt: skip
    await watcher.poll_once()
    assert watcher.last_error is not None and "status 3" in watcher.last_error and "AADSTS700082" in watcher.last_error
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(30)\n")
    stuck = ingress(dovecot, ledger, auth="xoauth2", username=OAUTH.name, timeout_seconds=0.5,
                    token_command=(sys.executable, str(slow)), environ={})  # fmt: skip
    started = time.monotonic()
    await stuck.poll_once()
    assert time.monotonic() - started < 3
    assert stuck.last_error is not None and "within 0.5 s" in stuck.last_error


# secrets and settings


async def test_the_password_never_appears_in_logs_or_errors(
    dovecot: Dovecot, ledger: FakeLedger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioimaplib")
    wrong = 'Forkert"Kode\\ord-9'
    with structlog.testing.capture_logs() as logs:
        good = ingress(dovecot, ledger)
        await good.poll_once()
        assert good.connected
        good.stop()
        bad = ingress(dovecot, ledger, environ={PASSWORD_ENV: wrong})
        await bad.poll_once()
    assert bad.last_error is not None and "LOGIN: NO" in bad.last_error
    assert "LOGIN" in caplog.text  # aioimaplib did log the command, scrubbed
    for secret in (ROBOT.secret, wrong, "Batteri", "Kode\\ord"):
        for text in (bad.last_error, repr(logs), caplog.text, repr(good), repr(bad)):
            assert secret not in text


def test_example_table_reads_with_defaults(tmp_path: Path) -> None:
    table = tomllib.loads(
        '[ingress.imap.tunnel]\nhost = "imap.kommune.dk"\nusername = "lae-robot@kommune.dk"\n'
        'password_env = "LAE_IMAP_TUNNEL_PASSWORD"\n'
    )["ingress"]["imap"]["tunnel"]
    read = ImapMailboxConfig.from_table("tunnel", table, "robot.toml")
    assert (read.port, read.security, read.auth, read.folder, read.idle) == (993, "tls", "login", "INBOX", True)
    assert (read.filed_folder, read.escalated_folder) == ("LAE/Journaliseret", "LAE/Eskaleret")
    assert (read.idle_renew_seconds, read.timeout_seconds, read.poll_seconds, read.reconnect_max_seconds) == (
        1500, 30, 60, 300)  # fmt: skip
    oauth = ImapMailboxConfig.from_table("secure", {"host": "outlook.office365.com", "username": "lae@kommune.dk",
                                                    "auth": "xoauth2", "token_command": "lae-token --tenant 'x y'"},
                                         "robot.toml")  # fmt: skip
    assert oauth.token_command == ("lae-token", "--tenant", "x y")


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"security": "plain"}, "ingress.imap.tunnel.security", "loopback"),
        ({"colour": "blue"}, "ingress.imap.tunnel.colour", "no such setting"),
        ({"idle_renew_seconds": 29 * 60}, "ingress.imap.tunnel.idle_renew_seconds", "below 1740"),
        ({"port": "993"}, "ingress.imap.tunnel.port", "a port number"),
        ({"auth": "xoauth2"}, "ingress.imap.tunnel.token_command", "command line"),
        ({"password_env": None}, "ingress.imap.tunnel.password_env", "environment variable"),
        ({"filed_folder": "INBOX"}, "ingress.imap.tunnel.filed_folder", "must differ"),
        ({"escalated_folder": "LAE/*"}, "ingress.imap.tunnel.escalated_folder", "folder name"),
        ({"ca_file": "/nonexistent/ca.pem"}, "ingress.imap.tunnel.ca_file", "not a file"),
        ({"username": None}, "ingress.imap.tunnel.username", "required"),
        ({"trusted_channel": "yes"}, "ingress.imap.tunnel.trusted_channel", "true or false"),
    ],
)
def test_settings_errors_name_the_key(table: dict[str, Any], key: str, words: str) -> None:
    full = {"host": "imap.kommune.dk", "username": "lae", "password_env": "LAE_PW", **table}
    full = {name: value for name, value in full.items() if value is not None}
    with pytest.raises(ConfigError) as raised:
        ImapMailboxConfig.from_table("tunnel", full, "robot.toml")
    assert raised.value.key == key and raised.value.file == "robot.toml"
    assert words in raised.value.expected
    assert str(raised.value).startswith(f"robot.toml: {key}: ")


def test_plain_is_allowed_towards_loopback_and_a_missing_password_is_named() -> None:
    plain = ImapMailboxConfig(host="127.0.0.1", username="lae", security="plain", port=143, password_env="LAE_PW")
    with pytest.raises(ConfigError) as raised:
        ImapIngress("tunnel", plain, FakeLedger().accept, FakeLedger().outcome_of, environ={})
    assert raised.value.key == "ingress.imap.password_env" and "LAE_PW is not set" in raised.value.expected
