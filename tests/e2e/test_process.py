"""`lae-robot process` and `lae-robot escalations` end to end: real CLI, real ledger, folder archive and outbox."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.gateway import stamped
from tests.pdf_factory import text_pdf
from tests.cpr_scanner import FULL_CPR  # one scanner for every e2e output

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MAILS = sorted(str(p) for p in (SAMPLES / "mail").glob("*.eml"))
EXPECTED = [json.loads(line) for line in (SAMPLES / "expected_process.jsonl").read_text(encoding="utf-8").splitlines()]


class Home:
    """A robot installation in a temporary folder: config, register, archive, ledger, outbox."""

    def __init__(self, folder: Path, extra_config: str = ""):
        self.folder = folder
        (folder / "var" / "archive").mkdir(parents=True)
        shutil.copy(SAMPLES / "cases.csv", folder / "var" / "cases.csv")
        self.config = folder / "robot.toml"
        self.config.write_text(
            f'[logging]\nformat = "json"\n[rules]\ndir = "{ROOT / "rules"}"\n'
            '[ledger]\npath = "var/ledger.sqlite3"\n[notify]\noutbox_dir = "var/outbox"\n' + extra_config
            + ('' if "[archive]" in extra_config else
               '[archive]\nadapter = "folder"\nfolder = { root = "var/archive", register = "var/cases.csv" }\n'),
            encoding="utf-8")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "robot", "--config", str(self.config), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, done.stderr
        assert not FULL_CPR.search(done.stdout + done.stderr), "a full CPR left the robot"
        return done

    def process(self, *files: str) -> list[dict[str, object]]:
        done = self.run("process", "--json", *files)
        return [json.loads(line) for line in done.stdout.splitlines()]

    def archived(self) -> list[Path]:
        return sorted((self.folder / "var" / "archive").rglob("*.pdf"))

    def notices(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(p.read_bytes()) for p in sorted((self.folder / "var" / "outbox").glob("*.eml"))]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def by_document(records: list[dict[str, object]]) -> dict[tuple[str, str], dict[str, object]]:
    return {(str(r["file"]).removeprefix(str(ROOT) + "/"), str(r["attachment"] or "")): r for r in records}


def test_samples_are_filed_or_escalated_as_expected(home: Home) -> None:
    got = by_document(home.process(*MAILS))
    assert set(got) == {(e["file"], e["attachment"] or "") for e in EXPECTED}
    for expected in EXPECTED:
        record = got[(expected["file"], expected["attachment"] or "")]
        assert (record["outcome"], record["case_id"], record["reason"]) == (
            expected["outcome"], expected["case_id"], expected["reason"]), expected["note"]
    filed = [e for e in EXPECTED if e["outcome"] == "filed"]
    assert len(home.archived()) == len(filed)
    for expected in filed:
        (pdf,) = list((home.folder / "var" / "archive" / str(expected["case_id"])).glob("*.pdf"))
        sidecar = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        assert sidecar["case_id"] == expected["case_id"] and sidecar["form"].startswith("LÆ ")
        assert sidecar["evidence"]["decision"]["rule"] == "attester-til-sygedagpenge-og-afklaring"


def test_with_the_citizens_names_in_the_register_the_samples_file_the_same(home: Home) -> None:
    # samples/cases_with_names.csv: the same cases with the names as the case system writes them ("Rasmussen,
    # Sofie", "Jesper Soegaard", "RASMUS HUSSEIN"): every printed patient name must match, so the outcomes stay
    shutil.copy(SAMPLES / "cases_with_names.csv", home.folder / "var" / "cases.csv")
    got = by_document(home.process(*MAILS))
    for expected in EXPECTED:
        record = got[(expected["file"], expected["attachment"] or "")]
        assert (record["outcome"], record["case_id"], record["reason"]) == (
            expected["outcome"], expected["case_id"], expected["reason"]), (expected["note"], record["explanation"])
        if record["outcome"] == "filed":
            assert any(line.startswith("name: the printed patient name matches") for line in record["explanation"])


def test_a_certificate_whose_printed_name_is_someone_elses_is_not_filed(home: Home, tmp_path: Path) -> None:
    # the register knows 220487-0503 as Sofie Rasmussen; the certificate names Hans Rasmussen beside that CPR
    shutil.copy(SAMPLES / "cases_with_names.csv", home.folder / "var" / "cases.csv")
    pdf = text_pdf([["LÆ 125 Statusattest", "Navn: Hans Rasmussen", "CPR-nr.: 220487-0503",
                     "Borgeren er fortsat uarbejdsdygtig."]])
    path = tmp_path / "wrong_name.eml"
    path.write_bytes(mail_with_pdf(pdf))
    (record,) = home.process(str(path))
    assert (record["outcome"], record["reason"]) == ("escalated", "name_mismatch")
    assert home.archived() == []
    assert any("Hans Rasmussen" in line and "Rasmussen, Sofie" in line for line in record["explanation"])


def test_check_rules_and_status_say_which_safety_factors_are_active(home: Home, tmp_path: Path) -> None:
    checked = home.run("check-rules").stdout
    assert "name: off, the case archive knows no citizen names" in checked
    assert "trusted channel (none declared)" in checked
    assert "WARNING: senders.toml authserv_ids still holds the placeholder mx.kommune.example" in checked
    shutil.copy(SAMPLES / "cases_with_names.csv", home.folder / "var" / "cases.csv")
    answered = home.run("status", "--json", check=False)
    assert answered.returncode == 3, answered.stderr  # no daemon runs here: said, and the ledger still reported
    status = json.loads(answered.stdout)
    assert any(line.startswith("name: on") and "(13 of 13 cases named)" in line for line in status["safety_factors"])
    # a mailbox declared a trusted channel is named as one
    with home.config.open("a", encoding="utf-8") as config:
        config.write('[ingress.imap.tunnel]\nhost = "imap.kommune.example"\nusername = "lae"\n'
                     'password_env = "LAE_PW"\ntrusted_channel = true\n')
    assert "trusted channel (imap:tunnel)" in home.run("check-rules").stdout


def test_every_document_gets_a_notice_without_cpr(home: Home) -> None:
    home.process(*MAILS)
    notices = home.notices()
    assert len(notices) == len(EXPECTED)
    for notice in notices:
        text = notice.as_string() + notice.get_body().get_content()
        assert not FULL_CPR.search(text)
    to_caseworker = {str(n["To"]) for n in notices if "journaliseret" in str(n["Subject"])}
    assert "anne.holm@kommune.example" in to_caseworker  # SD-1001's caseworker
    assert "jobcenter.attester@kommune.example" in to_caseworker  # JA-2001 has none: the route's team mailbox
    escalations = [n for n in notices if "kunne ikke placere" in str(n["Subject"])]
    assert all(str(n["To"]) == "lae-robot-drift@kommune.example" for n in escalations)
    assert len(escalations) == sum(1 for e in EXPECTED if e["outcome"] == "escalated")


def test_running_again_files_nothing_twice(home: Home) -> None:
    first = by_document(home.process(*MAILS))
    archived = [p.read_bytes() for p in home.archived()]
    notices = len(home.notices())
    second = by_document(home.process(*MAILS))
    assert [p.read_bytes() for p in home.archived()] == archived
    assert len(home.notices()) == notices
    assert all(r["repeat"] for r in second.values())
    assert {k: (r["outcome"], r["case_id"]) for k, r in second.items()} == {
        k: (r["outcome"], r["case_id"]) for k, r in first.items()}


def test_dry_run_decides_and_changes_nothing(home: Home) -> None:
    done = home.run("process", "--dry-run", "--json", *MAILS)
    got = by_document([json.loads(line) for line in done.stdout.splitlines()])
    assert {k: r["outcome"] for k, r in got.items()} == {(e["file"], e["attachment"] or ""): e["outcome"]
                                                         for e in EXPECTED}
    assert home.archived() == []
    assert not (home.folder / "var" / "ledger.sqlite3").exists()
    assert not (home.folder / "var" / "outbox").exists()


def test_same_pdf_in_another_mail_is_filed_once(home: Home, tmp_path: Path) -> None:
    original = SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml"
    resent = tmp_path / "resent.eml"
    resent.write_bytes(original.read_bytes().replace(b"Message-ID: <", b"Message-ID: <resent-"))
    first = home.process(str(original))
    again = home.process(str(resent))
    assert first[0]["outcome"] == "filed" and again[0]["outcome"] == "duplicate"
    assert again[0]["case_id"] == first[0]["case_id"] == "SD-1001"
    assert len(home.archived()) == 1
    assert sum("journaliseret" in str(n["Subject"]) for n in home.notices()) == 1


def mail_with_pdf(pdf: bytes, sender: str = "psykiatri.attester@rn.dk", subject: str = "Attest",
                  body: str = "Hermed attest.") -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "jobcenter@kommune.example", subject
    mail["Message-ID"] = f"<{abs(hash((pdf, subject, body)))}@rn.dk>"
    mail.set_content(body)
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="attest.pdf")
    return stamped(mail.as_bytes(), sender)


def test_printed_case_number_chooses_among_eligible_cases(home: Home, tmp_path: Path) -> None:
    # 171063-0883 has two open eligible cases (SD-1010, JA-2010): the printed number decides
    pdf = text_pdf([["LÆ 265 Lægeattest til rehabiliteringsteam", "CPR-nr.: 171063-0883",
                     "Jeres sagsnr.: JA-2010", "Borgeren kan deltage i afklaring."]])
    path = tmp_path / "printed.eml"
    path.write_bytes(mail_with_pdf(pdf))
    (record,) = home.process(str(path))
    assert (record["outcome"], record["case_id"]) == ("filed", "JA-2010")
    assert any("prints case number JA-2010" in line for line in record["explanation"])


def test_cpr_only_in_the_subject_is_never_enough(home: Home, tmp_path: Path) -> None:
    pdf = text_pdf([["LÆ 125 Statusattest", "Borgeren er fortsat uarbejdsdygtig."]])
    path = tmp_path / "subject-only.eml"
    path.write_bytes(mail_with_pdf(pdf, subject="Statusattest vedr. 220487-0503"))
    (record,) = home.process(str(path))
    assert (record["outcome"], record["reason"]) == ("escalated", "no_cpr")
    assert home.archived() == []


def test_escalations_list_show_resolve_reject(home: Home) -> None:
    records = by_document(home.process(*MAILS))
    listed = [json.loads(line) for line in home.run("escalations", "list", "--json").stdout.splitlines()]
    assert len(listed) == sum(1 for r in records.values() if r["outcome"] == "escalated")
    ambiguous = [e for e in listed if e["reason"] == "ambiguous_case"]
    first = ambiguous[0]["id"]

    shown = json.loads(home.run("escalations", "show", str(first), "--json").stdout)
    assert shown["reason"] == "ambiguous_case" and shown["document"]["cpr"] == "171063-xxxx"
    assert shown["mail"]["from"] == "attester.psykiatri@regionh.dk" and shown["audit"]

    wrong = home.run("escalations", "resolve", str(first), "--case", "SD-1001", check=False)
    assert wrong.returncode == 1 and "not one of this citizen's cases" in wrong.stderr

    done = home.run("escalations", "resolve", str(first), "--case", "SD-1010", "--operator", "Lise Operatør")
    assert "resolved by Lise Operatør" in done.stdout
    assert len(list((home.folder / "var" / "archive" / "SD-1010").glob("*.pdf"))) == 1
    assert any(str(n["To"]) == "bo.lund@kommune.example" for n in home.notices())
    again = home.run("escalations", "resolve", str(first), "--case", "SD-1010", check=False)
    assert again.returncode == 1 and "already resolved" in again.stderr

    no_pdf = next(e for e in listed if e["reason"] == "no_pdf")["id"]
    refused = home.run("escalations", "resolve", str(no_pdf), "--case", "SD-1001", check=False)
    assert refused.returncode == 1 and "holds no readable PDF to file" in refused.stderr
    home.run("escalations", "reject", str(no_pdf), "--note", "Tom mail, afsender kontaktet", "--operator", "Lise")

    still_open = [json.loads(line)["id"] for line in home.run("escalations", "list", "--json").stdout.splitlines()]
    assert first not in still_open and no_pdf not in still_open
    ledger = sqlite3.connect(home.folder / "var" / "ledger.sqlite3")
    actors = {row[0] for row in ledger.execute("SELECT actor FROM audit WHERE escalation_id IN (?, ?)",
                                               (first, no_pdf))}
    assert {"Lise Operatør", "Lise"} <= actors


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unavailable_archive_gives_retry_then_escalates_at_the_cap(tmp_path: Path) -> None:
    os.environ["LAE_TEST_TOKEN"] = "not-used"
    port = closed_port()
    home = Home(tmp_path, extra_config=(
        '[retry]\nmax_attempts = 2\n'
        '[archive]\nadapter = "http"\n'
        f'http = {{ base_url = "http://127.0.0.1:{port}/", timeout_seconds = 0.5, retries = 0, '
        'auth = { type = "bearer", token_env = "LAE_TEST_TOKEN" }, '
        'lookup = { method = "GET", path = "cases?cpr={cpr}", results = "", '
        'fields = { case_id = "id", case_type = "type", status = "status" } }, '
        'upload = { method = "POST", path = "cases/{case_id}/documents", mode = "json_base64", '
        'body = { data = "{document_base64}" }, document_ref = "id" }, '
        'health = { method = "GET", path = "health" } }\n'))
    mail = str(SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml")
    (first,) = home.process(mail)
    assert first["outcome"] == "retry"
    (second,) = home.process(mail)
    assert (second["outcome"], second["reason"]) == ("escalated", "archive_unavailable")
