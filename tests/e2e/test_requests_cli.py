"""`lae-robot requests list|show|report` on a ledger the real `lae-robot process` filled: masked CPR, late marked,
history, and the month's numbers per form and organisation."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cpr_scanner import FULL_CPR
from tests.e2e import reason_mails as mails
from tests.e2e.test_daemon import ROOT, SAMPLES
from tests.e2e.test_requests_daemon import ANSWERED, LATE, receipt


def robot(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "robot", "--config", str(folder / "robot.toml"), *args],
                          cwd=folder, capture_output=True, text=True, timeout=120)


def test_requests_list_show_and_report(tmp_path: Path) -> None:
    (tmp_path / "var" / "archive").mkdir(parents=True)
    shutil.copy(SAMPLES / "cases.csv", tmp_path / "var" / "cases.csv")
    (tmp_path / "robot.toml").write_text(f'[rules]\ndir = "{ROOT / "rules"}"\n', encoding="utf-8")
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    paths = []
    for number, raw in enumerate([
            receipt(ANSWERED, "SD-1010", "LÆ 125", today.strftime("%d-%m-%Y")),
            receipt(LATE, "SD-1002", "LÆ 125", "01-01-2020"),
            mails.mail(("statusattest.pdf", mails.certificate(cpr=ANSWERED)), tag="answer"),
            (SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml").read_bytes()]):  # a certificate without a request
        path = tmp_path / f"mail-{number}.eml"
        path.write_bytes(raw)
        paths.append(str(path))
    processed = robot(tmp_path, "process", *paths)
    assert processed.returncode == 0, processed.stderr

    listed = robot(tmp_path, "requests", "list", "--all")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATE", "CPR", "CASE", "FORM", "ADDRESSEE", "SENT", "DEADLINE", "LATE"]
    assert "answered" in lines[1] and "171063-xxxx" in lines[1] and not lines[1].rstrip().endswith("yes")
    assert "150984-xxxx" in lines[2] and lines[2].rstrip().endswith("yes")  # sent in 2020: long past its deadline
    assert len(robot(tmp_path, "requests", "list").stdout.splitlines()) == 2  # open only: the header and one

    shown = robot(tmp_path, "requests", "show", "2", "--json")
    record = json.loads(shown.stdout)
    assert (record["state"], record["case_id"], record["deadline"], record["late"]) == \
        ("open", "SD-1002", "2020-01-15", True)
    assert [event["event"] for event in record["history"]] == ["request_registered"]
    missing = robot(tmp_path, "requests", "show", "9")
    assert missing.returncode == 1 and "no request 9" in missing.stderr and "Traceback" not in missing.stderr

    month = today.strftime("%Y-%m")
    report = robot(tmp_path, "requests", "report", "--month", month, "--csv", str(tmp_path / "report.csv"))
    assert report.returncode == 0, report.stderr
    with (tmp_path / "report.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert rows == [{"month": month, "form": "LÆ 125", "organisation": "Region Nordjylland", "sent": "1",
                     "answered": "1", "overdue": "0", "returned": "0", "median_days": "0", "p90_days": "0",
                     "certificates_without_request": "1"}]
    assert "Region Nordjylland" in report.stdout and report.stdout.startswith(f"Anmodninger og attester {month}")
    old = robot(tmp_path, "requests", "report", "--month", "2020-01")
    assert "LÆ 125" in old.stdout and old.returncode == 0
    wrong = robot(tmp_path, "requests", "report", "--month", "januar")
    assert wrong.returncode == 1 and "YYYY-MM" in wrong.stderr
    everything = listed.stdout + shown.stdout + missing.stderr + processed.stdout + report.stdout + old.stdout
    assert not FULL_CPR.search(everything + (tmp_path / "report.csv").read_text(encoding="utf-8"))
