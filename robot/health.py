"""The daemon's health in one report: every check, which problems make it failing or degraded, and its gauges."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from robot.archive.base import CaseArchive
from robot.archive.registry import read_folder_table
from robot.ledger.base import Ledger
from robot.observe.http import HealthReport
from robot.observe.metrics import Metrics
from robot.privacy import mask_cpr_text
from robot.private_files import audit
from robot.setting_tables import archive_table, file_modes
from robot.settings import Settings

MIB = 1024 * 1024
# A notice given up is reported this long (nobody can un-give it up; the operators were told in the digest).
OUTBOX_FAILED_WINDOW = timedelta(days=1)


def _when(moment: datetime | None) -> str:
    """A moment for /healthz and `status`: UTC, to the second, as ISO 8601 (machines read it)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else "never"


def audit_file_modes(settings: Settings) -> list[str]:
    """The files holding personal data that more people may read than the settings allow: the ledger and its
    -wal, -shm and -journal, the outbox's files, the folder archive's case folders and documents. Never changed,
    only reported (by /healthz and `status`): a wider mode may be an operator's deliberate choice."""
    ledger = settings.ledger.path
    files = [ledger, *(Path(f"{ledger}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]
    trees = [settings.notify.outbox_dir]
    if settings.archive.adapter == "folder":  # the table was checked when the settings were loaded
        trees.append(read_folder_table(archive_table(settings), settings.base_dir).root)
    return audit(file_modes(settings), files, trees)


class Connected(Protocol):
    @property
    def connected(self) -> bool: ...


class RulesState(Protocol):
    problem: str | None
    loaded_at: datetime
    refused_at: datetime | None

    def current(self) -> object: ...


class HealthCheck:
    """Judges the parts the daemon runs on. The file-mode audit walks folders, so it is run by `audit_files` (at
    start and by the reload job, in a thread) and its last findings are reported, not redone per request."""

    def __init__(self, *, ledger: Ledger, archive: CaseArchive, rules: RulesState, mailboxes: Mapping[str, Connected],
                 metrics: Metrics, min_free_bytes: int, clock: Callable[[], datetime],
                 audit: Callable[[], list[str]]) -> None:
        self._ledger, self._archive, self._rules, self._mailboxes = ledger, archive, rules, mailboxes
        self._metrics, self._min_free, self._clock, self._audit = metrics, min_free_bytes, clock, audit
        self.file_findings: list[str] = []

    def count_escalations(self) -> None:
        """Set the open-escalation gauges from the ledger (one query): after each mail handled, each decision
        taken at the desk, and by the reload job (a decision taken by `lae-robot escalations` elsewhere)."""
        try:
            summary = self._ledger.open_escalations()
        except Exception:  # the ledger's own failure is judged by report(); the gauges keep their last values
            return
        self._metrics.open_escalations(summary.by_reason, summary.oldest)

    async def audit_files(self) -> None:
        """Look at the modes of the files holding personal data again (reported, never changed)."""
        self.file_findings = await asyncio.to_thread(self._audit)

    async def report(self, workers_alive: int, queued: int) -> HealthReport:
        checks: dict[str, str] = {}
        failing: list[str] = []
        degraded: list[str] = []
        try:
            outbox = self._ledger.outbox_trouble(self._clock() - OUTBOX_FAILED_WINDOW)
            checks["ledger"] = "ok"
        except Exception as error:  # any ledger failure makes the robot unhealthy
            outbox = (0, 0)
            checks["ledger"] = f"failing: {type(error).__name__}"
            failing.append(f"ledger: {type(error).__name__}")
        checks["workers"] = f"{workers_alive} running"
        if workers_alive == 0:
            failing.append("workers: none running")
        await self._judge_archive(checks, degraded)
        self._judge_rules(checks, degraded)
        for name, mailbox in self._mailboxes.items():
            checks[f"imap:{name}"] = "connected" if mailbox.connected else "disconnected"
            if not mailbox.connected:
                degraded.append(f"imap:{name}: disconnected")
        given_up, retrying = outbox
        self._metrics.outbox_failed(given_up, retrying)
        checks["outbox"] = f"{given_up} given up in the last day, {retrying} retrying after a failure"
        if given_up or retrying:
            degraded.append(f"outbox: {checks['outbox']}")
        checks["files"] = "ok" if not self.file_findings else f"{len(self.file_findings)} too widely readable"
        degraded.extend(f"files: {finding}" for finding in self.file_findings)
        checks["queue"] = str(queued)
        self.count_escalations()
        report = HealthReport(checks, tuple(failing), tuple(degraded))
        self._metrics.health(report.state)
        return report

    def _judge_rules(self, checks: dict[str, str], degraded: list[str]) -> None:
        rules = self._rules
        rules.current()  # a changed rule file is read (and refused or taken) now
        self._metrics.rules(rules.problem is not None, rules.loaded_at, rules.refused_at)
        loaded = f"loaded {_when(rules.loaded_at)}"
        if rules.problem:
            checks["rules"] = f"{rules.problem} (refused {_when(rules.refused_at)}; rules in force {loaded})"
            degraded.append(f"rules: {rules.problem}")
        else:
            checks["rules"] = f"ok, {loaded}"

    async def _judge_archive(self, checks: dict[str, str], degraded: list[str]) -> None:
        health = await self._archive.health()
        detail = mask_cpr_text(health.detail)
        checks["archive"] = "ok" if health.ok else f"failing: {detail}"
        if not health.ok:
            degraded.append(f"archive: {detail}")
        register = health.register
        if register is not None:
            self._metrics.register(register.rows, register.problem is not None, register.read_at)
            read = f"{register.rows} cases, read {_when(register.read_at)}" if register.read_at else "none in force"
            if register.problem:
                problem = mask_cpr_text(register.problem)
                checks["register"] = f"{problem} ({read})"
                nothing_filed = "" if register.read_at else "; nothing is filed, mails wait (deferred) until it appears"
                degraded.append(f"register: {problem}{nothing_filed}")
            else:
                checks["register"] = read
        if health.free_bytes is None:
            return
        self._metrics.archive_free_bytes(health.free_bytes)
        checks["archive_free"] = f"{health.free_bytes // MIB} MiB free (floor {self._min_free // MIB} MiB)"
        if health.free_bytes < self._min_free:
            degraded.append(f"archive disk: {health.free_bytes // MIB} MiB free, below the floor of "
                            f"{self._min_free // MIB} MiB (observe.archive_min_free_mb)")
