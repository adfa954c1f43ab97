"""/healthz, /metrics and `status` tell the truth: every problem a person must see makes the robot degraded (503)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from robot.app import attach_ingresses, open_robot
from robot.daemon import Daemon
from robot.observe.http import ObservabilityServer
from robot.observe.metrics import Metrics
from robot.setting_tables import load_settings
from tests.dovecot import Account, running_dovecot

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MIB = 1024 * 1024
ROBOT = Account("lae-robot", "Hest-Batteri-7")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Install:
    """A robot installation in a folder: its own rules, register, archive root, ledger and outbox."""

    folder: Path
    port: int
    extra: str = ""  # more sections
    observe: str = ""  # more lines in [observe]
    with_register: bool = True  # False: no case register yet (a container before the first export)

    @property
    def config(self) -> Path:
        return self.folder / "robot.toml"

    @property
    def rules(self) -> Path:
        return self.folder / "rules"

    @property
    def register(self) -> Path:
        return self.folder / "var" / "cases.csv"

    @property
    def archive(self) -> Path:
        return self.folder / "var" / "archive"

    @property
    def ledger(self) -> Path:
        return self.folder / "var" / "ledger.sqlite3"

    def write(self) -> None:
        self.archive.mkdir(parents=True, exist_ok=True)
        if not self.rules.exists():
            shutil.copytree(ROOT / "rules", self.rules)
        if self.with_register:
            shutil.copy(SAMPLES / "cases.csv", self.register)
        notify = "" if "[notify]" in self.extra else '[notify]\noutbox_dir = "var/outbox"\n'
        self.config.write_text(
            f'[logging]\nformat = "json"\n[rules]\ndir = "rules"\n[observe]\nport = {self.port}\n{self.observe}'
            '[schedule]\nsweep_seconds = 0.5\n[ingress]\nsmtp_enabled = false\n[ledger]\npath = "var/ledger.sqlite3"\n'
            + notify + self.extra, encoding="utf-8")


@dataclass
class Running:
    daemon: Daemon
    install: Install

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.install.port}{path}", timeout=5) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    async def health(self) -> tuple[int, dict[str, Any]]:
        status, body = await asyncio.to_thread(self.get, "/healthz")
        return status, json.loads(body)

    async def metrics(self) -> str:
        return (await asyncio.to_thread(self.get, "/metrics"))[1].decode()

    async def health_until(self, wanted: Callable[[int, dict[str, Any]], bool], timeout: float = 10.0
                           ) -> tuple[int, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            status, body = await self.health()
            if wanted(status, body) or time.monotonic() > deadline:
                return status, body
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running(install: Install) -> AsyncIterator[Running]:
    """The daemon of `install` in this process (no SMTP listener), its /healthz and /metrics on its port."""
    install.write()
    settings = load_settings(install.config)
    metrics = Metrics()
    async with open_robot(settings) as robot:
        daemon = Daemon(robot, metrics)
        attach_ingresses(daemon, settings)
        observe = ObservabilityServer("127.0.0.1", install.port, metrics, daemon.health)
        task = asyncio.create_task(daemon.run(observe))
        for _ in range(100):
            if observe._server is not None and daemon._workers:
                break
            await asyncio.sleep(0.05)
        try:
            yield Running(daemon, install)
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)


@pytest.fixture
def install(tmp_path: Path) -> Install:
    return Install(tmp_path, free_port())


def degraded_by(prefix: str) -> Callable[[int, dict[str, Any]], bool]:
    return lambda status, body: status == 503 and any(p.startswith(prefix) for p in body.get("problems", []))


def healthy(status: int, body: dict[str, Any]) -> bool:
    return status == 200 and body["status"] == "ok"


# ---------------------------------------------------------------- the archive's disk


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MiB tmpfs of its own (we run as root in CI); skipped where mounting is not permitted."""
    folder = Path(tempfile.mkdtemp(prefix="lae-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here to fill up ({mounted.stderr.strip() or 'not permitted'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


async def test_healthz_degraded_when_archive_disk_full(install: Install, small_disk: Path) -> None:
    install.observe = "archive_min_free_mb = 2\n"
    install.extra = f'[archive]\nfolder = {{ root = "{small_disk}", register = "var/cases.csv" }}\n'
    async with running(install) as robot:
        status, body = await robot.health()
        assert healthy(status, body), body
        with open(os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600), "wb") as filler:
            filler.write(b"\0" * (3 * MIB))  # about 1 MiB left, below the 2 MiB floor
        await robot.daemon.reload()  # the scheduler's job: the gauges follow without anyone asking /healthz
        metrics = await robot.metrics()
        free = next(float(line.split()[1]) for line in metrics.splitlines()
                    if line.startswith("lae_archive_free_bytes "))
        assert free < 2 * MIB
        assert 'lae_health{state="degraded"} 1.0' in metrics
        status, body = await robot.health()
        assert status == 503 and body["status"] == "degraded", body
        assert any(p.startswith("archive disk:") and "below the floor of 2 MiB" in p for p in body["problems"]), body
        (small_disk / "filler").unlink()
        assert healthy(*await robot.health())


# ---------------------------------------------------------------- the archive check, refused rules and register


async def test_healthz_degraded_when_archive_check_fails(install: Install) -> None:
    async with running(install) as robot:
        assert healthy(*await robot.health())
        install.archive.rename(install.archive.with_name("unmounted"))  # the share went away
        status, body = await robot.health()
        assert status == 503 and body["status"] == "degraded", body
        assert any(p.startswith(f"archive: root {install.archive} is not writable") for p in body["problems"]), body
        install.archive.with_name("unmounted").rename(install.archive)
        assert healthy(*await robot.health())



async def test_healthz_degraded_when_rules_refused_on_reload(install: Install) -> None:
    async with running(install) as robot:
        assert healthy(*await robot.health())
        routing = install.rules / "routing.toml"
        good = routing.read_bytes()
        routing.write_bytes(good + b"\n[[route]]\nthis is not toml\n")
        status, body = await robot.health_until(degraded_by("rules:"))
        assert status == 503 and body["status"] == "degraded", body
        assert body["checks"]["rules"].startswith(f"rule files in {install.rules} refused"), body
        routing.write_bytes(good)  # back to the rules in force
        assert healthy(*await robot.health_until(healthy))


async def test_healthz_degraded_when_register_refused_on_reload(install: Install) -> None:
    async with running(install) as robot:
        assert healthy(*await robot.health())
        good = install.register.read_bytes()
        install.register.write_bytes(good + b"0101901017,SAG/../1,sygedagpenge,open,,\n")
        status, body = await robot.health()
        assert status == 503 and body["status"] == "degraded", body
        problem = next(p for p in body["problems"] if p.startswith("register:"))
        assert f"{install.register}:" in problem and "0101901017" not in json.dumps(body)
        assert "stays in force" in body["checks"]["register"] and "13 cases, read " in body["checks"]["register"]
        assert "lae_register_refused 1.0" in await robot.metrics()
        install.register.write_bytes(good + b"\n")
        assert healthy(*await robot.health())


# ---------------------------------------------------------------- notices that cannot be sent


async def test_healthz_degraded_when_notices_fail(install: Install) -> None:
    install.extra = ('[notify]\ntransport = "smtp"\nmax_attempts = 1\noutbox_dir = "var/outbox"\n'
                     '[notify.smtp]\nhost = "127.0.0.1"\n'
                     f'port = {free_port()}\nsecurity = "none"\nsender = "lae-robot@kommune.example"\n'
                     "timeout_seconds = 2\n")
    async with running(install) as robot:
        assert healthy(*await robot.health())
        robot.daemon.robot.services.ledger.enqueue_notice(
            "escalated:1", "escalation", ("drift@kommune.example",), "Eskaleret", "Se lae-robot escalations")
        robot.daemon.wake_outbox()
        status, body = await robot.health_until(degraded_by("outbox:"))
        assert status == 503 and body["status"] == "degraded", body
        assert body["checks"]["outbox"] == "1 given up in the last day, 0 retrying after a failure", body


# ---------------------------------------------------------------- files readable by too many


async def test_healthz_degraded_when_ledger_readable_by_other_users(install: Install) -> None:
    install.ledger.parent.mkdir(parents=True)
    install.ledger.write_bytes(b"")
    install.ledger.chmod(0o644)  # as an older robot (or a copy) left it
    async with running(install) as robot:
        status, body = await robot.health()
        assert status == 503 and body["status"] == "degraded", body
        assert f"files: file {install.ledger} has mode 0644, wider than 0600" in body["problems"], body
        assert install.ledger.stat().st_mode & 0o777 == 0o644  # reported, not changed
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "robot", "--config", str(install.config), "status"],
            cwd=install.folder, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "daemon: degraded" in done.stdout
        assert f"warning: file {install.ledger} has mode 0644, wider than 0600" in done.stdout
        assert "None" not in done.stdout and "{" not in done.stdout, done.stdout  # words, not Python values
        answered = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "robot", "status", "--json", "--config", str(install.config)],
            cwd=install.folder, capture_output=True, text=True, timeout=60)
        assert answered.returncode == 1 and json.loads(answered.stdout)["daemon"]["status"] == "degraded"
    install.ledger.chmod(0o600)
    done = subprocess.run([sys.executable, "-m", "robot", "--config", str(install.config), "status", "--json"],
                          cwd=install.folder, capture_output=True, text=True, timeout=60)
    # no daemon answers: exit 3 (not 0: a stopped robot is no healthy one), the ledger and files still reported
    assert done.returncode == 3 and json.loads(done.stdout)["daemon"]["status"] == "not running", done.stdout
    assert json.loads(done.stdout)["files_too_widely_readable"] == []


