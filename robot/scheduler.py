"""The daemon's periodic jobs on one APScheduler: retry sweep, IMAP poll, reload, digest, retention."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from robot.daemon import Daemon
from robot.notify.compose import LOCAL_TIME
from robot.notify.digest import queue_digest
from robot.setting_tables import imap_mailboxes


def build_scheduler(daemon: Daemon) -> AsyncIOScheduler:
    """Jobs never overlap themselves (max_instances=1) and a missed run is coalesced into one."""
    settings = daemon.robot.settings
    schedule = settings.schedule
    scheduler = AsyncIOScheduler(timezone=LOCAL_TIME, job_defaults={"coalesce": True, "max_instances": 1,
                                                                     "misfire_grace_time": 60})
    scheduler.add_job(daemon.sweep_deferred, IntervalTrigger(seconds=schedule.sweep_seconds), id="retry-sweep")
    scheduler.add_job(daemon.reload, IntervalTrigger(seconds=schedule.reload_seconds), id="reload")
    poll = min((mailbox.poll_seconds for mailbox in imap_mailboxes(settings).values()), default=None)
    if poll is not None:
        scheduler.add_job(daemon.poll_mailboxes, IntervalTrigger(seconds=poll), id="imap-poll")
    hour, minute = (int(part) for part in schedule.digest_time.split(":"))
    scheduler.add_job(_digest, CronTrigger(hour=hour, minute=minute), args=[daemon], id="digest")
    scheduler.add_job(daemon.retention, CronTrigger(hour=3, minute=17), id="retention")
    return scheduler


def _digest(daemon: Daemon) -> None:
    services = daemon.robot.services
    if queue_digest(services.ledger, services.rules().templates["daily_digest"], services.operators,
                    services.clock()):
        daemon.wake_outbox()
