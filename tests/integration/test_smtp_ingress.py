"""SmtpIngress against real SMTP clients on 127.0.0.1: exact bytes, 250 only after accept, refusals, TLS, AUTH, limits."""

from __future__ import annotations

import asyncio
import base64
import socket
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from structlog.testing import capture_logs

from robot.config_error import ConfigError
from robot.ingress.base import Received
from robot.ingress.smtp import SmtpIngress, SmtpListenerConfig
from tests.certificates import Certificate, make_certificate

HOST = "127.0.0.1"
INBOX = "lae@aalborg.dk"
SENDER = "attest@rn.dk"
USERS_ENV = "LAE_TEST_SMTP_USERS"
USERS = {USERS_ENV: "region-nord:Korrekt-Hest-Batteri-7, region-midt:Andet:kodeord"}
MESSAGE = (
    "From: Region Nordjylland <attest@rn.dk>\r\n"
    "To: lae@aalborg.dk\r\n"
    "Subject: LÆ 125 statusattest\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Borger: Søren Ærø, født 1. maj.\r\n"
    ".en linje der starter med punktum\r\n"
    "..og en med to\r\n"
    ".\tog punktum plus tab\r\n"
    "Venlig hilsen\r\n"
).encode()


# ------------------------------------------------------------------ helpers


@dataclass
class Ledger:
    """The accept callback: records what it got; may wait for a gate, or fail."""

    received: list[Received] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail: BaseException | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    returned: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: bool = False

    async def accept(self, received: Received) -> int:
        self.started.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.fail is not None:
            raise self.fail
        self.received.append(received)
        self.returned.set()
        return len(self.received)


def listener(**options: Any) -> SmtpListenerConfig:
    options.setdefault("accept_recipients", (INBOX, "@kommune.dk"))
    options.setdefault("timeout_seconds", 5.0)
    return SmtpListenerConfig(host=HOST, port=0, name="regioner", **options)


@asynccontextmanager
async def running(ledger: Ledger, environ: dict[str, str] | None = None, **options: Any) -> AsyncIterator[SmtpIngress]:
    ingress = SmtpIngress(listener(**options), ledger.accept, environ=environ or {})
    await ingress.start()
    try:
        yield ingress
    finally:
        await ingress.stop(deadline_seconds=2)


def client(port: int, **options: Any) -> aiosmtplib.SMTP:
    options.setdefault("start_tls", False)
    return aiosmtplib.SMTP(hostname=HOST, port=port, timeout=5, local_hostname="mx.rn.dk", **options)


async def send(port: int, message: bytes = MESSAGE, to: str = INBOX, **options: Any) -> aiosmtplib.SMTPResponse:
    async with client(port, **options) as smtp:
        await smtp.mail(SENDER)
        await smtp.rcpt(to)
        return await smtp.data(message)