# ---------------------------------------------------------------- a mailbox away


async def test_healthz_degraded_and_lae_imap_connected_updated_when_imap_disconnects(install: Install) -> None:
    with running_dovecot((ROBOT,)) as server:
        install.extra = (f'[ingress.imap.tunnel]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
                         f'username = "{ROBOT.name}"\npassword_env = "LAE_TEST_HEALTH_IMAP"\nfolder = "INBOX"\n'
                         'filed_folder = "LAE/Journaliseret"\nescalated_folder = "LAE/Eskaleret"\n'
                         "timeout_seconds = 5\nreconnect_max_seconds = 1\n")
        os.environ["LAE_TEST_HEALTH_IMAP"] = ROBOT.secret
        try:
            async with running(install) as robot:
                # only /metrics is asked: the ingress itself sets the gauge when it connects and when it drops
                assert await until(robot.metrics, 'lae_imap_connected{mailbox="tunnel"} 1.0')
                server.stop()
                assert await until(robot.metrics, 'lae_imap_connected{mailbox="tunnel"} 0.0')
                status, body = await robot.health()
                assert status == 503 and "imap:tunnel: disconnected" in body["problems"], body
                server.start()
                assert healthy(*await robot.health_until(healthy, timeout=15))
        finally:
            del os.environ["LAE_TEST_HEALTH_IMAP"]


async def until(scrape: Callable[[], Awaitable[str]], line: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in await scrape():
            return True
        await asyncio.sleep(0.1)
    return False
