"""SmtpTransport against a real aiosmtpd server on 127.0.0.1: plain, STARTTLS, TLS, AUTH, refusals, outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from robot.config_error import ConfigError
from robot.notify.message import Notice, NoticeRefused
from robot.notify.smtp import SmtpConfig, SmtpTransport
from robot.notify.transport import TransportRejected, TransportUnavailable
from tests.certificates import Certificate, make_certificate

HOST = "localhost"  # the client's host name, the certificate's SAN and the server's EHLO name
SENDER = "LÆ-robot <lae-robot@aalborg.dk>"
USER, PASSWORD, PASSWORD_ENV = "robot", "Korrekt-Hest-Batteri-7", "LAE_TEST_SMTP_PASSWORD"
NOTICE = Notice(
    key="filed:42",
    to=("sagsbehandler@aalborg.dk",),
    subject="LÆ 125 journaliseret i sag 27.12.08-G01-1234-22",
    body="Statusattest fra Region Nordjylland er lagt på sagen.\nVenlig hilsen\nLÆ-robotten",
)


def clock(minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, 4, 10, minute, tzinfo=dt.UTC)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it receives and refuses the recipients it is told to."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply, e.g. "550 5.1.1 no such user"
    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 OK queued"

    def authenticator(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        good = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        return AuthResult(success=good, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"), "server")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """Another self-signed certificate: trusting it must not make the server's trusted."""
    return make_certificate(tmp_path_factory.mktemp("tls-other"), "stranger")


