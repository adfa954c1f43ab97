"""A bad config file or a start-up fault: every command ends with exit 2 and one line naming file, key, expected."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from robot.settings import UPPER_BOUNDS, Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MAIL = str(SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml")
COMMANDS = [["check-config"], ["check-rules"], ["status"], ["extract", MAIL], ["process", "--dry-run", MAIL],
            ["escalations", "list"], ["run"]]


def lae_robot(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robot", "--config", str(folder / "robot.toml"), *args],
                          cwd=folder, capture_output=True, text=True, timeout=timeout, check=False)


def installation(folder: Path, extra: str) -> Path:
    """A working robot folder (rules, archive, register) whose config ends with `extra`."""
    (folder / "var" / "archive").mkdir(parents=True)
    shutil.copy(SAMPLES / "cases.csv", folder / "var" / "cases.csv")
    (folder / "robot.toml").write_text(f'[rules]\ndir = "{ROOT / "rules"}"\n{extra}', encoding="utf-8")
    return folder


def assert_one_named_line(done: subprocess.CompletedProcess[str], folder: Path, key: str, expected: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if "configuration error" in line]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(f"lae-robot: configuration error: {folder / 'robot.toml'}: {key}: "), done.stderr
    assert expected in errors[0] and "Traceback" not in done.stderr


BAD_FILES = [
    ("[extract]\nworkers = 100000000000000000000\n", "extract.workers", "a positive whole number up to 64"),
    ("[daemon]\nworkers = 100000\n", "daemon.workers", "up to 1000"),
    ("[limits]\npdf_seconds = nan\n", "limits.pdf_seconds", "got nan"),
    ("[limits]\nmail_seconds = inf\n", "limits.mail_seconds", "got inf"),
    ("[retry]\nmax_seconds = -inf\n", "retry.max_seconds", "a positive number"),
    ("[limits]\nmail_max_depth = 100000\n", "limits.mail_max_depth", "up to 100"),
    ("[observe]\nport = 70000\n", "observe.port", "up to 65535"),
    ("[schedule]\ndigest_time = \"7\"\n", "schedule.digest_time", "a time HH:MM"),
    ("[ingress.imap.tunnel]\nhost = \"imap.kommune.dk\"\n", "ingress.imap.tunnel.username", "required"),
    ("[ingress.imap.tunnel]\nhost = \"imap.kommune.dk\"\nusername = \"u\"\npassword_env = \"PW\"\n"
     "poll_seconds = nan\n", "ingress.imap.tunnel.poll_seconds", "a number of seconds"),
    ("[ingress.imap.tunnel]\nhost = \"imap.kommune.dk\"\nusername = \"u\"\npassword_env = \"PW\"\n"
     "reconnect_max_seconds = 1e12\n", "ingress.imap.tunnel.reconnect_max_seconds", "from 1 to 3600 (an hour)"),
    ("[ingress.smtp]\naccept_recipients = [\"@localhost\"]\nrelay = true\n", "ingress.smtp.relay", "no such setting"),
    ("[notify]\ntransport = \"smtp\"\nsmtp = { host = \"smtp.kommune.dk\", port = 0 }\n", "notify.smtp.port",
     "a port number"),
    ("[archive]\nfolder = { root = \"var/archive\", register = \"var/cases.csv\", rooot = 1 }\n",
     "archive.folder.rooot", "no such key"),
    ("[archive]\nadapter = \"http\"\nhttp = { base_url = \"https://go.kommune.dk/\", timeout_seconds = inf }\n",
     "archive.http.auth", "required"),
    ("[limits]\npdf_secs = 3\n", "limits.pdf_secs", "no such setting"),
]


@pytest.mark.parametrize(("text", "key", "expected"), BAD_FILES, ids=[key for _, key, _ in BAD_FILES])
def test_a_bad_value_is_refused_by_check_config(tmp_path: Path, text: str, key: str, expected: str) -> None:
    folder = installation(tmp_path, text)
    assert_one_named_line(lae_robot(folder, "check-config"), folder, key, expected)


@pytest.mark.parametrize("command", COMMANDS, ids=[command[0] for command in COMMANDS])
def test_every_command_refuses_a_bad_imap_section(tmp_path: Path, command: list[str]) -> None:
    folder = installation(tmp_path, '[ingress.imap.tunnel]\nhost = "imap.kommune.dk"\nusername = "u"\n'
                                    'password_env = "PW"\nport = 99999\n')
    assert_one_named_line(lae_robot(folder, *command), folder, "ingress.imap.tunnel.port", "1-65535")


def test_a_missing_archive_folder_names_file_and_full_key(tmp_path: Path) -> None:
    folder = installation(tmp_path, '[archive]\nfolder = { root = "nowhere", register = "var/cases.csv" }\n')
    done = lae_robot(folder, "process", "--dry-run", MAIL)
    assert_one_named_line(done, folder, "archive.folder.root", "an existing folder")


def test_check_config_accepts_the_example(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "robot", "--config", str(ROOT / "config.example.toml"),
                           "check-config"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "valid" in done.stdout, done.stderr


def test_every_number_in_the_settings_has_a_range() -> None:
    def numbers(cls: type, prefix: str) -> list[str]:
        found = []
        for field in dataclasses.fields(cls):
            hint = typing.get_type_hints(cls)[field.name]
            if dataclasses.is_dataclass(hint):
                found += numbers(typing.cast(type, hint), f"{prefix}{field.name}.")
            elif hint in (int, float):
                found.append(f"{prefix}{field.name}")
        return found

    assert sorted(numbers(Settings, "")) == sorted(UPPER_BOUNDS)


# start-up faults


def test_a_ledger_path_that_is_a_folder(tmp_path: Path) -> None:
    folder = installation(tmp_path, '[ledger]\npath = "var/ledger"\n')
    (folder / "var" / "ledger").mkdir()
    assert_one_named_line(lae_robot(folder, "process", MAIL), folder, "ledger.path", "a writable SQLite file")


def test_a_ledger_path_under_a_file(tmp_path: Path) -> None:
    folder = installation(tmp_path, '[ledger]\npath = "var/cases.csv/ledger.sqlite3"\n')
    assert_one_named_line(lae_robot(folder, "escalations", "list"), folder, "ledger.path", "cannot be opened")


def test_an_outbox_that_cannot_be_made(tmp_path: Path) -> None:
    folder = installation(tmp_path, '[notify]\noutbox_dir = "var/cases.csv/outbox"\n')
    assert_one_named_line(lae_robot(folder, "process", MAIL), folder, "notify.outbox_dir", "a writable folder")


@pytest.mark.parametrize("taken", ["ingress.smtp.port", "observe.port"])
def test_a_port_in_use(tmp_path: Path, taken: str) -> None:
    with socket.socket() as busy, socket.socket() as free:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        free.bind(("127.0.0.1", 0))
        ports = {"ingress.smtp.port": busy.getsockname()[1], "observe.port": free.getsockname()[1]}
        if taken == "observe.port":
            ports = {"ingress.smtp.port": free.getsockname()[1], "observe.port": busy.getsockname()[1]}
        free.close()
        folder = installation(
            tmp_path, f'[observe]\nport = {ports["observe.port"]}\n[ingress]\nsmtp = {{ host = "127.0.0.1", '
                      f'port = {ports["ingress.smtp.port"]}, accept_recipients = ["@localhost"] }}\n')
        assert_one_named_line(lae_robot(folder, "run"), folder, taken, "a port free to listen on")


@pytest.mark.parametrize("workers", ["100000000000000000000", "0", "two"])
def test_extract_refuses_a_parser_count_outside_the_settings_range(tmp_path: Path, workers: str) -> None:
    folder = installation(tmp_path, "")
    done = lae_robot(folder, "extract", "--workers", workers, MAIL)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"argument --workers: a whole number from 1 to {int(UPPER_BOUNDS['extract.workers'])}" in done.stderr
    assert "Traceback" not in done.stderr
