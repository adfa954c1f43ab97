"""The daemon's periodic jobs on one APScheduler: retry sweep, IMAP poll, reload, digest, retention, requests."""

from __future__ import annotations

import asyncio

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from robot.daemon import Daemon
from robot.ledger.request_records import RequestState
from robot.notify.compose import LOCAL_TIME, local_time
from robot.notify.digest import queue_digest
from robot.notify.request_notices import tell_overdue
from robot.request_import import import_requests
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


async def _requests(daemon: Daemon) -> None:
    """The case system's export of requests sent is learnt; requests past their deadline are told (once each);
    today's digest is queued when the clock has passed its time and it is not queued yet (a daemon started after
    the digest time, or a clock that jumped). The ledger work runs off the event loop."""
    services = daemon.robot.services
    await import_requests(services)
    if await asyncio.to_thread(_tell_late, daemon):
        daemon.wake_outbox()


def _tell_late(daemon: Daemon) -> bool:
    services = daemon.robot.services
    now = services.clock()
    rules = services.rules()
    told = tell_overdue(services.ledger, rules, services.operators, now)
    waiting = services.ledger.requests.all(RequestState.OPEN)
    today = now.astimezone(LOCAL_TIME).date()
    daemon.metrics.open_requests(len(waiting), sum(1 for request in waiting if request.deadline < today))
    digest_due = local_time(now)[-5:] >= daemon.robot.settings.schedule.digest_time
    queued = digest_due and queue_digest(services.ledger, rules.templates["daily_digest"], services.operators, now)
    return bool(told or queued)