class Raw:
    """A line-by-line SMTP conversation over a plain socket, for what a library client will not send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Raw:
        return cls(*await asyncio.open_connection(HOST, port))

    async def reply(self) -> str:
        lines = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 5)).decode()
            lines.append(line.rstrip("\r\n"))
            if len(line) < 4 or line[3] != "-":
                return "\n".join(lines)

    async def command(self, line: bytes) -> str:
        self.writer.write(line + b"\r\n")
        return await self.reply()

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 5) == b""

    def close(self) -> None:
        self.writer.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


async def within(seconds: float, condition: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), seconds)


async def finishes(awaitable: Awaitable[Any]) -> Any:
    return await asyncio.wait_for(awaitable, 5)


# ------------------------------------------------------------------ delivery


async def test_accept_gets_the_exact_bytes_the_sender_and_the_listener() -> None:
    ledger = Ledger()
    async with running(ledger) as ingress:
        response = await send(ingress.port)

    assert response.code == 250 and response.message.startswith("2.0.0 OK queued as ")
    [received] = ledger.received
    assert received.raw == MESSAGE  # dot-stuffed on the wire by the client, unstuffed again; 8-bit UTF-8 intact
    assert received.source == "smtp"
    assert received.mailbox == "regioner"
    assert received.envelope_sender == SENDER
    queue_id = response.message.rsplit(" ", 1)[1]
    assert received.source_ref == f"smtp:regioner:{queue_id}"


async def test_dots_and_bare_line_feeds_on_the_wire() -> None:
    """Only CRLF "." CRLF ends the data: a bare-LF dot (SMTP smuggling) stays data; leading dots are unstuffed."""
    ledger = Ledger()
    async with running(ledger) as ingress:
        raw = await Raw.connect(ingress.port)
        await raw.reply()
        assert (await raw.command(b"EHLO mx.rn.dk")).startswith("250")
        assert (await raw.command(b"MAIL FROM:<attest@rn.dk>")).startswith("250")
        assert (await raw.command(b"RCPT TO:<lae@aalborg.dk>")).startswith("250")
        assert (await raw.command(b"DATA")).startswith("354")
        body = b"Subject: a\r\n\r\n..one dot\r\n...two dots\r\nbare\n.\nMAIL FROM:<x@evil.example>\n.\r\nend\r\n"
        reply = await raw.command(body + b".")  # command() ends the line
        assert reply.startswith("250 2.0.0")
        assert (await raw.command(b"QUIT")).startswith("221")
        raw.close()

    [received] = ledger.received
    assert (
        received.raw == b"Subject: a\r\n\r\n.one dot\r\n..two dots\r\nbare\n.\nMAIL FROM:<x@evil.example>\n.\r\nend\r\n"
    )


async def test_the_client_hears_250_only_after_accept_returned() -> None:
    ledger = Ledger(gate=asyncio.Event())
    async with running(ledger) as ingress:
        sending = asyncio.create_task(send(ingress.port))
        await finishes(ledger.started.wait())
        await asyncio.sleep(0.3)  # the commit is slow: the client must still be waiting
        assert not sending.done()
        assert not ledger.returned.is_set()

        ledger.gate.set()  # type: ignore[union-attr]
        response = await finishes(sending)
        assert ledger.returned.is_set()
    assert response.code == 250
    assert len(ledger.received) == 1


async def test_null_sender_is_kept_as_angle_brackets() -> None:
    """MAIL FROM:<> arrives as "<>", not "": an empty sender would skip the envelope check in the trust rules."""
    ledger = Ledger()
    async with running(ledger) as ingress, client(ingress.port) as smtp:
        await smtp.mail("")
        await smtp.rcpt(INBOX)
        await smtp.data(MESSAGE)
    assert ledger.received[0].envelope_sender == "<>"


# ------------------------------------------------------------------ failures to store


async def test_accept_failing_is_answered_451_and_the_client_can_retry() -> None:
    ledger = Ledger(fail=OSError("database is locked for 010203-1234"))
    with capture_logs() as logs:
        async with running(ledger) as ingress, client(ingress.port) as smtp:
            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await smtp.data(MESSAGE)
            assert refused.value.code == 451
            assert "try again later" in refused.value.message

            ledger.fail = None  # the ledger is back: the same session delivers the retry
            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            response = await smtp.data(MESSAGE)
    assert response.code == 250
    assert [r.raw for r in ledger.received] == [MESSAGE]
    [failed] = [entry for entry in logs if entry["event"] == "smtp_commit_failed"]
    assert "010203-xxxx" in failed["error"] and "010203-1234" not in repr(logs)


async def test_accept_cancelled_from_elsewhere_is_451_too() -> None:
    ledger = Ledger(fail=asyncio.CancelledError())
    async with running(ledger) as ingress:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await send(ingress.port)
    assert refused.value.code == 451


# ------------------------------------------------------------------ relay


async def test_only_configured_recipients_are_accepted() -> None:
    ledger = Ledger()
    async with running(ledger) as ingress, client(ingress.port) as smtp:
        await smtp.mail(SENDER)
        for foreign in ("someone@gmail.com", "lae@aalborg.dk.evil.example", "x@sub.kommune.dk", "other@aalborg.dk"):
            with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
                await smtp.rcpt(foreign)
            assert (refused.value.code, refused.value.message) == (550, "5.7.1 relaying denied")
        assert (await smtp.rcpt("LAE@Aalborg.DK")).code == 250  # exact address, any case
        assert (await smtp.rcpt("jobcenter@KOMMUNE.dk")).code == 250  # "@kommune.dk": any address there
        await smtp.data(MESSAGE)
    assert len(ledger.received) == 1


async def test_data_without_an_accepted_recipient_is_refused() -> None:
    ledger = Ledger()
    async with running(ledger) as ingress:
        raw = await Raw.connect(ingress.port)
        await raw.reply()
        await raw.command(b"EHLO mx.rn.dk")
        await raw.command(b"MAIL FROM:<attest@rn.dk>")
        assert (await raw.command(b"RCPT TO:<a@gmail.com>")).startswith("550 5.7.1")
        assert (await raw.command(b"DATA")).startswith("503")
        raw.close()
    assert ledger.received == []


# ------------------------------------------------------------------ size


async def test_too_big_is_552_and_the_session_stays_usable() -> None:
    ledger = Ledger()
    big = MESSAGE + b"x" * 70 + b"\r\n"
    big = big * (4096 // len(big) + 1)
    async with running(ledger, max_message_bytes=4096) as ingress:
        async with client(ingress.port) as smtp:
            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await smtp.data(big)
            assert refused.value.code == 552

            with pytest.raises(aiosmtplib.SMTPSenderRefused) as declared:  # a declared SIZE is refused up front
                await smtp.mail(SENDER, options=["SIZE=5000"])
            assert declared.value.code == 552

            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            assert (await smtp.data(MESSAGE)).code == 250
        assert (await send(ingress.port)).code == 250  # and a new session too
    assert [r.raw for r in ledger.received] == [MESSAGE, MESSAGE]


async def test_a_line_over_the_rfc_limit_is_refused_after_the_data() -> None:
    ledger = Ledger()
    async with running(ledger) as ingress, client(ingress.port) as smtp:
        await smtp.mail(SENDER)
        await smtp.rcpt(INBOX)
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await smtp.data(b"Subject: long\r\n\r\n" + b"y" * 5000 + b"\r\n")
        assert refused.value.code == 500
        await smtp.mail(SENDER)
        await smtp.rcpt(INBOX)
        assert (await smtp.data(b"Subject: ok\r\n\r\n" + b"y" * 998 + b"\r\n")).code == 250


async def test_many_short_lines_do_not_multiply_memory() -> None:
    """Upstream aiosmtpd keeps one bytearray per line: empty lines cost about 85 times their size there."""
    ledger = Ledger()
    body = b"Subject: blank\r\n\r\n" + b"\r\n" * (64 * 1024)
    async with running(ledger, max_message_bytes=4 * 1024 * 1024) as ingress:
        raw = await Raw.connect(ingress.port)  # sent as one prepared buffer: the client allocates nothing per line
        await raw.reply()
        for line in (b"EHLO mx.rn.dk", b"MAIL FROM:<attest@rn.dk>", b"RCPT TO:<lae@aalborg.dk>", b"DATA"):
            await raw.command(line)
        payload = body + b".\r\n"
        tracemalloc.start()
        try:
            raw.writer.write(payload)
            reply = await raw.reply()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        raw.close()
    assert reply.startswith("250 ")
    assert ledger.received[0].raw == body
    assert peak < 10 * len(body)  # a buffer and a copy (+ fixed costs), not an object per line (upstream: ~85 times)


async def test_a_slow_but_steady_data_outlasts_the_timeout_and_a_silent_one_does_not() -> None:
    ledger = Ledger()
    async with running(ledger, timeout_seconds=0.4) as ingress:
        raw = await Raw.connect(ingress.port)
        await raw.reply()
        for line in (b"EHLO mx.rn.dk", b"MAIL FROM:<attest@rn.dk>", b"RCPT TO:<lae@aalborg.dk>", b"DATA"):
            await raw.command(line)
        raw.writer.write(b"Subject: slow link\r\n\r\n")
        for n in range(8):  # 1.2 s in all, three times the timeout, never silent for longer than 0.15 s
            await asyncio.sleep(0.15)
            raw.writer.write(b"line %d\r\n" % n)
        assert (await raw.command(b".")).startswith("250 ")

        silent = await Raw.connect(ingress.port)
        await silent.reply()
        assert await silent.closed()  # dropped after 0.4 s without a word
        for session in (raw, silent):
            session.close()
    assert ledger.received[0].raw.endswith(b"line 7\r\n")


# ------------------------------------------------------------------ STARTTLS and AUTH


async def test_require_starttls_refuses_mail_before_starttls(certificate: Certificate) -> None:
    ledger = Ledger()
    tls = {"tls_cert": certificate.cert_file, "tls_key": certificate.key_file, "require_starttls": True}
    async with running(ledger, **tls) as ingress:
        async with client(ingress.port) as smtp:
            await smtp.ehlo()
            assert smtp.supports_extension("starttls")
            with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
                await smtp.mail(SENDER)
            assert refused.value.code == 530

        response = await send(ingress.port, start_tls=True, tls_context=certificate.client_context())
    assert response.code == 250
    assert ledger.received[0].raw == MESSAGE


async def test_commands_sent_along_with_starttls_are_dropped(certificate: Certificate) -> None:
    """Plain-text commands pipelined behind STARTTLS must not run inside the TLS session (CVE-2011-0411 style)."""
    ledger = Ledger()
    tls = {"tls_cert": certificate.cert_file, "tls_key": certificate.key_file}
    async with running(ledger, **tls) as ingress:
        raw = await Raw.connect(ingress.port)
        await raw.reply()
        await raw.command(b"EHLO mx.rn.dk")
        assert (await raw.command(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>")).startswith("220")
        await raw.writer.start_tls(certificate.client_context(), server_hostname=HOST)
        await raw.command(b"EHLO mx.rn.dk")
        assert (await raw.command(b"RCPT TO:<lae@aalborg.dk>")).startswith("503")  # no MAIL was given in TLS
        raw.close()


async def test_auth_is_required_and_checked(certificate: Certificate) -> None:
    ledger = Ledger()
    options = {"tls_cert": certificate.cert_file, "tls_key": certificate.key_file,
               "auth_required": True, "auth_users_env": USERS_ENV}  # fmt: skip
    tls = {"start_tls": True, "tls_context": certificate.client_context()}
    async with running(ledger, environ=USERS, **options) as ingress:
        async with client(ingress.port) as smtp:  # no TLS: no AUTH offered, none accepted, no mail taken
            await smtp.ehlo()
            assert not smtp.supports_extension("auth")
            plain = base64.b64encode(b"\0region-nord\0Korrekt-Hest-Batteri-7")
            assert (await smtp.execute_command(b"AUTH", b"PLAIN", plain)).code == 538
            with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
                await smtp.mail(SENDER)
            assert refused.value.code == 530

        async with client(ingress.port, **tls) as smtp:  # TLS, but no AUTH
            with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
                await smtp.mail(SENDER)
            assert refused.value.code == 530

        async with client(ingress.port, **tls) as smtp:
            await smtp.ehlo()  # again, over TLS
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as wrong:
                await smtp.auth_plain("region-nord", "korrekt-hest-batteri-7")
            assert wrong.value.code == 535
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as unknown:
                await smtp.auth_login("region-syd", "Korrekt-Hest-Batteri-7")
            assert unknown.value.code == 535

        async with client(ingress.port, **tls) as smtp:
            await smtp.ehlo()
            assert {"plain", "login"} <= set(smtp.supported_auth_methods)
            assert (await smtp.auth_plain("region-nord", "Korrekt-Hest-Batteri-7")).code == 235
            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            assert (await smtp.data(MESSAGE)).code == 250

        async with client(ingress.port, **tls) as smtp:  # LOGIN, and a password that holds a colon
            await smtp.ehlo()
            assert (await smtp.auth_login("region-midt", "Andet:kodeord")).code == 235
            await smtp.mail(SENDER)
            await smtp.rcpt(INBOX)
            assert (await smtp.data(MESSAGE)).code == 250
    assert len(ledger.received) == 2


# ------------------------------------------------------------------ connection limits


async def test_connections_per_client_are_limited() -> None:
    async with running(Ledger(), max_connections_per_client=2) as ingress:
        first, second = await Raw.connect(ingress.port), await Raw.connect(ingress.port)
        assert (await first.reply()).startswith("220")
        assert (await second.reply()).startswith("220")

        third = await Raw.connect(ingress.port)
        assert await third.reply() == "421 4.7.0 too many connections from your address (max_connections_per_client 2)"
        assert await third.closed()

        first.close()  # a place is free again once the server has seen the close
        for _ in range(100):
            fourth = await Raw.connect(ingress.port)
            if (await fourth.reply()).startswith("220"):
                break
            fourth.close()
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the closed session's place was never freed")
        for raw in (second, third, fourth):
            raw.close()


async def test_connections_in_all_are_limited() -> None:
    async with running(Ledger(), max_connections=2, max_connections_per_client=5) as ingress:
        sessions = [await Raw.connect(ingress.port) for _ in range(2)]
        for raw in sessions:
            assert (await raw.reply()).startswith("220")
        extra = await Raw.connect(ingress.port)
        assert (await extra.reply()).startswith("421 4.7.0")
        for raw in [*sessions, extra]:
            raw.close()


# ------------------------------------------------------------------ stop


async def test_stop_lets_data_in_flight_finish_and_refuses_the_rest() -> None:
    ledger = Ledger(gate=asyncio.Event())
    ingress = SmtpIngress(listener(), ledger.accept, environ={})
    await ingress.start()
    port = ingress.port
    idle = await Raw.connect(port)
    await idle.reply()
    sending = asyncio.create_task(send(port))
    await finishes(ledger.started.wait())

    stopping = asyncio.create_task(ingress.stop(deadline_seconds=5))
    assert (await idle.reply()).startswith("421 4.3.2")  # an idle session is told at once
    with pytest.raises(OSError):
        await Raw.connect(port)  # no new connections
    await asyncio.sleep(0.1)
    assert not stopping.done() and not sending.done()  # the commit in flight is awaited

    ledger.gate.set()  # type: ignore[union-attr]
    response = await finishes(sending)
    await finishes(stopping)
    assert response.code == 250 and len(ledger.received) == 1
    idle.close()


async def test_stop_past_its_deadline_never_answers_250() -> None:
    ledger = Ledger(gate=asyncio.Event())  # a commit that never ends
    ingress = SmtpIngress(listener(), ledger.accept, environ={})
    await ingress.start()
    sending = asyncio.create_task(send(ingress.port))
    await finishes(ledger.started.wait())

    await finishes(ingress.stop(deadline_seconds=0.2))
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await finishes(sending)
    assert (refused.value.code, refused.value.message) == (421, "4.3.2 service shutting down")  # never 250
    assert ledger.cancelled and ledger.received == []


async def test_a_client_leaving_mid_commit_does_not_cancel_the_commit() -> None:
    ledger = Ledger(gate=asyncio.Event())
    with capture_logs() as logs:
        async with running(ledger) as ingress:
            raw = await Raw.connect(ingress.port)
            await raw.reply()
            for line in (b"EHLO mx.rn.dk", b"MAIL FROM:<attest@rn.dk>", b"RCPT TO:<lae@aalborg.dk>", b"DATA"):
                await raw.command(line)
            raw.writer.write(MESSAGE.replace(b"\r\n.", b"\r\n..") + b".\r\n")  # dot-stuffed, as a client must
            await finishes(ledger.started.wait())
            raw.close()  # the client gives up before the reply
            await within(5, lambda: any(entry["event"] == "smtp_reply_lost" for entry in logs))
            ledger.gate.set()  # type: ignore[union-attr]
            await finishes(ledger.returned.wait())
    assert not ledger.cancelled and [r.raw for r in ledger.received] == [MESSAGE]


# ------------------------------------------------------------------ configuration


def test_from_table_reads_every_key(tmp_path: Path) -> None:
    table = {
        "host": "0.0.0.0", "port": 25, "name": "regioner", "hostname": "lae.aalborg.dk",
        "accept_recipients": ["LAE@aalborg.dk", "@kommune.dk"], "max_message_bytes": 10485760,
        "require_starttls": True, "tls_cert": "tls/server.crt", "tls_key": "tls/server.key",
        "auth_required": True, "auth_users_env": "LAE_SMTP_USERS",
        "max_connections_per_client": 3, "max_connections": 50, "timeout_seconds": 120,
    }  # fmt: skip
    config = SmtpListenerConfig.from_table(table, "robot.toml", base_dir=tmp_path)
    assert config.accept_recipients == ("lae@aalborg.dk", "@kommune.dk")
    assert config.tls_cert == tmp_path / "tls/server.crt"
    assert config.timeout_seconds == 120.0 and config.port == 25

    defaults = SmtpListenerConfig.from_table({"accept_recipients": ["@kommune.dk"]}, "robot.toml")
    assert (defaults.host, defaults.port, defaults.name) == ("127.0.0.1", 2525, "smtp")
    assert defaults.max_message_bytes == 50 * 1024 * 1024
    assert (defaults.max_connections_per_client, defaults.max_connections, defaults.timeout_seconds) == (5, 100, 60.0)
    assert not defaults.require_starttls and not defaults.auth_required and defaults.tls_cert is None


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"accept_recipients": ["@kommune.dk"], "relay": True}, "ingress.smtp.relay"),
        ({}, "ingress.smtp.accept_recipients"),
        ({"accept_recipients": []}, "ingress.smtp.accept_recipients"),
        ({"accept_recipients": ["kommune.dk"]}, "ingress.smtp.accept_recipients"),
        ({"accept_recipients": "@kommune.dk"}, "ingress.smtp.accept_recipients"),
        ({"accept_recipients": ["@kommune.dk"], "port": "25"}, "ingress.smtp.port"),
        ({"accept_recipients": ["@kommune.dk"], "port": 70000}, "ingress.smtp.port"),
        ({"accept_recipients": ["@kommune.dk"], "name": "a:b"}, "ingress.smtp.name"),
        ({"accept_recipients": ["@kommune.dk"], "max_message_bytes": 0}, "ingress.smtp.max_message_bytes"),
        ({"accept_recipients": ["@kommune.dk"], "require_starttls": True}, "ingress.smtp.tls_cert"),
        ({"accept_recipients": ["@kommune.dk"], "tls_cert": "a.crt"}, "ingress.smtp.tls_key"),
        ({"accept_recipients": ["@kommune.dk"], "require_starttls": "yes"}, "ingress.smtp.require_starttls"),
        ({"accept_recipients": ["@kommune.dk"], "trusted_channel": 1}, "ingress.smtp.trusted_channel"),
        (
            {"accept_recipients": ["@kommune.dk"], "auth_required": True, "tls_cert": "a", "tls_key": "b"},
            "ingress.smtp.auth_users_env",
        ),
        ({"accept_recipients": ["@kommune.dk"], "auth_required": True, "auth_users_env": "X"}, "ingress.smtp.tls_cert"),
        ({"accept_recipients": ["@kommune.dk"], "auth_users_env": "X"}, "ingress.smtp.auth_users_env"),
        (
            {"accept_recipients": ["@kommune.dk"], "max_connections_per_client": 0},
            "ingress.smtp.max_connections_per_client",
        ),
        ({"accept_recipients": ["@kommune.dk"], "max_connections": -1}, "ingress.smtp.max_connections"),
        ({"accept_recipients": ["@kommune.dk"], "timeout_seconds": 0}, "ingress.smtp.timeout_seconds"),
    ],
)
def test_config_errors_name_the_file_and_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        SmtpListenerConfig.from_table(table, "robot.toml")
    assert error.value.key == key
    assert error.value.file == "robot.toml"
    assert str(error.value).startswith(f"robot.toml: {key}: ")


def test_start_up_errors_name_the_key_and_never_the_password(certificate: Certificate, tmp_path: Path) -> None:
    auth = {"tls_cert": certificate.cert_file, "tls_key": certificate.key_file,
            "auth_required": True, "auth_users_env": USERS_ENV}  # fmt: skip
    for environ in ({}, {USERS_ENV: ""}, {USERS_ENV: "region-nord:Hemmeligt, nocolon"}):
        with pytest.raises(ConfigError) as error:
            SmtpIngress(listener(**auth), Ledger().accept, environ=environ)
        assert error.value.key == "ingress.smtp.auth_users_env"
        assert "Hemmeligt" not in str(error.value)

    missing = {"tls_cert": tmp_path / "missing.crt", "tls_key": certificate.key_file}
    with pytest.raises(ConfigError) as error:
        SmtpIngress(listener(**missing), Ledger().accept, environ={})
    assert error.value.key == "ingress.smtp.tls_cert"

    mismatched = {"tls_cert": certificate.key_file, "tls_key": certificate.key_file}
    with pytest.raises(ConfigError) as error:
        SmtpIngress(listener(**mismatched), Ledger().accept, environ={})
    assert error.value.key == "ingress.smtp.tls_cert"


async def test_port_before_start_double_start_and_restart() -> None:
    ingress = SmtpIngress(listener(), Ledger().accept, environ={})
    with pytest.raises(RuntimeError):
        _ = ingress.port
    await ingress.start()
    try:
        with pytest.raises(RuntimeError):
            await ingress.start()
        with socket.create_connection((HOST, ingress.port), timeout=5):
            pass
    finally:
        await ingress.stop()
    await ingress.stop()  # twice is harmless

    await ingress.start()  # and a stopped listener starts again
    try:
        assert (await send(ingress.port)).code == 250
    finally:
        await ingress.stop()
