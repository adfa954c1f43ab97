"""`lae-robot run` filing a certificate into a fake SBSYS over SMTP: token, lookup, journalise, caseworker notice."""

from __future__ import annotations

import email
import hashlib
import json
import re
import signal
from collections import Counter
from email import policy
from pathlib import Path

import pytest

from tests.cpr_scanner import FULL_CPR
from tests.e2e.test_daemon import SAMPLES, Daemon
from tests.fake_sbsys import TOKEN_PATH, FakeSbsys, serve_in_thread

MAIL = SAMPLES / "mail" / "01_tunnel_rn_en_pdf.eml"


def sbsys_config(base: str) -> str:
    return (
        '[archive]\nadapter = "sbsys"\n'
        '[archive.sbsys]\n'
        f'base_url = "{base}"\n'
        'timeout_seconds = 5.0\nretries = 1\nbackoff_seconds = 0.1\n'
        'case_types = { "32.18.00" = "sygedagpenge" }\n'
        'caseworker_email = "{initials}@kommune.example"\n'
        'dokument_art_id = 1\n'
        f'auth = {{ type = "oauth2", token_url = "{base}{TOKEN_PATH.lstrip("/")}", client_id = "lae-robot", '
        'client_secret_env = "LAE_SBSYS_SECRET", username = "svc-lae-robot", password_env = "LAE_SBSYS_PASSWORD" }\n')


def attachment(path: Path) -> bytes:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    (part,) = list(message.iter_attachments())
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_a_certificate_mailed_to_the_daemon_is_journalised_in_sbsys_and_the_caseworker_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSbsys()
    fake.add_case(4711, "220487-0503", "32.18.00-G01-12-26", citizen="Sofie Rasmussen")
    fake.add_case(4650, "220487-0503", "32.18.00-G01-3-24", tilstand="Afsluttet", logon_id="BOLU")
    monkeypatch.setenv("LAE_SBSYS_SECRET", fake.client_secret)
    monkeypatch.setenv("LAE_SBSYS_PASSWORD", fake.password)
    with serve_in_thread(fake) as base:
        daemon = Daemon(tmp_path)
        with daemon.config.open("a", encoding="utf-8") as config:
            config.write(sbsys_config(base))
        try:
            daemon.start()
            assert daemon.send(str(MAIL)).returncode == 0
            daemon.wait_done(1, timeout=30)
            status, health = daemon.health()
            assert daemon.stop(signal.SIGTERM) == 0
        finally:
            if daemon.process is not None and daemon.process.poll() is None:
                daemon.process.kill()
                daemon.process.wait()

    assert status == 200 and health["checks"]["archive"] == "ok"  # type: ignore[index]
    assert daemon.outcomes() == Counter({("LÆ125_statusattest.pdf", "filed", "4711"): 1})
    pdf = attachment(MAIL)
    (document,) = fake.documents[4711]
    assert fake.documents[4650] == [] and fake.files[document["Id"]] == pdf
    sha = hashlib.sha256(pdf).hexdigest()
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d_LAE125_{sha[:8]}\.pdf", document["DokumentNavn"])
    (post,) = fake.journalise_posts
    assert post["json"]["SagID"] == 4711 and post["json"]["DokumentArt"] == {"Id": 1}
    assert post["json"]["Beskrivelse"].startswith("LÆ 125 ")
    assert fake.searches == [{"PrimaerPerson": {"CprNummer": "220487-0503"}, "Limit": 500}]
    assert fake.token_forms[0]["grant_type"] == "password"
    with daemon.ledger() as db:
        ref, decision = db.execute("SELECT document_ref, decision FROM documents").fetchone()
    explanation = json.loads(decision)["explanation"]
    assert "name: the printed patient name matches the case system's (1 place(s))" in explanation
    assert ref == str(document["Id"])

    (notice,) = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in (daemon.folder / "var" / "outbox").glob("*.eml")]
    assert notice["To"] == "anho@kommune.example"
    # the caseworker reads SBSYS's case number (Nummer), not its internal Id
    assert "32.18.00-G01-12-26" in notice["Subject"] and ref in notice.get_content()
    log = b"".join(daemon.logs).decode()
    assert "Traceback" not in log and not FULL_CPR.search(log)
    assert not FULL_CPR.search(json.dumps(fake.journalise_posts, ensure_ascii=False))
