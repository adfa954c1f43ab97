"""The one configuration loader: typed, frozen settings from one TOML file, every section and number checked."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from robot.config_error import ConfigError
from robot.model import MAIL_HEADROOM_BYTES, Limits, OcrOptions, mail_bytes_to_carry

EMBEDDED = "(embedded defaults)"  # the file named in errors when no config file is given
KIB, MIB, GIB = 1024, 1024 * 1024, 1024 * 1024 * 1024
DAY = 86400.0

# Every number in the settings, by its full key: it must be above 0 and at most this. A value outside (or nan,
# inf) is refused at start-up with the key named, instead of growing the daemon or timing out every PDF.
UPPER_BOUNDS: dict[str, float] = {
    "extract.workers": 64,
    "extract.ocr_pages": 20,
    "extract.ocr_dpi": 600,
    "extract.ocr_seconds": 3600.0,
    "limits.pdf_seconds": 3600.0,
    "limits.pdf_memory_mb": 64 * KIB,
    "limits.pdf_max_bytes": GIB,
    "limits.pdf_max_pages": 100_000,
    "limits.mail_max_bytes": GIB,
    "limits.mail_seconds": 3600.0,
    "limits.mail_max_parts": 100_000,
    "limits.mail_max_depth": 100,
    "limits.mail_max_pdfs": 10_000,
    "limits.zip_max_members": 100_000,
    "limits.zip_max_total_bytes": 16 * GIB,
    "limits.zip_max_ratio": 10_000,
    "notify.max_attempts": 1000,
    "retry.first_seconds": DAY,
    "retry.max_seconds": 7 * DAY,
    "retry.max_attempts": 1000,
    "observe.port": 65535,
    "observe.archive_min_free_mb": 1024 * 1024,  # 1 TiB
    "schedule.sweep_seconds": DAY,
    "schedule.reload_seconds": DAY,
    "schedule.requests_seconds": DAY,
    "schedule.retention_days": 36500,
    "daemon.workers": 1000,
    "daemon.drain_seconds": 3600.0,
    "web.port": 65535,
    "web.session_minutes": 7 * 24 * 60,
    "web.max_pages": 500,
    "fhir.poll_seconds": DAY,
    "fhir.settle_seconds": 3600.0,
}
# Strings with a shape, by full key: the pattern and what is expected.
SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "schedule.digest_time": (re.compile(r"([01]\d|2[0-3]):[0-5]\d"), "a time HH:MM"),
    "extract.ocr_language": (re.compile(r"[a-z_]{3,16}(\+[a-z_]{3,16}){0,3}"),
                             "Tesseract language codes such as \"dan\" or \"dan+eng\""),
}



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
    # a PDF without a text layer (a scan) is read with Tesseract, in the parser processes, for a suggestion a person
    # confirms: it stays no_text_layer, never filed by OCR alone. On by default: it files nothing, and without the
    # tesseract program the escalation says so (tesseract_missing).
    ocr: bool = True
    ocr_language: str = "dan"  # Tesseract language data (Debian: tesseract-ocr-dan)
    ocr_pages: int = 2  # the first pages read
    ocr_dpi: int = 300
    ocr_seconds: float = 120.0  # wall-clock limit for one scan, every page together -> no suggestion (ocr_timeout)

    def ocr_options(self) -> OcrOptions:
        return OcrOptions(enabled=self.ocr, pages=self.ocr_pages, dpi=self.ocr_dpi, seconds=self.ocr_seconds,
                          language=self.ocr_language)


@dataclass(frozen=True)
class LedgerSettings:
    path: Path = Path("var/ledger.sqlite3")


@dataclass(frozen=True)
class FilesSettings:
    """Who may read the files the robot writes (ledger, archive, outbox): the owner only (0600, folders 0700), or
    with `group` set, also that group (0640, 0750)."""

    group: str = ""  # a group name (or number) on this machine; empty: owner only


@dataclass(frozen=True)
class ArchiveSettings:
    """Which case-archive adapter files documents, and each adapter's own table (checked by the adapter)."""

    adapter: Literal["folder", "http", "getorganized", "nova", "sbsys"] = "folder"
    folder: dict[str, Any] = field(default_factory=lambda: {"root": "var/archive", "register": "var/cases.csv"})
    http: dict[str, Any] = field(default_factory=dict)
    getorganized: dict[str, Any] = field(default_factory=dict)
    nova: dict[str, Any] = field(default_factory=dict)
    sbsys: dict[str, Any] = field(default_factory=dict)


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
    archive_min_free_mb: int = 1024  # /healthz is degraded when the archive's disk has less free space than this


