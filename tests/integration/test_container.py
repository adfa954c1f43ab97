"""The container as shipped: a pinned base, a non-root user, locked dependencies, /data volumes that compose
mounts, a config that passes check-config, and a daemon on that config that starts without a case register
(degraded, not a restart loop), logs JSON and stops cleanly on SIGTERM. Docker itself cannot run here: the files
are read, and the container's own command runs on this machine with /data under a temporary folder."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from robot.setting_tables import load_settings
from tests.integration.test_health import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "compose.yaml").read_text(encoding="utf-8")
CONFIG = ROOT / "docker" / "config.toml"
VOLUMES = ("/data/register", "/data/archive", "/data/ledger", "/data/outbox")


def instructions(name: str) -> list[str]:
    """The arguments of every Dockerfile instruction `name`, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.split(None, 1)[:1] == [name]]


def test_dockerfile_pins_its_base_runs_as_a_user_and_installs_the_lock() -> None:
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    assert instructions("USER") == ["robot"] and any("useradd" in run and "--uid 10001" in run
                                                     for run in instructions("RUN"))
    assert DOCKERFILE.index("USER robot") < DOCKERFILE.index("ENTRYPOINT")
    runs = instructions("RUN")
    assert "pip install --require-hashes --no-deps -r requirements.lock" in runs
    assert any(run.startswith("pip install --no-deps . ") for run in runs), runs  # nothing resolved unlocked
    assert "requirements.lock ./" in instructions("COPY") and "docker/config.toml ./config.toml" in instructions("COPY")
    assert "LAE_ROBOT_CONFIG=/app/config.toml" in instructions("ENV")
    [volumes] = instructions("VOLUME")
    assert tuple(json.loads(volumes)) == VOLUMES
    assert all(folder in runs[-1] for folder in VOLUMES) and "chown -R robot:robot /data" in runs[-1]
    settings = load_settings(CONFIG)
    assert instructions("EXPOSE") == [f"{settings.ingress.smtp['port']} {settings.observe.port}"]
    assert "/app/healthcheck.py" in instructions("HEALTHCHECK")[0]


def test_compose_mounts_a_volume_on_each_data_folder_and_publishes_the_ports() -> None:
    mounts = dict(re.findall(r"^\s+- (\w+):(/data/\w+)\s", COMPOSE, re.M))
    assert sorted(mounts.values()) == sorted(VOLUMES), mounts
    declared = re.search(r"^volumes:\n((?:  \w+:\n?)+)", COMPOSE, re.M)
    assert declared and sorted(re.findall(r"(\w+):", declared.group(1))) == sorted(mounts)
    assert '"2525:2525"' in COMPOSE and '"127.0.0.1:9187:9187"' in COMPOSE and "build: ." in COMPOSE


def test_container_config_passes_check_config_and_keeps_everything_under_data() -> None:
    done = subprocess.run([sys.executable, "-m", "robot", "--config", str(CONFIG), "check-config"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr
    settings = load_settings(CONFIG)
    assert settings.logging.format == "json"
    assert settings.observe.host == "0.0.0.0" and settings.ingress.smtp["host"] == "0.0.0.0"
    table = settings.archive.folder
    kept = [settings.ledger.path.parent, settings.notify.outbox_dir, Path(table["root"]), Path(table["register"]).parent]
    assert sorted(str(path) for path in kept) == sorted(VOLUMES)


def test_lock_pins_every_runtime_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["requires"] == ["setuptools>=77"]  # license = "GPL-3.0-or-later" needs 77
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {name.lower().replace("_", "-").replace(".", "-") for name in re.findall(r"^([\w.-]+)==", lock, re.M)}
    wanted = {re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace(".", "-")
              for requirement in project["project"]["dependencies"]}
    assert wanted <= pinned, wanted - pinned
    entries = re.split(r"\n(?=[\w.-]+==)", lock.split("\n", 6)[-1])
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)


def test_the_container_command_starts_without_a_register_degraded_logs_json_and_stops(tmp_path: Path) -> None:
    data, smtp, observe = tmp_path / "data", free_port(), free_port()
    for folder in VOLUMES:
        (tmp_path / folder.lstrip("/")).mkdir(parents=True, mode=0o700)
    text = CONFIG.read_text(encoding="utf-8").replace('"/data/', f'"{data}/').replace('"/app/rules"', f'"{ROOT / "rules"}"')
    text = text.replace("port = 2525", f"port = {smtp}").replace("port = 9187", f"port = {observe}")
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    environment = {**os.environ, "LAE_ROBOT_CONFIG": str(config)}
    robot = subprocess.Popen([sys.executable, "-m", "robot", "run"], env=environment, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = wait_for_health(f"http://127.0.0.1:{observe}/healthz", robot)
        assert body["status"] == "degraded", body
        assert any(p.startswith(f"register: no case register in force: {data}/register/cases.csv is missing") for p in
                   body["problems"]), body
        probe = subprocess.run([sys.executable, str(ROOT / "docker" / "healthcheck.py")], capture_output=True,
                               text=True, timeout=30, env={**environment,
                                                           "LAE_HEALTH_URL": f"http://127.0.0.1:{observe}/healthz"})
        assert probe.returncode == 0 and probe.stdout.strip() == "degraded", probe.stdout + probe.stderr
    finally:
        robot.send_signal(signal.SIGTERM)
        out, err = robot.communicate(timeout=60)
    assert robot.returncode == 0, out + err
    lines = [line for line in (out + err).splitlines() if line.strip()]
    events = [json.loads(line)["event"] for line in lines]  # every line a JSON object
    assert "robot_started" in events and "robot_stopped" in events, events


def wait_for_health(url: str, robot: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        assert robot.poll() is None, f"the robot exited {robot.returncode}: {robot.communicate()}"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return dict(json.load(answer))
        except urllib.error.HTTPError as error:
            return dict(json.load(error))
        except OSError:
            assert time.monotonic() < deadline, "no /healthz answer"
            time.sleep(0.1)
