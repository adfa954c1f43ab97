"""Wiring only: settings -> rules, ledger, parser pool, archive and notice transport -> the stages' Services."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from robot import __version__
from robot.archive.base import CaseArchive
from robot.archive.dry_run import DryRunArchive
from robot.archive.folder import RegisterError
from robot.archive.registry import build_archive, request_export
from robot.archive.request_export import RequestExport
from robot.clock import configured_clock
from robot.config_error import ConfigError
from robot.decisions.factors import factor_lines
from robot.decisions.holder import RulebookHolder
from robot.decisions.senders import SenderRules
from robot.extract.isolation import ParserPool
from robot.extract.ocr import describe_ocr
from robot.extract.reader import DocumentReader
from robot.ledger.base import Ledger
from robot.ledger.records import NoticeKind
from robot.ledger.sqlite import SqliteLedger
from robot.model import RetryPolicy
from robot.notify.outbox import OutboxFolderTransport
from robot.notify.smtp import SmtpTransport
from robot.notify.transport import NoticeTransport
from robot.privacy import mask_cpr_text
from robot.private_files import FileModes
from robot.rules.rulefile import RuleFileError
from robot.setting_tables import archive_table, file_modes, imap_mailboxes, notice_smtp, smtp_listener
from robot.settings import Settings, fhir_folder_path
from robot.smime_config import smime_keys
from robot.stages.work import OPERATOR_CHANNEL, Services

if TYPE_CHECKING:
    from robot.daemon import Daemon

log = structlog.get_logger(__name__)

# How often the rule files are looked at for changes (a stat of each file), at most.
RULES_CHECK_SECONDS = 1.0
# A notice the relay could not take is tried again after this, doubling up to the cap, notify.max_attempts times.
NOTICE_FIRST_SECONDS, NOTICE_MAX_SECONDS = 60.0, 3600.0


@dataclass
class Robot:
    """The wired robot: what the commands and the daemon use."""

    settings: Settings
    services: Services
    transport: NoticeTransport | None  # None in a dry run: nothing is sent
    rules: RulebookHolder
    notice_backoff: RetryPolicy  # sending notices: the same doubling as the archive's, capped by notify.max_attempts


@asynccontextmanager
async def open_robot(settings: Settings, *, dry_run: bool = False) -> AsyncIterator[Robot]:
    """Build every part from the settings; close them all on the way out, whatever happens."""
    ledger = _open_ledger(settings, dry_run)
    archive: CaseArchive | None = None
    transport: NoticeTransport | None = None
    try:
        rules = RulebookHolder(settings.rules.dir, on_refused=lambda error: _tell_operators(ledger, settings, error),
                               check_every=RULES_CHECK_SECONDS)
        real_archive = build_configured_archive(settings)
        archive = DryRunArchive(real_archive) if dry_run else real_archive
        transport = None if dry_run else _transport(settings)
        with ParserPool(settings.limits, workers=settings.extract.workers, smime=smime_keys(settings),
                        ocr=settings.extract.ocr_options()) as pool:
            reader = DocumentReader(pool, lambda: rules.current().catalogue, ocr=settings.extract.ocr)
            retry = settings.retry
            services = Services(
                ledger=ledger, reader=reader, rules=rules.current, archive=archive, limits=settings.limits,
                robot_version=__version__, operators=settings.notify.operators,
                retry=RetryPolicy(retry.first_seconds, retry.max_seconds, retry.max_attempts),
                trusted_channels=trusted_channels(settings), clock=configured_clock(),
                request_export=configured_request_export(settings, real_archive),
                # a dry run answers nobody: no MedCom Acknowledgement is written
                acknowledgement_dir=None if dry_run else fhir_folder_path(settings, "acknowledgement_dir"),
                file_modes=file_modes(settings),
            )
            notice_backoff = RetryPolicy(NOTICE_FIRST_SECONDS, NOTICE_MAX_SECONDS, settings.notify.max_attempts)
            yield Robot(settings=settings, services=services, transport=transport, rules=rules,
                        notice_backoff=notice_backoff)
    finally:
        if transport is not None:
            await transport.close()
        if archive is not None:
            await archive.close()
        ledger.close()


def trusted_channels(settings: Settings) -> frozenset[tuple[str, str]]:
    """The (source, mailbox) pairs declared `trusted_channel = true`, and the operator's own `process` of bare PDFs."""
    channels = {OPERATOR_CHANNEL}
    listener = smtp_listener(settings)
    if listener is not None and listener.trusted_channel:
        channels.add(("smtp", listener.name))
    channels.update(("imap", name) for name, mailbox in imap_mailboxes(settings).items() if mailbox.trusted_channel)
    return frozenset(channels)


def build_configured_archive(settings: Settings) -> CaseArchive:
    """The configured archive adapter; its errors name the config file and the full key (archive.folder.root)."""
    adapter = settings.archive.adapter
    try:
        return build_archive(adapter, archive_table(settings), settings.base_dir, modes=file_modes(settings))
    except ConfigError as error:
        raise error.located(settings.source, f"archive.{adapter}.") from None


