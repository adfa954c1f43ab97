"""The operator's CLI as a person meets it: escalations listed with a header, local times and words, shown readably,
exported to an owner-only PDF (audited), a mail's trail found by what people know, and no traceback when the
reader of the output goes away. Real CLI processes on a real ledger filled by `process`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from robot.model import Reason
from robot.notify.reasons import reason_text
from tests.cpr_scanner import full_cprs
from tests.e2e.test_process import Home

ROOT = Path(__file__).resolve().parents[2]
MAIL_DIR = ROOT / "samples" / "mail"
# two PDFs escalated ambiguous_case; a CPR in the body that is not the PDF's; a sender with an invisible character
MAILS = [MAIL_DIR / "02_regionh_to_pdf.eml", MAIL_DIR / "11_cpr_i_broedtekst_afviger.eml",
         MAIL_DIR / "23_usynligt_tegn_i_afsenderdomaene.eml"]
CONFLICT_MESSAGE_ID = "20250315.4854.lae@regionh.dk"  # the Message-ID of 11_cpr_i_broedtekst_afviger.eml


def command(home: Home, *args: str) -> list[str]:
    """The real CLI, with --config AFTER the command (as people type it)."""
    return [sys.executable, "-m", "robot", *args, "--config", str(home.config)]


def run_each(home: Home, asked: dict[str, tuple[list[str], str | None]]) -> dict[str, Done]:
    """Each command of `asked` (name: arguments, standard input), one after the other, from another folder than
    the config's; every output checked for tracebacks and full CPR numbers."""
    done = {}
    for name, (args, stdin) in asked.items():
        ran = subprocess.run(command(home, *args), cwd=ROOT, input=stdin, capture_output=True, text=True,
                             timeout=120)
        assert "Traceback" not in ran.stderr, (name, ran.stderr)
        assert full_cprs(ran.stdout + ran.stderr) == [], f"a full CPR left the robot: {name}"
        done[name] = Done(ran.returncode, ran.stdout, ran.stderr)
    return done


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Ran:
    home: Home
    export: Path
    done: dict[str, Done]
    again: Done  # the same export once more


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    home = Home(tmp_path_factory.mktemp("operator"), "[extract]\nworkers = 1\n")
    home.process(*(str(path) for path in MAILS))
    escalation, _, _, cpr = conflict(home)
    export = home.folder / "attest.pdf"
    done = run_each(home, {
        "list": (["escalations", "list"], None),
        "show": (["escalations", "show", str(escalation)], None),
        "show --json": (["escalations", "show", str(escalation), "--json"], None),
        "export": (["escalations", "export", str(escalation), "--out", str(export), "--operator", "kim"], None),
        "trail id": (["trail", f"<{CONFLICT_MESSAGE_ID}>"], None),
        "trail sender": (["trail", "--sender", "regionh.dk"], None),
        "trail cpr": (["trail", "--cpr-stdin", "--operator", "kim"], f"{cpr[:6]}-{cpr[6:]}\n"),
        "trail cpr argument": (["trail", cpr], None),
    })
    again = run_each(home, {"again": (["escalations", "export", str(escalation), "--out", str(export)], None)})
    return Ran(home, export, done, again["again"])


def ledger(home: Home) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{home.folder / 'var' / 'ledger.sqlite3'}?mode=ro", uri=True)


def conflict(home: Home) -> tuple[int, int, str, str]:
    """(escalation id, mail id, received_at, the document's full CPR) of the cpr_conflict escalation."""
    with ledger(home) as db:
        row = db.execute("SELECT e.id, e.message_id, m.received_at, d.cpr FROM escalations e JOIN messages m"
                         " ON m.id = e.message_id JOIN documents d ON d.id = e.document_id"
                         " WHERE e.reason = 'cpr_conflict'").fetchone()
    return int(row[0]), int(row[1]), str(row[2]), str(row[3])


