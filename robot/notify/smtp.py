"""Notice transport over SMTP submission (STARTTLS, implicit TLS or loopback plain) with aiosmtplib."""

from __future__ import annotations

import dataclasses
import os
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiosmtplib

from robot import config_values as values
from robot.config_error import ConfigError
from robot.loopback import is_loopback
from robot.notify.message import Notice, is_domain, render_notice, sender_address
from robot.notify.transport import SendFailure, TransportRejected, TransportUnavailable, send_each
from robot.privacy import mask_cpr_text

Security = Literal["starttls", "tls", "none"]
_SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
_DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "tls": 465, "none": 25}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REQUIRED = ("host", "sender")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to submit notices. The password is never here: `password_env` names the
    environment variable that holds it."""

    host: str
    sender: str  # "LÆ-robot <lae-robot@kommune.dk>" or a bare address; its domain ends Message-IDs
    port: int | None = None  # None: 587 for starttls, 465 for tls, 25 for none
    security: Security = "starttls"  # "none" only towards a loopback host
    username: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 30.0
    validate_certs: bool = True
    ca_file: Path | None = None  # a private CA: trusted instead of the system's roots
    helo_name: str | None = None  # None: this machine's fully qualified name
    source: str = field(default="notify.smtp", repr=False, compare=False)  # the file named in errors
    section: str = field(default="notify.smtp", repr=False, compare=False)

    def __post_init__(self) -> None:
        def fail(key: str, expected: str) -> ConfigError:
            return ConfigError(f"{self.section}.{key}", expected, self.source)

        if not self.host or any(ch.isspace() for ch in self.host):
            raise fail("host", f"a host name or address, got {self.host!r}")
        if self.security not in _SECURITIES:
            raise fail("security", f"one of {', '.join(map(repr, _SECURITIES))}, got {self.security!r}")
        if self.security == "none" and not is_loopback(self.host):
            raise fail(
                "security", f"'starttls' or 'tls': 'none' is only allowed towards a loopback host, not {self.host!r}"
            )
        if self.port is not None and not 1 <= self.port <= 65535:
            raise fail("port", f"a port number 1-65535, got {self.port!r}")
        try:
            sender_address(self.sender)
        except ValueError:
            raise fail("sender", f"a mail address such as 'LÆ-robot <robot@kommune.dk>', got {self.sender!r}") from None
        if not is_domain(self.domain):
            raise fail("sender", f"an address whose domain is a plain DNS name, got {self.sender!r}")
        if (self.username is None) != (self.password_env is None):
            raise fail(
                "password_env" if self.password_env is None else "username", "username and password_env come together"
            )
        if self.password_env is not None and not _ENV_NAME.fullmatch(self.password_env):
            raise fail("password_env", f"the name of an environment variable, got {self.password_env!r}")
        if not self.timeout_seconds > 0:
            raise fail("timeout_seconds", f"a positive number, got {self.timeout_seconds!r}")
        if self.ca_file is not None and not self.validate_certs:
            raise fail("ca_file", "no ca_file when validate_certs = false (nothing would be verified)")
        if self.ca_file is not None and self.security == "none":
            raise fail("ca_file", "no ca_file when security = 'none' (there is no TLS)")
        if self.helo_name is not None and not is_domain(self.helo_name):
            raise fail("helo_name", f"a DNS name, got {self.helo_name!r}")

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_PORTS[self.security]

    @property
    def domain(self) -> str:
        """The sender's domain, which ends every Message-ID."""
        return sender_address(self.sender).rpartition("@")[2]

    @classmethod
    def from_table(
        cls, table: Any, file_for_errors: str, *, section: str = "notify.smtp", base_dir: Path | None = None
    ) -> SmtpConfig:
        """Read the `[notify.smtp]` table; unknown keys, missing keys and wrong types are ConfigError
        naming the file and the key. A relative ca_file is taken from `base_dir` when given."""
        if not isinstance(table, dict):
            raise ConfigError(section, "a table", file_for_errors)
        known = [f.name for f in dataclasses.fields(cls) if f.name not in ("source", "section")]
        for key in table:
            if key not in known:
                raise ConfigError(
                    f"{section}.{key}", f"no such setting (known: {', '.join(sorted(known))})", file_for_errors
                )
        for key in _REQUIRED:
            if key not in table:
                raise ConfigError(f"{section}.{key}", "a value (this key is required)", file_for_errors)
        values = {key: _typed(key, value, file_for_errors, section, base_dir) for key, value in table.items()}
        return cls(**values, source=file_for_errors, section=section)