@contextmanager
def smtp_server(handler: Recorder, **smtp_options: Any) -> Iterator[int]:
    """Run aiosmtpd on 127.0.0.1 in its own thread; yield its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname=HOST, **smtp_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def config(port: int, **options: Any) -> SmtpConfig:
    options.setdefault("security", "none")
    return SmtpConfig(host=HOST, port=port, sender=SENDER, timeout_seconds=5, helo_name="robot.aalborg.dk", **options)


def transport(port: int, minute: int = 0, environ: dict[str, str] | None = None, **options: Any) -> SmtpTransport:
    return SmtpTransport(config(port, **options), environ=environ or {}, clock=lambda: clock(minute))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def plain_port(recorder: Recorder) -> AsyncIterator[int]:
    with smtp_server(recorder) as port:
        yield port


# delivery


async def test_plain_delivery_carries_the_notice(recorder: Recorder, plain_port: int) -> None:
    await transport(plain_port).send(NOTICE)

    [(envelope, received)] = recorder.messages
    assert envelope.mail_from == "lae-robot@aalborg.dk"
    assert envelope.rcpt_tos == ["sagsbehandler@aalborg.dk"]
    assert received["To"] == "sagsbehandler@aalborg.dk"
    assert received["From"].addresses[0].display_name == "LÆ-robot"
    assert received["Subject"] == NOTICE.subject
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Date"].datetime == clock()
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content().replace("\r\n", "\n").rstrip("\n") == NOTICE.body


async def test_the_rendered_bytes_arrive_with_crlf_ends_and_dot_lines_intact(recorder: Recorder, plain_port: int) -> None:
    body = "Linje et\n.\n..\nFrom her\nslut med mellemrum  \n" + "æ" * 60 + "\n"
    await transport(plain_port).send(Notice("filed:44", NOTICE.to, "Æ" * 50, body))

    [(envelope, received)] = recorder.messages
    content = envelope.content
    assert isinstance(content, bytes) and content.isascii()
    assert b"\n" not in content.replace(b"\r\n", b"")  # CRLF on the wire, from the LF the notice is rendered with
    assert all(len(line) <= 78 for line in content.split(b"\r\n"))
    assert received["Subject"] == "Æ" * 50
    assert received.get_content().replace("\r\n", "\n") == body


async def test_a_resend_carries_the_same_message_id(recorder: Recorder, plain_port: int) -> None:
    await transport(plain_port, minute=0).send(NOTICE)
    await transport(plain_port, minute=7).send(NOTICE)
    await transport(plain_port).send(Notice("filed:43", NOTICE.to, NOTICE.subject, NOTICE.body))

    first, again, other = (received for _envelope, received in recorder.messages)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@aalborg.dk>")
    assert first["Date"] != again["Date"]
    assert other["Message-ID"] != first["Message-ID"]


async def test_several_recipients_all_receive(recorder: Recorder, plain_port: int) -> None:
    notice = Notice("filed:44", ("a@aalborg.dk", "b@aalborg.dk"), "LÆ 265 journaliseret", "Se sagen.")
    await transport(plain_port).send(notice)
    [(envelope, received)] = recorder.messages
    assert envelope.rcpt_tos == ["a@aalborg.dk", "b@aalborg.dk"]
    assert received["To"] == "a@aalborg.dk, b@aalborg.dk"


# refusals and outages


async def test_recipient_refused_with_550_is_rejected(recorder: Recorder, plain_port: int) -> None:
    recorder.refuse["sagsbehandler@aalborg.dk"] = "550 5.1.1 No such user"
    with pytest.raises(TransportRejected) as caught:
        await transport(plain_port).send(NOTICE)
    assert caught.value.code == 550
    assert caught.value.refused == ("sagsbehandler@aalborg.dk",)
    assert "550" in str(caught.value)
    assert recorder.messages == []


async def test_recipient_deferred_with_451_is_unavailable(recorder: Recorder, plain_port: int) -> None:
    recorder.refuse["sagsbehandler@aalborg.dk"] = "451 4.3.0 Try again later"
    with pytest.raises(TransportUnavailable) as caught:
        await transport(plain_port).send(NOTICE)
    assert caught.value.code == 451
    assert recorder.messages == []


async def test_one_of_two_recipients_refused_is_rejected_and_names_it(recorder: Recorder, plain_port: int) -> None:
    recorder.refuse["gone@aalborg.dk"] = "550 5.1.1 No such user"
    notice = Notice("filed:45", ("here@aalborg.dk", "gone@aalborg.dk"), "LÆ 285 journaliseret", "Se sagen.")
    with pytest.raises(TransportRejected) as caught:
        await transport(plain_port).send(notice)
    assert caught.value.refused == ("gone@aalborg.dk",)
    assert "delivered to 1" in str(caught.value)
    [(envelope, _received)] = recorder.messages
    assert envelope.rcpt_tos == ["here@aalborg.dk"]


async def test_server_down_is_unavailable() -> None:
    with pytest.raises(TransportUnavailable) as caught:
        await transport(free_port()).send(NOTICE)
    assert "localhost" in str(caught.value)


async def test_server_that_never_greets_is_unavailable_within_the_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # says nothing until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent_config = SmtpConfig(
        host="127.0.0.1", port=port, sender=SENDER, security="none", timeout_seconds=0.3, helo_name="robot.aalborg.dk"
    )
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(TransportUnavailable):
            await SmtpTransport(silent_config, environ={}).send(NOTICE)
        assert loop.time() - start < 2
    finally:
        server.close()
        await server.wait_closed()


# CPR numbers never leave


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("LÆ 125 for 010190-1234", "Se sagen."),
        ("LÆ 125 journaliseret", "Borgeren 010190-1234 har fået en attest."),
        ("LÆ 125 journaliseret", "Borgeren 0101901234 har fået en attest."),
    ],
)
async def test_a_cpr_number_is_refused_and_nothing_is_sent(
    recorder: Recorder, plain_port: int, subject: str, body: str
) -> None:
    notice = Notice("filed:46", NOTICE.to, subject, body)
    with pytest.raises(NoticeRefused) as caught:
        await transport(plain_port).send(notice)
    assert "1234" not in str(caught.value) and "1234" not in repr(caught.value)
    assert recorder.messages == []


async def test_a_batch_is_sent_notice_by_notice_each_with_its_own_outcome(recorder: Recorder, plain_port: int) -> None:
    batch = [NOTICE, Notice("filed:48", NOTICE.to, "Attest", "CPR 010190-1234"),
             Notice("filed:49", NOTICE.to, NOTICE.subject, NOTICE.body)]
    failures = await transport(plain_port).send_all(batch)
    assert failures[0] is None and failures[2] is None
    assert isinstance(failures[1], NoticeRefused)
    assert len(recorder.messages) == 2


async def test_a_batch_to_a_server_that_is_down_is_unavailable_for_each(recorder: Recorder) -> None:
    failures = await transport(free_port()).send_all([NOTICE, Notice("filed:50", NOTICE.to, "Attest", "Se sagen.")])
    assert [type(failure) for failure in failures] == [TransportUnavailable, TransportUnavailable]


async def test_a_cpr_number_is_refused_before_any_connection() -> None:
    with pytest.raises(NoticeRefused):  # not TransportUnavailable: the check comes first
        await transport(free_port()).send(Notice("filed:47", NOTICE.to, "Attest", "CPR 010190-1234"))


# TLS


@pytest.fixture
async def starttls_port(recorder: Recorder, certificate: Certificate) -> AsyncIterator[int]:
    with smtp_server(recorder, tls_context=certificate.server_context(), require_starttls=True) as port:
        yield port


async def test_starttls_with_a_private_ca(recorder: Recorder, starttls_port: int, certificate: Certificate) -> None:
    await transport(starttls_port, security="starttls", ca_file=certificate.cert_file).send(NOTICE)
    [(_envelope, received)] = recorder.messages
    assert received["Subject"] == NOTICE.subject


async def test_starttls_with_an_untrusted_certificate_is_unavailable(
    recorder: Recorder, starttls_port: int, stranger: Certificate
) -> None:
    with pytest.raises(TransportUnavailable) as caught:
        await transport(starttls_port, security="starttls", ca_file=stranger.cert_file).send(NOTICE)
    assert "certificate" in str(caught.value).lower()
    assert recorder.messages == []


async def test_starttls_without_verification_when_told(recorder: Recorder, starttls_port: int) -> None:
    await transport(starttls_port, security="starttls", validate_certs=False).send(NOTICE)
    assert len(recorder.messages) == 1


async def test_starttls_not_offered_is_rejected(recorder: Recorder, plain_port: int, certificate: Certificate) -> None:
    with pytest.raises(TransportRejected) as caught:
        await transport(plain_port, security="starttls", ca_file=certificate.cert_file).send(NOTICE)
    assert "STARTTLS" in str(caught.value)
    assert recorder.messages == []


async def test_plain_to_a_server_requiring_starttls_is_rejected(recorder: Recorder, starttls_port: int) -> None:
    with pytest.raises(TransportRejected) as caught:
        await transport(starttls_port, security="none").send(NOTICE)
    assert caught.value.code == 530
    assert recorder.messages == []


async def test_implicit_tls(recorder: Recorder, certificate: Certificate) -> None:
    port = free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, server_hostname=HOST, ssl_context=certificate.server_context()
    )
    controller.start()
    try:
        await transport(port, security="tls", ca_file=certificate.cert_file).send(NOTICE)
    finally:
        controller.stop()
    assert len(recorder.messages) == 1


# AUTH


@pytest.fixture
async def auth_port(recorder: Recorder, certificate: Certificate, request: pytest.FixtureRequest) -> AsyncIterator[int]:
    excluded = getattr(request, "param", [])
    with smtp_server(
        recorder,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=recorder.authenticator,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=excluded,
    ) as port:
        yield port


def auth_transport(port: int, certificate: Certificate, password: str) -> SmtpTransport:
    return transport(
        port,
        security="starttls",
        ca_file=certificate.cert_file,
        username=USER,
        password_env=PASSWORD_ENV,
        environ={PASSWORD_ENV: password},
    )


@pytest.mark.parametrize(
    ("auth_port", "mechanism"), [(["LOGIN"], "PLAIN"), (["PLAIN"], "LOGIN")], indirect=["auth_port"]
)
async def test_auth_with_the_right_password(
    recorder: Recorder, auth_port: int, certificate: Certificate, mechanism: str
) -> None:
    await auth_transport(auth_port, certificate, PASSWORD).send(NOTICE)
    assert recorder.mechanisms == [mechanism]
    assert len(recorder.messages) == 1


async def test_auth_with_a_wrong_password_is_rejected_and_names_no_password(
    recorder: Recorder, auth_port: int, certificate: Certificate
) -> None:
    wrong = "Forkert-Hest-9"
    sender = auth_transport(auth_port, certificate, wrong)
    with pytest.raises(TransportRejected) as caught:
        await sender.send(NOTICE)
    assert caught.value.code == 535
    for text in (str(caught.value), repr(caught.value), repr(sender), repr(sender._config)):
        assert wrong not in text and PASSWORD not in text
    assert caught.value.__suppress_context__  # a logged traceback shows no aiosmtplib internals either
    assert recorder.messages == []


async def test_password_is_read_from_the_named_environment_variable(
    recorder: Recorder, auth_port: int, certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    settings = SmtpConfig.from_table(
        {
            "host": HOST,
            "port": auth_port,
            "sender": SENDER,
            "username": USER,
            "password_env": PASSWORD_ENV,
            "ca_file": str(certificate.cert_file),
            "helo_name": "robot.aalborg.dk",
            "timeout_seconds": 5,
        },
        "config.toml",
    )
    await SmtpTransport(settings).send(NOTICE)  # the process environment, as in production
    assert len(recorder.messages) == 1


def test_an_unset_password_variable_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    settings = SmtpConfig(host="smtp.aalborg.dk", sender=SENDER, username=USER, password_env=PASSWORD_ENV)
    with pytest.raises(ConfigError) as caught:
        SmtpTransport(settings)
    assert caught.value.key == "notify.smtp.password_env"
    assert PASSWORD_ENV in str(caught.value)


# configuration


def test_from_table_reads_every_key(tmp_path: Path) -> None:
    settings = SmtpConfig.from_table(
        {
            "host": "smtp.aalborg.dk",
            "port": 2587,
            "security": "starttls",
            "username": USER,
            "password_env": PASSWORD_ENV,
            "timeout_seconds": 12,
            "sender": SENDER,
            "validate_certs": True,
            "ca_file": "ca.pem",
            "helo_name": "robot.aalborg.dk",
        },
        "config.toml",
        base_dir=tmp_path,
    )
    assert settings == SmtpConfig(
        host="smtp.aalborg.dk",
        port=2587,
        security="starttls",
        username=USER,
        password_env=PASSWORD_ENV,
        timeout_seconds=12.0,
        sender=SENDER,
        validate_certs=True,
        ca_file=tmp_path / "ca.pem",
        helo_name="robot.aalborg.dk",
    )
    assert settings.domain == "aalborg.dk"


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465)])
def test_default_ports(security: str, port: int) -> None:
    assert (
        SmtpConfig.from_table(
            {"host": "smtp.aalborg.dk", "sender": SENDER, "security": security}, "c.toml"
        ).effective_port
        == port
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "pasword": "x"}, "notify.smtp.pasword"),
        ({"sender": SENDER}, "notify.smtp.host"),
        ({"host": "smtp.aalborg.dk"}, "notify.smtp.sender"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "port": "25"}, "notify.smtp.port"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "port": 70000}, "notify.smtp.port"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "security": "ssl"}, "notify.smtp.security"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "security": "none"}, "notify.smtp.security"),
        ({"host": "10.0.0.5", "sender": SENDER, "security": "none"}, "notify.smtp.security"),
        ({"host": "smtp.aalborg.dk", "sender": "robot"}, "notify.smtp.sender"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "username": USER}, "notify.smtp.password_env"),
        (
            {"host": "smtp.aalborg.dk", "sender": SENDER, "username": USER, "password_env": "not a name"},
            "notify.smtp.password_env",
        ),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "timeout_seconds": 0}, "notify.smtp.timeout_seconds"),
        ({"host": "smtp.aalborg.dk", "sender": SENDER, "validate_certs": "yes"}, "notify.smtp.validate_certs"),
        (
            {"host": "smtp.aalborg.dk", "sender": SENDER, "validate_certs": False, "ca_file": "ca.pem"},
            "notify.smtp.ca_file",
        ),
    ],
)
def test_from_table_errors_name_file_and_key(table: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SmtpConfig.from_table(table, "/etc/lae-robot/config.toml")
    assert caught.value.file == "/etc/lae-robot/config.toml"
    assert caught.value.key == key
    assert str(caught.value).startswith(f"/etc/lae-robot/config.toml: {key}: ")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]"])
def test_security_none_is_allowed_towards_loopback(host: str) -> None:
    assert SmtpConfig(host=host, sender=SENDER, security="none").effective_port == 25


def test_a_missing_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    settings = SmtpConfig(host="smtp.aalborg.dk", sender=SENDER, ca_file=tmp_path / "missing.pem")
    with pytest.raises(ConfigError) as caught:
        SmtpTransport(settings, environ={})
    assert caught.value.key == "notify.smtp.ca_file"
