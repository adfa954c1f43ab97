"""The gauges operators watch follow the robot by themselves: open escalations and the oldest one's age, rules,
register and outbox state, build info; and a robot started before its case register exists files nothing until
the register appears (the mail waits, deferred), saying why in /healthz."""

from __future__ import annotations

import asyncio
import platform
import re
import shutil
import time

from robot import __version__
from robot.ingress.base import Received
from robot.ledger.records import EscalationState, MessageState
from robot.resolution import reject
from tests.e2e.reason_mails import certificate, mail
from tests.integration.test_health import SAMPLES, Install, Running, degraded_by, healthy, install, running, until

__all__ = ["install"]  # the fixture, shared with test_health


def gauge(metrics: str, name: str, labels: str = "") -> float | None:
    """The value of one sample of the exposition text, None when absent."""
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else None


async def deliver(robot: Running, raw: bytes, ref: str) -> int:
    return await robot.daemon.accept(Received(raw, "smtp", f"smtp:test:{ref}", "test"))


async def until_state(robot: Running, message_id: int, wanted: MessageState, timeout: float = 15.0) -> None:
    ledger = robot.daemon.robot.services.ledger
    deadline = time.monotonic() + timeout
    while ledger.state_of(message_id) is not wanted:
        assert time.monotonic() < deadline, f"message {message_id} is {ledger.state_of(message_id)}, not {wanted}"
        await asyncio.sleep(0.05)


async def test_open_escalation_gauges_follow_an_escalation_opened_and_rejected(install: Install) -> None:
    async with running(install) as robot:
        assert await until(robot.metrics, "lae_register_cases 13.0")  # judged once at start, unasked
        metrics = await robot.metrics()
        build = f'{{python="{platform.python_version()}",version="{__version__}"}}'
        assert gauge(metrics, "lae_build_info", build) == 1.0, metrics
        assert gauge(metrics, "lae_escalation_oldest_open_age_seconds") == 0.0
        assert gauge(metrics, "lae_rules_refused") == 0.0 and gauge(metrics, "lae_register_cases") == 13.0

        first = await deliver(robot, mail(tag="signals-no-pdf-1", body="Attesten kommer senere."), "q1")
        second = await deliver(robot, mail(tag="signals-no-pdf-2", body="Attesten kommer senere."), "q2")
        await until_state(robot, first, MessageState.DONE)
        await until_state(robot, second, MessageState.DONE)
        services = robot.daemon.robot.services
        one, two = services.ledger.escalations(EscalationState.OPEN)
        open_line = f'{{reason="{one.reason}"}}'
        await asyncio.sleep(1.1)
        metrics = await robot.metrics()  # nobody asked /healthz: the worker set the gauge when it escalated
        assert gauge(metrics, "lae_escalations_open", open_line) == 2.0, metrics
        age = gauge(metrics, "lae_escalation_oldest_open_age_seconds")
        assert age is not None and 1.0 <= age < 30.0, metrics  # grows by itself between updates

        # a person rejects one at the desk: the desk's callback brings the gauges along at once
        reject(services, one.id, "ikke en attest", "drift")
        robot.daemon.decision_taken()
        assert gauge(await robot.metrics(), "lae_escalations_open", open_line) == 1.0

        # and the other with `lae-robot escalations` in its own process: the reload job brings them along
        reject(services, two.id, "ikke en attest", "drift")
        assert gauge(await robot.metrics(), "lae_escalations_open", open_line) == 1.0  # not yet: no job ran
        await robot.daemon.reload()
        metrics = await robot.metrics()
        assert gauge(metrics, "lae_escalations_open", open_line) == 0.0, metrics
        assert gauge(metrics, "lae_escalation_oldest_open_age_seconds") == 0.0


async def test_refused_rules_show_in_metrics_and_healthz_with_when(install: Install) -> None:
    async with running(install) as robot:
        routing = install.rules / "routing.toml"
        good = routing.read_bytes()
        routing.write_bytes(good + b"\n[[route]]\nthis is not toml\n")
        await robot.health_until(degraded_by("rules:"))
        await robot.daemon.reload()
        metrics = await robot.metrics()
        assert gauge(metrics, "lae_rules_refused") == 1.0, metrics
        refused_at = gauge(metrics, "lae_rules_change_timestamp_seconds", '{outcome="refused"}')
        assert refused_at is not None and abs(refused_at - time.time()) < 60, metrics
        status, body = await robot.health()
        assert re.search(r"\(refused 20\d\d-\d\d-\d\dT[\d:]+\+00:00; rules in force loaded ", body["checks"]["rules"]), body
        routing.write_bytes(good)
        await robot.health_until(healthy)
        assert gauge(await robot.metrics(), "lae_rules_refused") == 0.0


async def test_without_a_register_the_robot_starts_degraded_and_files_only_once_it_appears(install: Install) -> None:
    install.with_register = False
    install.extra = "[retry]\nfirst_seconds = 0.2\nmax_seconds = 0.5\n"
    async with running(install) as robot:
        status, body = await robot.health()
        assert status == 503 and body["status"] == "degraded", body
        problem = next(p for p in body["problems"] if p.startswith("register:"))
        assert str(install.register) in problem and "nothing is filed, mails wait (deferred)" in problem, body
        metrics = await robot.metrics()
        assert gauge(metrics, "lae_register_cases") == 0.0 and gauge(metrics, "lae_register_refused") == 1.0

        # a good certificate arrives: not filed, not escalated as "no case" — it waits in the ledger
        message_id = await deliver(robot, mail(("attest.pdf", certificate()), tag="signals-before-register"), "q2")
        ledger = robot.daemon.robot.services.ledger
        deadline = time.monotonic() + 10
        while ledger.message(message_id).attempts == 0:
            assert time.monotonic() < deadline, "the mail was never tried"
            await asyncio.sleep(0.05)
        assert ledger.state_of(message_id) is not MessageState.DONE
        assert ledger.escalations(None) == [] and not any(install.archive.iterdir())

        shutil.copy(SAMPLES / "cases.csv", install.register)  # the first export arrives
        deadline = time.monotonic() + 15
        while ledger.state_of(message_id) is not MessageState.DONE:
            assert time.monotonic() < deadline, "the mail was not filed after the register appeared"
            await robot.daemon.sweep_deferred()  # the scheduler's retry sweep
            await asyncio.sleep(0.1)
        assert ledger.escalations(None) == []
        assert [folder.name for folder in install.archive.iterdir()] == ["SD-1001"]
        assert healthy(*await robot.health())
        assert gauge(await robot.metrics(), "lae_register_cases") == 13.0
