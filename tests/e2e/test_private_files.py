"""The whole robot (`lae-robot process`, umask 000) writes every file and folder holding personal data private."""

from __future__ import annotations

import grp
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
FILED_MAIL = SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml"  # filed into SD-1001, a notice to the caseworker
ESCALATED_MAIL = SAMPLES / "mail" / "02_regionh_to_pdf.eml"  # escalated, a notice to the operators


def other_group() -> grp.struct_group | None:
    return next((group for group in grp.getgrall() if group.gr_gid != os.getgid()), None)


@pytest.mark.parametrize("with_group", [False, True], ids=["owner-only", "files.group"])
def test_process_under_umask_000_writes_nothing_readable_by_other_users(tmp_path: Path, with_group: bool) -> None:
    group = other_group() if with_group else None
    if with_group and group is None:
        pytest.skip("this machine has only one group")
    (tmp_path / "srv" / "archive").mkdir(parents=True)  # the archive root is the operator's (a share)
    shutil.copy(SAMPLES / "cases.csv", tmp_path / "srv" / "cases.csv")
    config = tmp_path / "robot.toml"
    config.write_text(
        f'[logging]\nformat = "json"\n[rules]\ndir = "{ROOT / "rules"}"\n'
        '[ledger]\npath = "state/db/ledger.sqlite3"\n[notify]\noutbox_dir = "spool/outbox"\n'
        '[archive]\nadapter = "folder"\nfolder = { root = "srv/archive", register = "srv/cases.csv" }\n'
        + (f'[files]\ngroup = "{group.gr_name}"\n' if group else ""), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "robot", "--config", str(config), "process", "--json",
                           str(FILED_MAIL), str(ESCALATED_MAIL)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    outcomes = {json.loads(line)["outcome"] for line in done.stdout.splitlines()}
    assert outcomes == {"filed", "escalated"}

    file_mode, dir_mode = (0o640, 0o750) if group else (0o600, 0o700)
    written = [tmp_path / "state", tmp_path / "state" / "db", tmp_path / "state" / "db" / "ledger.sqlite3",
               tmp_path / "spool", tmp_path / "spool" / "outbox", *(tmp_path / "spool" / "outbox").iterdir(),
               *(path for path in (tmp_path / "srv" / "archive").rglob("*"))]
    kinds = {path.suffix or "folder" for path in written}
    assert {".sqlite3", ".eml", ".pdf", ".json", "folder"} <= kinds  # ledger, notices, document, sidecar, folders
    for path in written:
        status = path.stat()
        expected = dir_mode if stat.S_ISDIR(status.st_mode) else file_mode
        assert stat.S_IMODE(status.st_mode) == expected, f"{path}: {stat.S_IMODE(status.st_mode):04o}"
        assert status.st_gid == (group.gr_gid if group else os.getgid()), path

    status_run = subprocess.run([sys.executable, "-m", "robot", "--config", str(config), "status", "--json"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert json.loads(status_run.stdout)["files_too_widely_readable"] == []