def test_the_list_has_a_header_local_times_reasons_in_words_sender_subject_and_file(ran: Ran) -> None:
    done = ran.done["list"]
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["ID", "AGE", "RECEIVED", "REASON", "SENDER", "SUBJECT", "FILE", "SOURCE"]
    escalation, _, received, _ = conflict(ran.home)
    row = next(line for line in rows if line.split()[0] == str(escalation))
    local = datetime.fromisoformat(received).astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%Y-%m-%d %H:%M")
    assert local in row  # the time the notices speak, not UTC
    assert reason_text(Reason.CPR_CONFLICT)[:40] in row and "cpr_conflict" not in row
    assert "attester.psykiatri@regionh.dk" in row and "Attest til sygedagpengeopfølgning" in row
    assert "LÆ285.pdf" in row and "file 11_cpr_i_broedtekst_afviger.eml" in row
    # a sender whose domain hides an invisible character is shown with it made visible
    assert any("rn<U+200B>.dk" in line for line in rows), done.stdout


def test_show_is_readable_and_json_gives_the_full_record(ran: Ran) -> None:
    escalation, mail, _, cpr = conflict(ran.home)
    shown = ran.done["show"]
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) < 45 and not shown.stdout.lstrip().startswith("{"), shown.stdout
    assert f"reason: {reason_text(Reason.CPR_CONFLICT)} [cpr_conflict]" in lines[1]
    assert f"CPR: {cpr[:6]}-xxxx" in shown.stdout and f"<{CONFLICT_MESSAGE_ID}>" in shown.stdout
    assert any(line.strip().startswith("- ") for line in lines)  # the decision's reasoning, one line each
    assert f"lae-robot escalations export {escalation} --out FILE.pdf" in shown.stdout
    record = json.loads(ran.done["show --json"].stdout)
    assert record["mail_id"] == mail and record["document"]["decision"]["reason"] == "cpr_conflict"
    assert record["document"]["cpr"] == f"{cpr[:6]}-xxxx"


def test_export_writes_the_pdf_owner_only_refuses_to_overwrite_and_is_audited(ran: Ran) -> None:
    escalation, mail, _, _ = conflict(ran.home)
    done = ran.done["export"]
    assert done.returncode == 0, done.stderr
    pdf = ran.export.read_bytes()
    assert pdf.startswith(b"%PDF") and stat.S_IMODE(ran.export.stat().st_mode) == 0o600
    with ledger(ran.home) as db:
        audited = db.execute("SELECT actor, escalation_id FROM audit WHERE event = 'escalation_exported'"
                             " AND message_id = ?", (mail,)).fetchall()
        sha256 = db.execute("SELECT d.sha256 FROM documents d JOIN escalations e ON e.document_id = d.id"
                            " WHERE e.id = ?", (escalation,)).fetchone()[0]
    assert audited == [("kim", escalation)]  # the second try wrote nothing and is not in the trail
    assert hashlib.sha256(pdf).hexdigest() == sha256  # the PDF as it came, byte for byte
    assert ran.again.returncode == 1 and ran.again.stderr.count("\n") == 1 and "exists already" in ran.again.stderr


def test_the_trail_finds_a_mail_by_message_id_sender_and_cpr_on_stdin(ran: Ran) -> None:
    escalation, mail, _, cpr = conflict(ran.home)
    by_id = ran.done["trail id"]
    assert by_id.returncode == 0 and by_id.stdout.startswith(f"mail {mail} (done): received "), by_id.stdout
    assert f"  {escalation} (open): {reason_text(Reason.CPR_CONFLICT)}" in by_id.stdout
    assert "escalation_opened" in by_id.stdout and "notices:" in by_id.stdout
    several = ran.done["trail sender"]
    assert several.returncode == 0 and several.stdout.split()[:2] == ["MAIL", "RECEIVED"], several.stdout
    assert "2 mails" in several.stdout
    by_cpr = ran.done["trail cpr"]
    assert by_cpr.stdout.startswith(f"mail {mail} "), by_cpr.stdout + by_cpr.stderr
    with ledger(ran.home) as db:
        assert db.execute("SELECT COUNT(*) FROM audit WHERE event = 'searched_by_cpr' AND actor = 'kim'"
                          ).fetchone()[0] == 1
    # a CPR number as an argument is refused before anything is looked up (shell history, process list)
    refused = ran.done["trail cpr argument"]
    assert refused.returncode == 1 and "--cpr-stdin" in refused.stderr and refused.stdout == ""


def test_a_reader_that_goes_away_ends_it_quietly(ran: Ran) -> None:
    started = []
    for args in (["escalations", "list", "--all"], ["trail", "--sender", "@"]):
        process = subprocess.Popen(command(ran.home, *args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.close()  # as `| head` does, before the command has written
        started.append(process)
    for process in started:
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 141 and errors == b"", errors.decode()
