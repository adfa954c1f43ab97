"""Wiring only: settings -> rules, ledger, parser pool, archive and notice transport -> the stages' Services."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING

import structlog

from robot import __version__
from robot.archive.base import CaseArchive
from robot.archive.config import ArchiveConfigError
from robot.archive.dry_run import DryRunArchive
from robot.archive.folder import RegisterError
from robot.archive.registry import build_archive
from robot.decisions.factors import factor_lines
from robot.decisions.holder import RulebookHolder
from robot.decisions.senders import SenderRules
from robot.extract.isolation import ParserPool
from robot.extract.reader import DocumentReader
from robot.ledger.base import Ledger
from robot.ledger.sqlite import SqliteLedger
from robot.notify.outbox import OutboxFolderTransport
from robot.notify.smtp import SmtpConfig, SmtpTransport
from robot.notify.transport import NoticeTransport
from robot.privacy import mask_cpr_text
from robot.rules.rulefile import RuleFileError
from robot.settings import Settings, SettingsError
from robot.stages.work import OPERATOR_CHANNEL, RetryPolicy, Services

if TYPE_CHECKING:
    from robot.daemon import Daemon

log = structlog.get_logger(__name__)

# How often the rule files are looked at for changes (a stat of each file), at most.
RULES_CHECK_SECONDS = 1.0


@dataclass
class Robot:
    """The wired robot: what the commands and the daemon use."""

    settings: Settings
    services: Services
    transport: NoticeTransport | None  # None in a dry run: nothing is sent
    rules: RulebookHolder


@asynccontextmanager
async def open_robot(settings: Settings, *, dry_run: bool = False) -> AsyncIterator[Robot]:
    """Build every part from the settings; close them all on the way out, whatever happens."""
    ledger: Ledger = SqliteLedger(":memory:" if dry_run else settings.ledger.path)
    archive: CaseArchive | None = None
    transport: NoticeTransport | None = None
    try:
        rules = RulebookHolder(settings.rules.dir, on_refused=lambda error: _tell_operators(ledger, settings, error),
                               check_every=RULES_CHECK_SECONDS)
        real_archive = build_archive(settings.archive.adapter, _archive_table(settings), settings.base_dir)
        archive = DryRunArchive(real_archive) if dry_run else real_archive
        transport = None if dry_run else _transport(settings)
        with ParserPool(settings.limits, workers=settings.extract.workers) as pool:
            reader = DocumentReader(pool, lambda: rules.current().catalogue)
            retry = settings.retry
            services = Services(
                ledger=ledger, reader=reader, rules=rules.current, archive=archive, limits=settings.limits,
                robot_version=__version__, operators=settings.notify.operators,
                retry=RetryPolicy(retry.first_seconds, retry.max_seconds, retry.max_attempts),
                trusted_channels=trusted_channels(settings),
            )
            yield Robot(settings=settings, services=services, transport=transport, rules=rules)
    finally:
        if transport is not None:
            await transport.close()
        if archive is not None:
            await archive.close()
        ledger.close()


def trusted_channels(settings: Settings) -> frozenset[tuple[str, str]]:
    """The (source, mailbox) pairs declared `trusted_channel = true`, and the operator's own `process` of bare PDFs.
    Only the flag is read here; `run` checks the rest of each ingress table."""
    config = str(settings.base_dir / "config")
    channels = {OPERATOR_CHANNEL}
    smtp = settings.ingress.smtp
    if settings.ingress.smtp_enabled and _flag(smtp, "trusted_channel", "ingress.smtp", config):
        channels.add(("smtp", str(smtp.get("name", "smtp"))))
    for name, table in settings.ingress.imap.items():
        if isinstance(table, dict) and _flag(table, "trusted_channel", f"ingress.imap.{name}", config):
            channels.add(("imap", name))
    return frozenset(channels)


async def describe_factors(settings: Settings, senders: SenderRules) -> list[str]:
    """The safety factors these settings and rules give, asking the configured archive whether it knows names."""
    archive: CaseArchive | None = None
    name_source: str | None = None
    problem: str | None = None
    try:
        archive = build_archive(settings.archive.adapter, _archive_table(settings), settings.base_dir)
        name_source = await asyncio.to_thread(archive.name_source)
    except (ArchiveConfigError, RegisterError) as error:
        problem = mask_cpr_text(str(error))
    finally:
        if archive is not None:
            await archive.close()
    return factor_lines(senders, trusted_channels(settings), name_source, problem)


def _flag(table: dict[str, object], key: str, section: str, config: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise SettingsError(config, f"{section}.{key}", f"true or false, got {value!r}")
    return value


def _archive_table(settings: Settings) -> dict[str, object]:
    return settings.archive.folder if settings.archive.adapter == "folder" else settings.archive.http


def _transport(settings: Settings) -> NoticeTransport:
    notify = settings.notify
    if notify.transport == "smtp":
        table = {"sender": notify.sender, **notify.smtp}
        return SmtpTransport(SmtpConfig.from_table(table, str(settings.base_dir / "config"), base_dir=settings.base_dir))
    domain = parseaddr(notify.sender)[1].rsplit("@", 1)[-1] or "localhost"
    return OutboxFolderTransport(notify.outbox_dir, notify.sender, domain)


def _tell_operators(ledger: Ledger, settings: Settings, error: RuleFileError) -> None:
    """A rule change that does not validate is refused; the operators are told what is wrong."""
    problems = "\n".join(mask_cpr_text(str(problem)) for problem in error.problems)
    key = "rules-refused:" + hashlib.sha256(problems.encode()).hexdigest()[:16]
    body = ("Lægerobotten har afvist en ændring af regelfilerne. De hidtidige regler gælder stadig.\n\n"
            f"{problems}\n\nRet filerne og kontrollér dem med: lae-robot check-rules\n")
    ledger.enqueue_notice(key, "rules", settings.notify.operators, "Lægerobotten: ændrede regelfiler afvist", body)


def attach_ingresses(daemon: Daemon, settings: Settings, config_name: str) -> None:
    """The configured SMTP listener and IMAP mailboxes, handing mail to the daemon's accept callback."""
    from robot.ingress.smtp import SmtpIngress
    from robot.ingress.smtp_config import SmtpConfigError, SmtpListenerConfig

    try:
        if settings.ingress.smtp_enabled:
            smtp = SmtpListenerConfig.from_table(settings.ingress.smtp, config_name, base_dir=settings.base_dir)
            daemon.listener = SmtpIngress(smtp, daemon.accept)
    except SmtpConfigError as error:
        raise SettingsError(error.file, error.key, error.expected) from None
    if settings.ingress.imap:
        _attach_mailboxes(daemon, settings, config_name)


def _attach_mailboxes(daemon: Daemon, settings: Settings, config_name: str) -> None:
    from robot.ingress.imap import ImapIngress
    from robot.ingress.imap_config import ImapConfigError, ImapMailboxConfig

    try:
        for name, table in settings.ingress.imap.items():
            mailbox = ImapMailboxConfig.from_table(name, table, config_name, base_dir=settings.base_dir)
            daemon.mailboxes[name] = ImapIngress(name, mailbox, daemon.accept, daemon.outcome_of)
    except ImapConfigError as error:
        raise SettingsError(error.file, error.key, error.expected) from None