@dataclass(frozen=True)
class ScheduleSettings:
    """The daemon's periodic jobs."""

    sweep_seconds: float = 30.0  # deferred messages and the outbox
    reload_seconds: float = 30.0  # rules and case register
    digest_time: str = "07:00"  # daily digest of open escalations, local time HH:MM
    retention_days: int = 90  # raw mail of finished messages is deleted after this; the audit stays
    requests_seconds: float = 300.0  # late requests are looked for (and told once each) this often


@dataclass(frozen=True)
class WebSettings:
    """The review desk in the browser, served by the daemon: sign-in from a users file, sessions in signed cookies."""

    enabled: bool = False  # config.example.toml turns it on (loopback, the sample users file)
    host: str = "127.0.0.1"  # anything but loopback needs tls_cert/tls_key, or cookie_secure = "always" behind TLS
    port: int = 8470
    users_file: Path = Path("web-users.toml")  # name, role, team, scrypt hash (python -m robot.web.users)
    secret_env: str = "LAE_WEB_SECRET"  # the session-signing secret; else secret_file; else a random one per start
    secret_file: str = ""  # a file only its owner may read ("" none), relative to the config file
    session_minutes: int = 480  # a sign-in lasts this long
    cookie_secure: Literal["auto", "always", "never"] = "auto"  # auto: Secure when served over TLS
    tls_cert: str = ""  # PEM files ("" none): the desk speaks HTTPS
    tls_key: str = ""
    max_pages: int = 20  # pages of one document rendered as images, at most
    # sign-in through OpenID Connect (Microsoft Entra ID): "" for none; users file entries name their identity
    oidc_issuer: str = ""  # e.g. "https://login.microsoftonline.com/<tenant-id>/v2.0"
    oidc_client_id: str = ""
    oidc_client_secret_env: str = "LAE_WEB_OIDC_SECRET"
    oidc_redirect_url: str = ""  # this desk's callback as the provider knows it: https://HOST/login/oidc/svar
    oidc_claim: str = "preferred_username"  # the ID token's claim matched against `oidc` in the users file


@dataclass(frozen=True)
class SmimeSettings:
    """S/MIME secure mail: our certificates and keys to decrypt with (several at once during a key rollover) and
    the certificates signatures are verified against; checked and loaded by robot.smime_config."""

    # each { cert = "...pem", key = "...key", passphrase_env = "VAR" } (passphrase_env only for an encrypted key)
    keys: tuple[dict[str, Any], ...] = ()
    trust_anchors: tuple[str, ...] = ()  # PEM files of CA certificates, relative to the config file


