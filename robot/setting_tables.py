"""Loads the settings with every adapter table in them checked: the one loader every command uses."""

from __future__ import annotations

from pathlib import Path

from robot.archive.registry import check_table
from robot.config_error import ConfigError
from robot.desk_config import desk_config
from robot.ingress.imap_config import ImapMailboxConfig
from robot.ingress.smtp_config import SmtpListenerConfig
from robot.notify.smtp import SmtpConfig
from robot.private_files import FileModes, group_id
from robot.settings import GIB, Settings, read_settings
from robot.smime_config import smime_keys

SMTP_MAX_MESSAGE_BYTES = GIB  # the most the listener may hold (robot.ingress.smtp_config: aiosmtpd keeps it in memory)


def load_settings(path: Path | None) -> Settings:
    """Read `path` (None: embedded defaults) and check every section, the adapter tables too, so every command
    refuses a bad file alike. Relative paths in it are taken from the file's folder. Raises ConfigError."""
    settings = read_settings(path)
    check_tables(settings)
    return settings


def check_tables(settings: Settings) -> None:
    """Read every adapter table once, so a wrong one fails every command that loads the settings, not only `run`."""
    file_modes(settings)
    smtp_listener(settings)
    imap_mailboxes(settings)
    notice_smtp(settings)
    desk_config(settings)  # [web]: the users file, the session secret, TLS
    smime_keys(settings)  # [smime]: each key owner-only and opened with its passphrase, now, not at the first mail
    for adapter in ("folder", "http", "getorganized", "nova", "sbsys"):
        if adapter == settings.archive.adapter or archive_table(settings, adapter):
            try:
                check_table(adapter, archive_table(settings, adapter), settings.base_dir)
            except ConfigError as error:
                raise error.located(settings.source, f"archive.{adapter}.") from None


def file_modes(settings: Settings) -> FileModes:
    """The modes of the files the robot writes: owner-only, or owner and `files.group` when one is set."""
    group = settings.files.group
    if not group:
        return FileModes()
    try:
        return FileModes(group_id(group))
    except (KeyError, OverflowError):
        raise ConfigError("files.group", f"a group that exists on this machine, got {group!r}",
                          settings.source) from None


def smtp_listener(settings: Settings) -> SmtpListenerConfig | None:
    """The `[ingress.smtp]` listener, or None when `smtp_enabled = false`."""
    if not settings.ingress.smtp_enabled:
        return None
    mail_limit = settings.limits.mail_max_bytes
    table = settings.ingress.smtp
    if "max_message_bytes" not in table:  # a quarter over the mail limit: a mail a little too large is taken in
        table = {**table, "max_message_bytes": min(mail_limit + mail_limit // 4, SMTP_MAX_MESSAGE_BYTES)}
    listener = SmtpListenerConfig.from_table(table, settings.source, base_dir=settings.base_dir)
    if listener.max_message_bytes < mail_limit:
        raise ConfigError(
            "ingress.smtp.max_message_bytes",
            f"at least limits.mail_max_bytes = {mail_limit} (or leave it out: then a quarter more than that), so "
            f"the listener does not refuse mails the robot would read, got {listener.max_message_bytes}",
            settings.source)
    return listener


def imap_mailboxes(settings: Settings) -> dict[str, ImapMailboxConfig]:
    """Each `[ingress.imap.<name>]` mailbox by name."""
    return {
        name: ImapMailboxConfig.from_table(name, table, settings.source, base_dir=settings.base_dir)
        for name, table in settings.ingress.imap.items()
    }


def notice_smtp(settings: Settings) -> SmtpConfig | None:
    """The `[notify.smtp]` relay, read when notices go by SMTP or the table is given; None otherwise."""
    notify = settings.notify
    if notify.transport != "smtp" and not notify.smtp:
        return None
    table = {"sender": notify.sender, **notify.smtp}
    return SmtpConfig.from_table(table, settings.source, base_dir=settings.base_dir)


def archive_table(settings: Settings, adapter: str | None = None) -> dict[str, object]:
    """The table of `adapter` (default: the configured one)."""
    chosen = adapter or settings.archive.adapter
    table: dict[str, object] = getattr(settings.archive, chosen)
    return table
