"""The daemon's scheduled jobs do what operators rely on: retry sweep, digest, retention, reload."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from robot.app import open_robot
from robot.daemon import Daemon
from robot.notify.digest import queue_digest
from robot.observe.metrics import Metrics
from robot.scheduler import build_scheduler
from robot.settings import ArchiveSettings, LedgerSettings, NotifySettings, RulesSettings, Settings
from robot.worker import process_message

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "samples" / "mail"


def settings_in(folder: Path) -> Settings:
    (folder / "archive").mkdir()
    shutil.copy(ROOT / "samples" / "cases.csv", folder / "cases.csv")
    return Settings(
        rules=RulesSettings(dir=ROOT / "rules"), ledger=LedgerSettings(path=folder / "ledger.sqlite3"),
        archive=ArchiveSettings(folder={"root": str(folder / "archive"), "register": str(folder / "cases.csv")}),
        notify=NotifySettings(outbox_dir=folder / "outbox"), base_dir=folder)


async def test_jobs_are_scheduled_without_overlap(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        scheduler = build_scheduler(Daemon(robot, Metrics()))
        scheduler.start(paused=True)
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
            assert {"retry-sweep", "reload", "digest", "retention"} <= set(jobs)
            assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
            assert (jobs["digest"].trigger.fields[5].expressions[0].first,
                    jobs["digest"].trigger.fields[6].expressions[0].first) == (7, 0)  # 07:00 local
        finally:
            scheduler.shutdown(wait=False)


async def test_digest_counts_open_escalations_by_reason_without_cpr(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        services = robot.services
        for name in ("09_ingen_vedhaeftning.eml", "16_lookalike_afsender.eml", "11_cpr_i_broedtekst_afviger.eml"):
            intake = services.ledger.accept((MAIL / name).read_bytes(), source="file")
            await process_message(intake.message_id, services)
        template = services.rules().templates["daily_digest"]
        assert queue_digest(services.ledger, template, services.operators, datetime.now(timezone.utc))
        digest = next(n for n in services.ledger.due_notices() if n.kind == "digest")
        assert "3 åbne eskaleringer" in digest.subject
        assert "no_pdf" in digest.body and "untrusted_sender" in digest.body and "cpr_conflict" in digest.body
        assert not re.search(r"(?<!\d)\d{6}-?\d{4}(?!\d)", digest.subject + digest.body)
        # once a day: the same day's digest is not queued twice
        queue_digest(services.ledger, template, services.operators, datetime.now(timezone.utc))
        assert sum(n.kind == "digest" for n in services.ledger.due_notices()) == 1


async def test_retention_removes_raw_mail_of_finished_messages_and_keeps_the_audit(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        services = robot.services
        intake = services.ledger.accept((MAIL / "01_tunnel_rn_en_pdf.eml").read_bytes(), source="file")
        await process_message(intake.message_id, services)
        daemon = Daemon(robot, Metrics())
        assert daemon.retention() == 0  # younger than retention_days
        object.__setattr__(services, "clock", lambda: datetime.now(timezone.utc) + timedelta(days=91))
        assert daemon.retention() == 1
        assert services.ledger.message(intake.message_id).raw is None
        assert [e.event for e in services.ledger.audit_trail(intake.message_id)][0] == "received"


async def test_retry_sweep_requeues_deferred_messages_when_due(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        services = robot.services
        intake = services.ledger.accept((MAIL / "01_tunnel_rn_en_pdf.eml").read_bytes(), source="file")
        services.ledger.defer(intake.message_id, datetime.now(timezone.utc) + timedelta(seconds=60), "archive away")
        daemon = Daemon(robot, Metrics())
        await daemon.sweep_deferred()
        assert daemon._queue.qsize() == 0
        object.__setattr__(services, "clock", lambda: datetime.now(timezone.utc) + timedelta(seconds=61))
        await daemon.sweep_deferred()
        assert daemon._queue.qsize() == 1