@dataclass(frozen=True)
class FhirSettings:
    """MedCom FHIR CareCommunication intake: the folder a VANS provider drops message Bundles into (watched by the
    daemon when set) and the folder each received message's Acknowledgement is written to (none when unset)."""

    drop_dir: str = ""  # relative to the config file; "" no folder intake
    poll_seconds: float = 10.0
    settle_seconds: float = 2.0  # a dropped file changed more recently than this is left for the next poll
    acknowledgement_dir: str = ""  # relative to the config file; "" no Acknowledgements written


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
    files: FilesSettings = field(default_factory=FilesSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    ingress: IngressSettings = field(default_factory=IngressSettings)
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    web: WebSettings = field(default_factory=WebSettings)
    smime: SmimeSettings = field(default_factory=SmimeSettings)
    fhir: FhirSettings = field(default_factory=FhirSettings)
    # the folder relative paths in adapter tables are taken from (the config file's)
    base_dir: Path = field(default=Path("."), compare=False)
    source: str = field(default=EMBEDDED, compare=False)  # the file named in errors


def read_settings(path: Path | None) -> Settings:
    """Read `path` (None: embedded defaults) into typed settings, every number within its range. Relative paths in
    it are taken from the file's folder. Raises ConfigError. The adapter tables are checked by
    robot.setting_tables.load_settings, which every command uses."""
    if path is None:
        settings = Settings()
    else:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError("-", f"a readable TOML file ({error.strerror})", str(path)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError("-", f"valid TOML ({error})", str(path)) from None
        for computed in ("base_dir", "source"):
            if computed in data:
                raise ConfigError(computed, "no such setting (it is the config file's folder)", str(path))
        built: Settings = _build(Settings, data, str(path), "", path.parent)
        settings = replace(built, base_dir=path.parent, source=str(path))
    check_limits_agree(settings.limits, settings.source)
    return settings


def check_limits_agree(limits: Limits, file: str) -> None:
    """Refuse a mail limit that cannot carry a PDF of the PDF limit: such a certificate would end as mail_too_large
    however it is sent. Both stay settable (the mail limit also bounds mails of many PDFs); the error names both
    keys and the smallest mail limit that agrees."""
    needed = mail_bytes_to_carry(limits.pdf_max_bytes)
    if limits.mail_max_bytes < needed:
        raise ConfigError(
            "limits.mail_max_bytes",
            f"at least {needed} to carry a PDF of limits.pdf_max_bytes = {limits.pdf_max_bytes} in a mail (base64 "
            f"adds a third and a line break per 76 characters, plus {MAIL_HEADROOM_BYTES} for headers and text); "
            f"raise it or lower limits.pdf_max_bytes, got {limits.mail_max_bytes}", file)


def _build(cls: type, data: Any, file: str, prefix: str, base: Path) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip(".") or "-", "a table", file)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.compare}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}", f"no such setting (known: {', '.join(sorted(known))})", file)
    values = {key: _value(hints[key], data[key], file, f"{prefix}{key}", base) for key in data}
    return cls(**values)


def _value(hint: Any, value: Any, file: str, key: str, base: Path) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, file, f"{key}.", base)
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(key, f"one of {', '.join(map(repr, allowed))}, got {value!r}", file)
        return value
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(key, f"a path as a string, got {value!r}", file)
        return base / value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"true or false, got {value!r}", file)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= UPPER_BOUNDS[key]:
            raise ConfigError(key, f"a positive whole number up to {UPPER_BOUNDS[key]:.0f}, got {value!r}", file)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= UPPER_BOUNDS[key]:
            raise ConfigError(key, f"a positive number up to {UPPER_BOUNDS[key]:g}, got {value!r}", file)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"a string, got {value!r}", file)
        shape = SHAPES.get(key)
        if shape is not None and not shape[0].fullmatch(value):
            raise ConfigError(key, f"{shape[1]}, got {value!r}", file)
        return value
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, "a table", file)
        return value
    if typing.get_origin(hint) is tuple and typing.get_origin(typing.get_args(hint)[0]) is dict:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(key, f"a list of tables ({key} = [{{ ... }}, ...]), got {value!r}", file)
        return tuple(value)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(key, f"a list of strings, got {value!r}", file)
        return tuple(value)
    raise ConfigError(key, f"a value of type {hint}", file)


def fhir_folder_path(settings: Settings, key: Literal["drop_dir", "acknowledgement_dir"]) -> Path | None:
    """[fhir] drop_dir or acknowledgement_dir taken from the config file's folder, or None when unset."""
    value = getattr(settings.fhir, key)
    return settings.base_dir / value if value else None
