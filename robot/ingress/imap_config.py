"""One watched IMAP mailbox's settings as frozen data, read from a TOML table with errors that name the file and key."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from robot import config_values as values
from robot.config_error import ConfigError
from robot.loopback import is_loopback

Security = Literal["tls", "plain"]
Auth = Literal["login", "xoauth2"]

SECURITIES: tuple[Security, ...] = ("tls", "plain")
AUTHS: tuple[Auth, ...] = ("login", "xoauth2")
IDLE_LIMIT_SECONDS = 29 * 60  # RFC 2177: servers may log out a client idling for 30 minutes
HOUR_SECONDS = 3600.0  # the most any IMAP wait may be: past it, a number is a typo, not a setting
BUSY_CHECK_LIMIT_SECONDS = 10.0  # a busy mailbox asked less often than this is not busy; IDLE does as well
_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # the name sits in "imap:<name>:<folder>:<uidvalidity>:<uid>": no colon
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BAD_FOLDER = re.compile(r"[\x00-\x1f\x7f*%]")  # control characters break the command line; * and % are LIST wildcards
_BAD_USER = re.compile(r"[\x00-\x1f\x7f]")
_FOLDER_KEYS = ("folder", "filed_folder", "escalated_folder")
_REQUIRED = ("host", "username")



@dataclass(frozen=True)
class ImapMailboxConfig:
    """Where one watched mailbox is and how to reach it. Secrets are never here: `password_env` names the
    variable holding the password; `token_command` prints an OAuth2 access token."""

    host: str
    username: str
    port: int = 993
    security: Security = "tls"  # "tls": implicit TLS, certificate verified; "plain": loopback hosts only
    ca_file: Path | None = None  # a private CA, trusted instead of the system's roots
    auth: Auth = "login"  # "login": LOGIN with the password; "xoauth2": AUTHENTICATE XOAUTH2 with a token
    password_env: str | None = None  # auth = "login"
    token_command: tuple[str, ...] | None = None  # auth = "xoauth2": run on every connect, stdout is the token
    folder: str = "INBOX"  # watched; "/" separates levels whatever the server's own separator is
    filed_folder: str = "LAE/Journaliseret"
    escalated_folder: str = "LAE/Eskaleret"
    idle: bool = True  # IDLE when the server offers it; otherwise (or false) poll every poll_seconds
    idle_renew_seconds: float = 25 * 60.0
    timeout_seconds: float = 30.0  # each command, the connect and the token command
    poll_seconds: float = 60.0
    # after new mail, for busy_seconds, ask the server (NOOP) every busy_check_seconds instead of waiting in
    # IDLE: a server may hold IDLE news back (Dovecot: half a second); busy_check_seconds = 0 turns this off
    busy_check_seconds: float = 0.05
    busy_seconds: float = 60.0
    reconnect_max_seconds: float = 300.0  # the backoff starts at 1 s and doubles up to this
    trusted_channel: bool = False  # only the authenticated network can deliver here (a tunnel/secure-mail box)
    source: str = field(default="-", repr=False, compare=False)  # the file named in errors
    section: str = field(default="ingress.imap", repr=False, compare=False)

    def __post_init__(self) -> None:
        fail = self._fail
        if not self.host or any(ch.isspace() for ch in self.host):
            raise fail("host", f"a host name or address, got {self.host!r}")
        if not 1 <= self.port <= 65535:
            raise fail("port", f"a port number 1-65535, got {self.port!r}")
        if self.security not in SECURITIES:
            raise fail("security", f"one of {', '.join(map(repr, SECURITIES))}, got {self.security!r}")
        if self.security == "plain" and not is_loopback(self.host):
            raise fail("security", f"'tls': 'plain' is only allowed towards a loopback host, not {self.host!r}")
        if self.ca_file is not None and self.security == "plain":
            raise fail("ca_file", "no ca_file when security = 'plain' (there is no TLS)")
        if self.ca_file is not None and not self.ca_file.is_file():
            raise fail("ca_file", f"a readable PEM file of CA certificates, {str(self.ca_file)!r} is not a file")
        if not self.username or _BAD_USER.search(self.username):
            raise fail("username", "a user name without control characters")
        self._check_auth()
        self._check_folders()
        self._check_times()

    def _check_auth(self) -> None:
        fail = self._fail
        if self.auth not in AUTHS:
            raise fail("auth", f"one of {', '.join(map(repr, AUTHS))}, got {self.auth!r}")
        if self.auth == "login":
            if self.password_env is None:
                raise fail("password_env", "the name of the environment variable holding the password (auth = 'login')")
            if not _ENV_NAME.fullmatch(self.password_env):
                raise fail("password_env", f"the name of an environment variable, got {self.password_env!r}")
            if self.token_command is not None:
                raise fail("token_command", "no token_command unless auth = 'xoauth2' (it would not be used)")
        else:
            if not self.token_command or not all(isinstance(part, str) and part for part in self.token_command):
                raise fail("token_command", "a command line printing the access token (auth = 'xoauth2')")
            if self.password_env is not None:
                raise fail("password_env", "no password_env when auth = 'xoauth2' (it would not be used)")

    def _check_folders(self) -> None:
        for key in _FOLDER_KEYS:
            name = getattr(self, key)
            if not name or _BAD_FOLDER.search(name) or name.startswith("/") or name.endswith("/") or "//" in name:
                raise self._fail(
                    key, f"a folder name like 'LAE/Journaliseret' (no control characters, '*' or '%'), got {name!r}"
                )
        names = [getattr(self, key).casefold() for key in _FOLDER_KEYS]
        for index, key in enumerate(_FOLDER_KEYS):
            if names[index] in names[:index]:
                raise self._fail(key, "a folder of its own: folder, filed_folder and escalated_folder must differ")

    def _check_times(self) -> None:
        fail = self._fail
        if not 0 < self.idle_renew_seconds < IDLE_LIMIT_SECONDS:
            expected = f"a number of seconds above 0 and below {IDLE_LIMIT_SECONDS} (29 minutes)"
            raise fail("idle_renew_seconds", f"{expected}, got {self.idle_renew_seconds!r}")
        for key in ("timeout_seconds", "poll_seconds"):
            if not 0 < getattr(self, key) <= HOUR_SECONDS:
                raise fail(key, f"a number of seconds above 0 and up to {HOUR_SECONDS:.0f} (an hour), "
                                f"got {getattr(self, key)!r}")
        if not 0 <= self.busy_check_seconds <= BUSY_CHECK_LIMIT_SECONDS:
            raise fail("busy_check_seconds", f"a number of seconds from 0 (off) to {BUSY_CHECK_LIMIT_SECONDS:.0f}, "
                                             f"got {self.busy_check_seconds!r}")
        if not 0 <= self.busy_seconds <= HOUR_SECONDS:
            raise fail("busy_seconds", f"a number of seconds from 0 to {HOUR_SECONDS:.0f} (an hour), "
                                       f"got {self.busy_seconds!r}")
        if not 1 <= self.reconnect_max_seconds <= HOUR_SECONDS:
            raise fail("reconnect_max_seconds", f"a number of seconds from 1 to {HOUR_SECONDS:.0f} (an hour), "
                                                f"got {self.reconnect_max_seconds!r}")

    def _fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.section}.{key}", expected, self.source)

    @classmethod
    def from_table(
        cls, name: str, table: Any, file_for_errors: str, *, base_dir: Path | None = None
    ) -> ImapMailboxConfig:
        """Read the `[ingress.imap.<name>]` table; unknown keys, missing keys and wrong types are
        ConfigError naming the file and the key. A relative ca_file is taken from `base_dir` when given."""
        section = f"ingress.imap.{name}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(section, "a mailbox name of letters, digits, '_', '.' or '-'", file_for_errors)
        if not isinstance(table, dict):
            raise ConfigError(section, "a table", file_for_errors)
        known = [f.name for f in fields(cls) if f.name not in ("source", "section")]
        for key in table:
            if key not in known:
                raise ConfigError(
                    f"{section}.{key}", f"no such setting (known: {', '.join(sorted(known))})", file_for_errors
                )
        for key in _REQUIRED:
            if key not in table:
                raise ConfigError(f"{section}.{key}", "a value (this key is required)", file_for_errors)
        values = {
            key: _typed(key, value, f"{section}.{key}", file_for_errors, base_dir) for key, value in table.items()
        }
        return cls(**values, source=file_for_errors, section=section)


def _typed(key: str, value: Any, dotted: str, file: str, base_dir: Path | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(dotted, f"{expected}, got {value!r}", file)

    if key in ("host", "username", "security", "auth", "password_env", *_FOLDER_KEYS):
        return values.text(value, fail)
    if key == "port":
        return values.whole_number(value, fail, "a port number")
    if key in ("idle_renew_seconds", "timeout_seconds", "poll_seconds", "reconnect_max_seconds",
               "busy_check_seconds", "busy_seconds"):
        return values.seconds(value, fail)
    if key in ("idle", "trusted_channel"):
        return values.flag(value, fail)
    if key == "ca_file":
        return values.path(value, fail, base_dir)
    if key == "token_command":
        return _command_line(value, fail)
    raise fail("a known setting")  # unreachable: from_table checked the keys


def _command_line(value: Any, fail: Any) -> tuple[str, ...]:
    """A command as a list of arguments, or as one string split like a shell would (no shell runs it)."""
    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError:
            raise fail("a command line with balanced quotes") from None
    elif isinstance(value, list) and all(isinstance(part, str) for part in value):
        parts = list(value)
    else:
        raise fail("a command line: a string or a list of strings")
    if not parts or not all(parts):
        raise fail("a non-empty command line")
    return tuple(parts)
