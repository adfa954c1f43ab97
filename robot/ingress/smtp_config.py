"""The SMTP listener's settings as frozen data, read from a TOML table with errors that name the file and key."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from robot import config_values as values
from robot.config_error import ConfigError

MIB = 1024 * 1024
DAY = 86400.0
_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # the listener's name sits in "smtp:<name>:<queue id>": no colon
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)[^\s@<>()\[\],;:\"\\.]+(\.[^\s@<>()\[\],;:\"\\.]+)*")
_LOCAL = re.compile(r"[^\s@<>()\[\],;:\"\\]+")



@dataclass(frozen=True)
class SmtpListenerConfig:
    """One SMTP listener. Passwords are never here: `auth_users_env` names the variable that holds them."""

    accept_recipients: tuple[str, ...]  # exact addresses and/or "@domain"; lower-cased; never empty (no open relay)
    host: str = "127.0.0.1"
    port: int = 2525  # 0: any free port (tests)
    name: str = "smtp"
    hostname: str | None = None  # the name in the greeting and EHLO reply; None: this machine's host name
    max_message_bytes: int = 50 * MIB  # as sent on the wire; larger messages are answered 552
    require_starttls: bool = False
    tls_cert: Path | None = None  # given (with tls_key): STARTTLS is offered
    tls_key: Path | None = None
    auth_required: bool = False  # AUTH PLAIN/LOGIN, only after STARTTLS
    auth_users_env: str | None = None  # a variable holding "user:password" pairs, one per line or comma-separated
    max_connections_per_client: int = 5
    max_connections: int = 100
    timeout_seconds: float = 60.0  # idle time between commands; also bounds one whole DATA (transfer + commit)
    trusted_channel: bool = False  # only the authenticated network can deliver here: From needs no gateway pass
    # --- against clients that hold connections (issue 10): every session, however busy, ends
    session_seconds: float = 900.0  # a whole session, from connect; then 421 (a mail being committed finishes first)
    data_seconds: float = 600.0  # one DATA, from 354 to the final "."; a trickle past it is cut with 421
    max_commands_per_session: int = 1000  # every command counted; the next one is answered 421 and the session ends
    max_noops_per_session: int = 20
    max_rsets_per_session: int = 100
    # --- connection limits: per address (max_connections_per_client), per network prefix, in total
    max_connections_per_prefix: int = 10  # sessions from one IPv4 /prefix_length_v4 or IPv6 /prefix_length_v6
    prefix_length_v4: int = 24
    prefix_length_v6: int = 64
    trusted_peers: tuple[str, ...] = ()  # addresses or networks (e.g. the tunnel gateway): exempt from the per-address
    # and per-prefix limits, and the only ones who may use the last reserved_connections of max_connections
    reserved_connections: int = 10  # only with trusted_peers; fewer than max_connections
    source: str = field(default="-", repr=False, compare=False)  # the file named in errors
    section: str = field(default="ingress.smtp", repr=False, compare=False)

    def __post_init__(self) -> None:
        fail = self._fail
        if not isinstance(self.accept_recipients, tuple) or not self.accept_recipients:
            raise fail("accept_recipients", "a non-empty list of addresses and/or '@domain' entries (no open relay)")
        for entry in self.accept_recipients:
            if not isinstance(entry, str) or not is_recipient_entry(entry) or entry != entry.lower():
                raise fail("accept_recipients", f"lower-case 'user@domain' or '@domain' entries, got {entry!r}")
        if not self.host or any(ch.isspace() for ch in self.host):
            raise fail("host", f"a host name or address, got {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise fail("port", f"a port number 0-65535, got {self.port!r}")
        if not _NAME.fullmatch(self.name):
            raise fail("name", f"letters, digits, '_', '.' or '-', got {self.name!r}")
        if self.hostname is not None and not _DOMAIN.fullmatch(self.hostname):
            raise fail("hostname", f"a DNS name, got {self.hostname!r}")
        if not 1024 <= self.max_message_bytes <= 1024 * MIB:  # aiosmtpd holds a whole message in memory
            raise fail("max_message_bytes", f"a whole number from 1024 to {1024 * MIB}, got {self.max_message_bytes!r}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise fail("tls_key" if self.tls_key is None else "tls_cert", "tls_cert and tls_key come together")
        if self.require_starttls and self.tls_cert is None:
            raise fail("tls_cert", "a certificate file (and tls_key): require_starttls = true needs them")
        if self.auth_required:
            if self.tls_cert is None:
                raise fail("tls_cert", "a certificate file (and tls_key): AUTH is only offered over STARTTLS")
            if self.auth_users_env is None:
                raise fail("auth_users_env", "the name of an environment variable (auth_required = true needs it)")
        elif self.auth_users_env is not None:
            raise fail("auth_users_env", "no auth_users_env unless auth_required = true (it would not be enforced)")
        if self.auth_users_env is not None and not _ENV_NAME.fullmatch(self.auth_users_env):
            raise fail("auth_users_env", f"the name of an environment variable, got {self.auth_users_env!r}")
        for key in ("max_connections_per_client", "max_connections"):
            if not 1 <= getattr(self, key) <= 100_000:
                raise fail(key, f"a whole number from 1 to 100000, got {getattr(self, key)!r}")
        if not self.timeout_seconds > 0:
            raise fail("timeout_seconds", f"a positive number, got {self.timeout_seconds!r}")
        for key in ("session_seconds", "data_seconds"):
            if not 0 < getattr(self, key) <= DAY:
                raise fail(key, f"a positive number of seconds up to {DAY:.0f}, got {getattr(self, key)!r}")
        for key, upper in (("max_commands_per_session", 1_000_000), ("max_noops_per_session", 100_000),
                           ("max_rsets_per_session", 100_000), ("max_connections_per_prefix", 100_000)):
            if not 1 <= getattr(self, key) <= upper:
                raise fail(key, f"a whole number from 1 to {upper}, got {getattr(self, key)!r}")
        if not 8 <= self.prefix_length_v4 <= 32:
            raise fail("prefix_length_v4", f"a prefix length from 8 to 32, got {self.prefix_length_v4!r}")
        if not 16 <= self.prefix_length_v6 <= 128:
            raise fail("prefix_length_v6", f"a prefix length from 16 to 128, got {self.prefix_length_v6!r}")
        for entry in self.trusted_peers:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise fail("trusted_peers", f"IP addresses or networks (a.b.c.d, a.b.c.0/24, ::1), got {entry!r}") \
                    from None
        if self.reserved_connections < 0 or (self.trusted_peers and self.reserved_connections >= self.max_connections):
            raise fail("reserved_connections", f"a whole number from 0 to max_connections - 1 "
                                               f"({self.max_connections - 1}), got {self.reserved_connections!r}")

    def _fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.section}.{key}", expected, self.source)

    @classmethod
    def from_table(
        cls, table: Any, file_for_errors: str, *, section: str = "ingress.smtp", base_dir: Path | None = None
    ) -> SmtpListenerConfig:
        """Read one `[ingress.smtp]` table; unknown or missing keys and wrong types are ConfigError naming
        the file and key. Relative tls_cert/tls_key are taken from `base_dir` when given."""
        if not isinstance(table, dict):
            raise ConfigError(section, "a table", file_for_errors)
        known = sorted(f.name for f in fields(cls) if f.name not in ("source", "section"))
        for key in table:
            if key not in known:
                raise ConfigError(
                    f"{section}.{key}", f"no such setting (known: {', '.join(known)})", file_for_errors
                )
        if "accept_recipients" not in table:
            raise ConfigError(
                f"{section}.accept_recipients", "a value (this key is required: the robot is no open relay)",
                file_for_errors,
            )  # fmt: skip
        values = {
            key: _typed(key, value, f"{section}.{key}", file_for_errors, base_dir) for key, value in table.items()
        }
        return cls(**values, source=file_for_errors, section=section)


def is_recipient_entry(entry: str) -> bool:
    """Whether `entry` is "local@domain" or "@domain"."""
    local, at, domain = entry.rpartition("@")
    return bool(at) and (local == "" or bool(_LOCAL.fullmatch(local))) and bool(_DOMAIN.fullmatch(domain))


def _typed(key: str, value: Any, dotted: str, file: str, base_dir: Path | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(dotted, f"{expected}, got {value!r}", file)

    if key in ("host", "name", "hostname", "auth_users_env"):
        return values.text(value, fail)
    if key in ("port", "max_message_bytes", "max_connections_per_client", "max_connections",
               "max_commands_per_session", "max_noops_per_session", "max_rsets_per_session",
               "max_connections_per_prefix", "prefix_length_v4", "prefix_length_v6", "reserved_connections"):
        return values.whole_number(value, fail)
    if key in ("timeout_seconds", "session_seconds", "data_seconds"):
        return values.seconds(value, fail, "a positive number")
    if key in ("require_starttls", "auth_required", "trusted_channel"):
        return values.flag(value, fail)
    if key in ("tls_cert", "tls_key"):
        return values.path(value, fail, base_dir)
    if key == "accept_recipients":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail("a list of strings")
        return tuple(item.strip().lower() for item in value)
    if key == "trusted_peers":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail("a list of IP addresses or networks as strings")
        return tuple(item.strip() for item in value)
    raise fail("a known setting")  # unreachable: from_table checked the keys