def _typed(key: str, value: Any, file: str, section: str, base_dir: Path | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{section}.{key}", f"{expected}, got {value!r}", file)

    if key in ("host", "sender", "security", "username", "password_env", "helo_name"):
        return values.text(value, fail)
    if key == "port":
        return values.whole_number(value, fail, "a port number")
    if key == "timeout_seconds":
        return values.seconds(value, fail, "a positive number")
    if key == "validate_certs":
        return values.flag(value, fail)
    if key == "ca_file":
        return values.path(value, fail, base_dir)
    raise fail("a known setting")  # unreachable: from_table checked the keys


class SmtpTransport:
    """Submits each notice over its own connection (notices are rare); `close` holds nothing."""

    def __init__(
        self,
        config: SmtpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        clock: Callable[[], datetime] = _utc_now,
    ):
        self._config, self._clock = config, clock
        self._envelope_sender = sender_address(config.sender)
        self._password: str | None = None
        if config.password_env is not None:
            self._password = environ.get(config.password_env) or None
            if self._password is None:
                raise ConfigError(
                    f"{config.section}.password_env",
                    f"the name of a set, non-empty environment variable; {config.password_env} is not set",
                    config.source,
                )
        self._tls_context = _tls_context(config) if config.security != "none" else None
        self._where = f"SMTP {config.host}:{config.effective_port}"

    def __repr__(self) -> str:
        return f"SmtpTransport({self._config!r})"

    async def send(self, notice: Notice) -> None:
        message = render_notice(notice, self._config.sender, self._clock(), self._config.domain)
        config = self._config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.effective_port,
            username=config.username,
            password=self._password,
            local_hostname=config.helo_name,
            timeout=config.timeout_seconds,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",  # required, never opportunistic
            validate_certs=config.validate_certs,
            tls_context=self._tls_context,
        )
        try:
            errors = await self._submit(client, message, notice.to)
        except BaseException:
            client.close()
            raise
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()  # the relay has taken the notice; a failed goodbye changes nothing
        if errors:
            refusals = {address: (reply.code, reply.message) for address, reply in errors.items()}
            raise _refused(self._where, refusals, delivered=len(notice.to) - len(errors))

    async def send_all(self, notices: Sequence[Notice]) -> list[SendFailure | None]:
        """One connection per notice, one after the other (notices are rare)."""
        return await send_each(self, notices)

    async def _submit(
        self, client: aiosmtplib.SMTP, message: bytes, recipients: tuple[str, ...]
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        """Connect (TLS, login) and hand over the message; the refusals of some recipients are returned,
        every other failure raised as TransportUnavailable or TransportRejected."""
        try:
            await client.connect()
            errors, _reply = await client.sendmail(self._envelope_sender, list(recipients), message)  # LF -> CRLF there
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusals = {refusal.recipient: (refusal.code, refusal.message) for refusal in error.recipients}
            raise _refused(self._where, refusals, delivered=0) from None
        except aiosmtplib.SMTPResponseException as error:
            raise _by_code(self._where, error.code, error.message) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as error:
            raise TransportUnavailable(f"{self._where}: {_describe(error)}") from None
        except aiosmtplib.SMTPException as error:  # STARTTLS or AUTH not offered: the relay is set up otherwise
            raise TransportRejected(f"{self._where}: {_describe(error)}") from None
        except ssl.SSLCertVerificationError as error:
            raise TransportUnavailable(f"{self._where}: TLS certificate not trusted ({error.verify_message})") from None
        except OSError as error:  # TLS handshake and socket failures after connecting
            raise TransportUnavailable(f"{self._where}: {_describe(error)}") from None
        return errors

    async def close(self) -> None:
        """Nothing is held open between notices."""


def _tls_context(config: SmtpConfig) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            f"{config.section}.ca_file", f"a readable PEM file of CA certificates ({error})", config.source
        ) from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not config.validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _describe(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    return mask_cpr_text(str(text))[:300]


def _by_code(where: str, code: int, text: str) -> TransportUnavailable | TransportRejected:
    detail = f"{where}: {code} {mask_cpr_text(text)[:300]}"
    if 500 <= code <= 599:
        return TransportRejected(detail, code=code)
    return TransportUnavailable(detail, code=code)  # 4xx and anything unexpected: try again later


def _refused(
    where: str, refusals: dict[str, tuple[int, str]], delivered: int
) -> TransportUnavailable | TransportRejected:
    """Some or all recipients refused. Any 5xx is permanent. Only 4xx: retry, and the recipients who
    already have it may get it twice, with the same Message-ID."""
    listed = "; ".join(f"{address}: {code} {mask_cpr_text(text)[:120]}" for address, (code, text) in refusals.items())
    detail = f"{where}: delivered to {delivered}, refused {listed}"
    refused = tuple(refusals)
    codes = [code for code, _text in refusals.values()]
    if any(500 <= code <= 599 for code in codes):
        return TransportRejected(detail, code=max(codes), refused=refused)
    return TransportUnavailable(detail, code=max(codes), refused=refused)
