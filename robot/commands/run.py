"""`lae-robot run`: the daemon with its ingresses, workers, scheduler and observability endpoint, until a signal."""

from __future__ import annotations

import faulthandler
import signal

import structlog

from robot.app import attach_desk, attach_ingresses, describe_factors, open_robot
from robot.daemon import Daemon
from robot.decisions.factors import placeholder_warning
from robot.observe.http import ObservabilityServer
from robot.observe.metrics import Metrics
from robot.scheduler import build_scheduler
from robot.settings import Settings

log = structlog.get_logger(__name__)


async def run_daemon(settings: Settings) -> int:
    """Run until a signal; the settings were checked whole when loaded, start-up faults raise ConfigError."""
    # `kill -USR1 <pid>` writes where every thread is to stderr (file, line and function only: no data), for a
    # daemon that hangs; an operator's first question, and the e2e tests' when a stop takes too long
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    metrics = Metrics()
    async with open_robot(settings) as robot:
        warning = placeholder_warning(robot.rules.current().senders)
        if warning:
            log.warning("authserv_id_placeholder", warning=warning)
        for line in await describe_factors(settings, robot.rules.current().senders):
            log.info("safety_factor", factor=line)
        daemon = Daemon(robot, metrics)
        attach_ingresses(daemon, settings)
        attach_desk(daemon, settings, robot)
        observe = ObservabilityServer(settings.observe.host, settings.observe.port, metrics, daemon.health)
        scheduler = build_scheduler(daemon)
        scheduler.start()
        try:
            await daemon.run(observe)
        finally:
            scheduler.shutdown(wait=False)
    return 0