def configured_request_export(settings: Settings, archive: CaseArchive) -> RequestExport | None:
    """The case system's export of requests sent (the folder archive's `requests`, the HTTP archive's `requests`
    call made by `archive`, the configured one), its errors located."""
    adapter = settings.archive.adapter
    try:
        return request_export(adapter, archive_table(settings), settings.base_dir, archive)
    except ConfigError as error:
        raise error.located(settings.source, f"archive.{adapter}.") from None


async def describe_factors(settings: Settings, senders: SenderRules) -> list[str]:
    """The safety factors these settings and rules give, asking the configured archive whether it knows names."""
    archive: CaseArchive | None = None
    name_source: str | None = None
    problem: str | None = None
    try:
        archive = build_configured_archive(settings)
        name_source = await asyncio.to_thread(archive.name_source)
    except (ConfigError, RegisterError) as error:
        problem = mask_cpr_text(str(error))
    finally:
        if archive is not None:
            await archive.close()
    ocr = await asyncio.to_thread(describe_ocr, settings.extract.ocr_options())
    return [*factor_lines(senders, trusted_channels(settings), name_source, problem), ocr]


def _open_ledger(settings: Settings, dry_run: bool) -> Ledger:
    """The SQLite ledger (in memory for a dry run); a path that cannot be opened is named as the setting it is."""
    try:
        return SqliteLedger(":memory:" if dry_run else settings.ledger.path, file_modes(settings))
    except (sqlite3.Error, OSError) as error:
        raise ConfigError("ledger.path", f"a writable SQLite file, {settings.ledger.path} cannot be opened "
                                         f"({getattr(error, 'strerror', None) or error})", settings.source) from None


def _writable_folder(folder: Path, key: str, source: str, modes: FileModes) -> Path:
    """`folder`, created with `modes` if missing; a start-up fault (not a writable folder) is named as the setting
    it is."""
    try:
        modes.make_dir(folder)
    except OSError as error:
        raise ConfigError(key, f"a writable folder, {folder} cannot be made ({error.strerror})", source) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(key, f"a writable folder, {folder} is not writable", source)
    return folder


def _transport(settings: Settings) -> NoticeTransport:
    notify = settings.notify
    relay = notice_smtp(settings)
    if notify.transport == "smtp" and relay is not None:
        return SmtpTransport(relay)
    domain = parseaddr(notify.sender)[1].rsplit("@", 1)[-1] or "localhost"
    modes = file_modes(settings)
    return OutboxFolderTransport(_writable_folder(notify.outbox_dir, "notify.outbox_dir", settings.source, modes),
                                 notify.sender, domain, modes=modes)


def _tell_operators(ledger: Ledger, settings: Settings, error: RuleFileError) -> None:
    """A rule change that does not validate is refused; the operators are told what is wrong."""
    problems = "\n".join(mask_cpr_text(str(problem)) for problem in error.problems)
    key = "rules-refused:" + hashlib.sha256(problems.encode()).hexdigest()[:16]
    body = ("Lægerobotten har afvist en ændring af regelfilerne. De hidtidige regler gælder stadig.\n\n"
            f"{problems}\n\nRet filerne og kontrollér dem med: lae-robot check-rules\n")
    ledger.enqueue_notice(key, NoticeKind.RULES, settings.notify.operators, "Lægerobotten: ændrede regelfiler afvist", body)


def attach_ingresses(daemon: Daemon, settings: Settings) -> None:
    """The configured SMTP listener and IMAP mailboxes, handing mail to the daemon's accept callback."""
    from robot.ingress.imap import ImapIngress
    from robot.ingress.smtp import SmtpIngress

    listener = smtp_listener(settings)
    if listener is not None:
        daemon.listener = SmtpIngress(listener, daemon.accept, on_limit=daemon.metrics.smtp_limited)
    for name, mailbox in imap_mailboxes(settings).items():
        daemon.mailboxes[name] = ImapIngress(name, mailbox, daemon.accept, daemon.outcome_of,
                                             on_connection=daemon.metrics.imap_connected)
    drop = fhir_folder_path(settings, "drop_dir")
    if drop is not None:
        from robot.ingress.fhir_folder import FhirFolder, FhirFolderIngress

        if not drop.is_dir():
            raise ConfigError("fhir.drop_dir", f"a folder that exists, {drop} is none", settings.source)
        daemon.folders.append(FhirFolderIngress(
            FhirFolder(drop, settings.fhir.poll_seconds, settings.fhir.settle_seconds, settings.limits.mail_max_bytes),
            daemon.accept))


def attach_desk(daemon: Daemon, settings: Settings, robot: Robot) -> None:
    """The review desk in the browser, when `[web] enabled`: served by the daemon, on the robot's own services."""
    from robot.desk_config import desk_config

    config = desk_config(settings)
    if config is not None:
        from robot.web.server import DeskServer  # only then: the desk's modules cost a start 0.4 s of CPU

        daemon.desk = DeskServer(config, robot.services, settings.ledger.path, daemon.decision_taken)
