"""Typed, frozen settings read from one TOML file; unknown keys and wrong types are errors naming file and key."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from robot.model import Limits


class SettingsError(Exception):
    """A configuration problem, naming the file, the key and what was expected."""

    def __init__(self, file: str, key: str, expected: str):
        self.file, self.key, self.expected = file, key, expected
        super().__init__(f"{file}: {key}: {expected}")


@dataclass(frozen=True)
class LoggingSettings:
    format: Literal["json", "console"] = "console"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@dataclass(frozen=True)
class RulesSettings:
    dir: Path = Path("rules")


@dataclass(frozen=True)
class ExtractSettings:
    workers: int = 2  # parser processes: each mail and each PDF is read in one, in isolation


@dataclass(frozen=True)
class LedgerSettings:
    path: Path = Path("var/ledger.sqlite3")


@dataclass(frozen=True)
class ArchiveSettings:
    """Which case-archive adapter files documents, and each adapter's own table (checked by the adapter)."""

    adapter: Literal["folder", "http"] = "folder"
    folder: dict[str, Any] = field(default_factory=lambda: {"root": "var/archive", "register": "var/cases.csv"})
    http: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifySettings:
    """Who hears from the robot and how: an outbox folder of .eml files by default, SMTP when configured."""

    operators: tuple[str, ...] = ("lae-robot-drift@kommune.example",)
    sender: str = "Lægerobotten <lae-robot@kommune.example>"
    transport: Literal["outbox", "smtp"] = "outbox"
    outbox_dir: Path = Path("var/outbox")
    smtp: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 10


@dataclass(frozen=True)
class RetrySettings:
    """Backoff while the case archive is unavailable; after max_attempts: archive_unavailable."""

    first_seconds: float = 60.0
    max_seconds: float = 3600.0
    max_attempts: int = 8


@dataclass(frozen=True)
class IngressSettings:
    """Where mail comes in: an SMTP listener (on by default, loopback) and IMAP mailboxes by name."""

    smtp: dict[str, Any] = field(default_factory=lambda: {"host": "127.0.0.1", "port": 2525,
                                                          "accept_recipients": ["@localhost"]})
    smtp_enabled: bool = True
    imap: dict[str, Any] = field(default_factory=dict)  # name -> mailbox table


@dataclass(frozen=True)
class ObserveSettings:
    """The local /healthz and /metrics endpoint."""

    host: str = "127.0.0.1"
    port: int = 9187


@dataclass(frozen=True)
class ScheduleSettings:
    """The daemon's periodic jobs."""

    sweep_seconds: float = 30.0  # deferred messages and the outbox
    reload_seconds: float = 30.0  # rules and case register
    digest_time: str = "07:00"  # daily digest of open escalations, local time HH:MM
    retention_days: int = 90  # raw mail of finished messages is deleted after this; the audit stays


@dataclass(frozen=True)
class DaemonSettings:
    workers: int = 4  # messages processed at once: enough to keep the parser processes and the disk busy
    drain_seconds: float = 30.0  # on SIGTERM: finish in-flight work for at most this long


@dataclass(frozen=True)
class Settings:
    """The whole configuration; every section has embedded defaults."""

    logging: LoggingSettings = field(default_factory=LoggingSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    limits: Limits = field(default_factory=Limits)
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    ingress: IngressSettings = field(default_factory=IngressSettings)
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    # the folder relative paths in adapter tables are taken from (the config file's)
    base_dir: Path = field(default=Path("."), compare=False)


def load_settings(path: Path | None) -> Settings:
    """Read `path` (None: embedded defaults). Relative paths in it are taken from the file's folder."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(str(path), "-", f"a readable TOML file ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(str(path), "-", f"valid TOML ({error})") from None
    if "base_dir" in data:
        raise SettingsError(str(path), "base_dir", "no such setting (it is the config file's folder)")
    settings: Settings = _build(Settings, data, str(path), "", path.parent)
    return replace(settings, base_dir=path.parent)


def _build(cls: type, data: Any, file: str, prefix: str, base: Path) -> Any:
    if not isinstance(data, dict):
        raise SettingsError(file, prefix.rstrip(".") or "-", "a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in known:
            raise SettingsError(file, f"{prefix}{key}", f"no such setting (known: {', '.join(sorted(known))})")
    values = {key: _value(hints[key], data[key], file, f"{prefix}{key}", base) for key in data}
    return cls(**values)


def _value(hint: Any, value: Any, file: str, key: str, base: Path) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, file, f"{key}.", base)
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise SettingsError(file, key, f"one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise SettingsError(file, key, f"a path as a string, got {value!r}")
        return base / value
    if hint is bool:
        if not isinstance(value, bool):
            raise SettingsError(file, key, f"true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise SettingsError(file, key, f"a positive whole number, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise SettingsError(file, key, f"a positive number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SettingsError(file, key, f"a string, got {value!r}")
        return value
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise SettingsError(file, key, "a table")
        return value
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise SettingsError(file, key, f"a list of strings, got {value!r}")
        return tuple(value)
    raise SettingsError(file, key, f"a value of type {hint}")
