"""The daemon's periodic jobs on one APScheduler: retry sweep, IMAP poll, reload, digest, retention."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from robot.daemon import Daemon
from robot.notify.compose import LOCAL_TIME, local_time
from robot.notify.digest import queue_digest
from robot.notify.request_notices import tell_overdue
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
    scheduler.add_job(_requests, IntervalTrigger(seconds=schedule.requests_seconds), args=[daemon], id="requests")
    return scheduler


def _digest(daemon: Daemon) -> None:
    services = daemon.robot.services
    if queue_digest(services.ledger, services.rules().templates["daily_digest"], services.operators,
                    services.clock()):
        daemon.wake_outbox()


def _requests(daemon: Daemon) -> None:
    """Requests past their deadline are told (once each); today's digest is queued when the clock has passed its
    time and it is not queued yet (a daemon started after the digest time, or a clock that jumped)."""
    services = daemon.robot.services
    now = services.clock()
    rules = services.rules()
    told = tell_overdue(services.ledger, rules, services.operators, now)
    digest_due = local_time(now)[-5:] >= daemon.robot.settings.schedule.digest_time
    queued = digest_due and queue_digest(services.ledger, rules.templates["daily_digest"], services.operators, now)
    if told or queued:
        daemon.wake_outbox()
