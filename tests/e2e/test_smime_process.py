"""Secure mail sealed by openssl, through the real `lae-robot process`: ours filed, someone else's escalated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.reason_mails import ONE_OPEN_CASE, TRUSTED, mail
from tests.e2e.test_process import Home
from tests.pdf_factory import text_pdf
from tests.smime_factory import (
    PASSPHRASE,
    PASSPHRASE_ENV,
    Identity,
    certificate_entity,
    encrypt,
    material,
    sealed_mail,
    sign,
)


def _pdf(note: str) -> bytes:
    """A certificate about the citizen with one open case; `note` makes each PDF a document of its own."""
    return text_pdf([["LÆ 125 Statusattest", f"CPR-nr.: {ONE_OPEN_CASE}", "Navn: Jens Hansen", note]])


def _sealed(tmp_path: Path, tag: str, *to: Identity, signed: bool = False) -> str:
    entity = certificate_entity(_pdf(f"Attest {tag}."))
    if signed:
        entity = sign(entity, material().region)
    path = tmp_path / f"{tag}.eml"
    path.write_bytes(sealed_mail(encrypt(entity, *to), TRUSTED, "Lægeattest", tag))
    return str(path)


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


@pytest.mark.usefixtures("passphrase")
def test_secure_mail_to_our_certificates_is_filed_like_plain_mail(tmp_path: Path) -> None:
    m = material()
    home = Home(tmp_path, extra_config=m.config(tmp_path))
    plain = tmp_path / "plain.eml"
    plain.write_bytes(mail(("attest.pdf", _pdf("Attest plain."))))
    files = [str(plain), _sealed(tmp_path, "signed-new", m.kommune_new, signed=True),
             _sealed(tmp_path, "rollover", m.kommune_old, m.kommune_new), _sealed(tmp_path, "old", m.kommune_old),
             _sealed(tmp_path, "foreign", m.foreign)]

    records = {Path(str(r["file"])).stem: r for r in home.process(*files)}

    filed = {stem: (r["outcome"], r["case_id"], r["rule"]) for stem, r in records.items() if stem != "foreign"}
    assert set(filed.values()) == {("filed", "SD-1001", records["plain"]["rule"])}, filed
    assert len(home.archived()) == 4
    signed = records["signed-new"]["explanation"]
    assert f"S/MIME part 1: decrypted with CN=Kommune 2026, serial {m.kommune_new.serial:#x}" in signed
    assert any(line.startswith("S/MIME part 1.1: signature valid (signer CN=Region Signer") for line in signed)
    assert any("decrypted with CN=Kommune 2025" in line for line in records["old"]["explanation"])
    assert not any("S/MIME" in line for line in records["plain"]["explanation"])
    # the sidecar beside the filed PDF tells it too
    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "var" / "archive").rglob("*.json")]
    assert sum("decrypted with CN=Kommune 2026" in json.dumps(s, ensure_ascii=False) for s in sidecars) == 1
    # encrypted to another kommune: escalated, named, and the recipient's serial told
    foreign = records["foreign"]
    assert (foreign["outcome"], foreign["reason"]) == ("escalated", "smime_encrypted")
    assert f"serial {m.foreign.serial:#x}" in str(foreign["detail"]) and "no configured certificate" in str(
        foreign["detail"])


@pytest.mark.usefixtures("passphrase")
def test_a_key_file_others_can_read_is_refused_at_start(tmp_path: Path) -> None:
    home = Home(tmp_path, extra_config=material().config(tmp_path))
    (tmp_path / material().kommune_old.key_file.name).chmod(0o644)
    done = home.run("process", str(tmp_path / "none.eml"), check=False)  # every command checks it (unit tests)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{home.config}: smime.keys[0].key: a key file only its owner can read (chmod 600), got mode 644" \
        in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "var" / "ledger.sqlite3").exists()


def test_a_wrong_passphrase_is_a_configuration_error_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "feil-kodeord")
    home = Home(tmp_path, extra_config=material().config(tmp_path))
    done = home.run("check-config", check=False)
    assert done.returncode == 2, done.stderr
    assert f"{home.config}: smime.keys[1].key: a private key that opens with its passphrase" in done.stderr
    assert "wrong passphrase" in done.stderr and "feil-kodeord" not in done.stderr and "Traceback" not in done.stderr
