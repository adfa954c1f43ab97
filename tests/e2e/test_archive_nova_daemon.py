"""`lae-robot run` filing a certificate sent over SMTP into a fake KMD Nova: lookup, two-call upload, notice."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.cpr_scanner import FULL_CPR
from tests.e2e.test_daemon import SAMPLES, Daemon
from tests.fake_nova import CLIENT_ID, CLIENT_SECRET, FakeNova, nova_case, serve_in_thread

MAIL = str(SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml")  # LÆ 125 for 220487-0503 (Sofie Rasmussen)


def test_a_certificate_sent_by_smtp_is_filed_into_nova_and_the_caseworker_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNova()
    open_uuid = fake.add(nova_case("2204870503", "S2026-01001", kle="32.18.08", racf="AZX0075",
                                   name="Sofie Rasmussen", department="Sygedagpenge Nord"))
    closed_uuid = fake.add(nova_case("2204870503", "S2025-00950", state="Afsluttet", name="Sofie Rasmussen"))
    monkeypatch.setenv("LAE_NOVA_SECRET", CLIENT_SECRET)
    with serve_in_thread(fake) as base:
        daemon = Daemon(tmp_path)
        with daemon.config.open("a", encoding="utf-8") as config:
            config.write(
                '[archive]\nadapter = "nova"\n[archive.nova]\n'
                f'base_url = "{base}/api/"\ntimeout_seconds = 5\n'
                f'auth = {{ token_url = "{base}/token", client_id = "{CLIENT_ID}", '
                'client_secret_env = "LAE_NOVA_SECRET" }\n'
                'case_types = { "32.18" = "sygedagpenge" }\n'
                'caseworker_email = "{racfId}@kommune.example"\n')
        try:
            daemon.start()
            assert daemon.send(MAIL).returncode == 0
            daemon.wait_done(1)
            status, health = daemon.health()
            assert daemon.stop(signal.SIGINT) == 0
        finally:
            if daemon.process is not None and daemon.process.poll() is None:
                daemon.process.kill()
                daemon.process.wait()
    with sqlite3.connect(f"file:{daemon.folder / 'var' / 'ledger.sqlite3'}?mode=ro", uri=True) as db:
        ((outcome, case_id, reason),) = db.execute("SELECT outcome, case_id, reason FROM documents").fetchall()
    assert (outcome, case_id, reason) == ("filed", open_uuid, None)
    assert fake.filed(closed_uuid) == []
    (document,) = fake.filed(open_uuid)
    sha = hashlib.sha256(document["content"]).hexdigest()
    assert document["content"].startswith(b"%PDF") and document["approved"] is True
    assert document["filename"].endswith(f"_LAE125_{sha[:8]}.pdf")
    assert document["import"]["title"].startswith("LÆ 125 ") and document["import"]["documentType"] == "Indgående"
    assert fake.hits["UploadFile"] == 1 and fake.hits["Import"] == 1
    assert fake.token_forms[0]["scope"] == "client"
    parser = BytesParser(policy=policy.default)
    notices = [parser.parsebytes(p.read_bytes()) for p in (daemon.folder / "var" / "outbox").glob("*.eml")]
    (notice,) = [n for n in notices if str(n["To"]) == "azx0075@kommune.example"]
    # the caseworker reads the case number Nova shows them, not the case's internal UUID
    assert "S2026-01001" in str(notice["Subject"]) and open_uuid not in str(notice["Subject"])
    assert document["documentUuid"] in notice.get_content()
    assert status == 200 and health["status"] == "ok"
    log = b"".join(daemon.logs).decode()
    assert "Traceback" not in log and not FULL_CPR.search(log)
