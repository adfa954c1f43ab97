"""MedCom FHIR CareCommunication intake end to end: attached bundles through `lae-robot process`, dropped bundles
through the real daemon, with real PDFs; the citizen is the structured CPR, and every message gets one
Acknowledgement."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_daemon import Daemon
from tests.e2e.test_process import ROOT, Home
from tests.fhir_factory import SENDER_EAN, SENDER_SOR, as_json, as_xml, care_communication
from tests.gateway import stamped
from tests.pdf_factory import text_pdf

MEDCOM = ROOT / "tests" / "data" / "medcom"
SOFIE = "2204870503"  # samples/cases.csv: 220487-0503 has one open sygedagpenge case, SD-1001
BO = "1710630883"  # 171063-0883: someone else
CERTIFICATE = text_pdf([["LÆ 125 Statusattest", "Navn: Sofie Rasmussen", "CPR-nr.: 220487-0503",
                         "Borgeren er fortsat uarbejdsdygtig."]])
NAMES_NOBODY = text_pdf([["LÆ 125 Statusattest", "Borgeren er fortsat uarbejdsdygtig.",
                          "Venlig hilsen, overlæge K. Petersen"]])
NAMES_BO = text_pdf([["LÆ 125 Statusattest", "Navn: Bo Lund", "CPR-nr.: 171063-0883",
                      "Borgeren er fortsat uarbejdsdygtig."]])


def trusting_rules(folder: Path) -> Path:
    """A copy of the shipped rules whose Region Nordjylland also sends MedCom messages by SOR and EAN number."""
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    senders = rules / "senders.toml"
    text = senders.read_text(encoding="utf-8")
    original = 'name = "Region Nordjylland"\ndomains = ["rn.dk"]\n'
    assert original in text
    senders.write_text(text.replace(original, f'{original}sor = ["{SENDER_SOR}"]\nean = ["{SENDER_EAN}"]\n'),
                       encoding="utf-8")
    return rules


@pytest.fixture
def home(tmp_path: Path) -> Home:
    installed = Home(tmp_path, '[fhir]\nacknowledgement_dir = "var/acks"\n')
    rules = trusting_rules(tmp_path)
    installed.config.write_text(installed.config.read_text(encoding="utf-8").replace(str(ROOT / "rules"), str(rules)),
                                encoding="utf-8")
    return installed


def bundle_mail(bundle: bytes, subtype: str = "fhir+json", filename: str | None = "korrespondance.json",
                sender: str = "psykiatri.attester@rn.dk") -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "jobcenter@kommune.example", "Korrespondancemeddelelse"
    mail["Message-ID"] = f"<{abs(hash(bundle))}@rn.dk>"
    mail.set_content("Se vedhæftede MedCom-meddelelse.")
    mail.add_attachment(bundle, maintype="application", subtype=subtype, filename=filename)
    return stamped(mail.as_bytes(), sender)


def process_bundle(home: Home, tmp_path: Path, bundle: bytes, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    path = tmp_path / f"{name}.eml"
    path.write_bytes(bundle_mail(bundle, **kwargs))
    return home.process(str(path))


def acknowledgements(folder: Path) -> list[dict[str, Any]]:
    files = sorted((folder / "var" / "acks").glob("*.json")) if (folder / "var" / "acks").is_dir() else []
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    return [json.loads(file.read_text(encoding="utf-8")) for file in files]


def header_of(bundle: dict[str, Any]) -> dict[str, Any]:
    header: dict[str, Any] = bundle["entry"][0]["resource"]
    assert header["resourceType"] == "MessageHeader"
    return header


def issues_of(bundle: dict[str, Any]) -> list[str]:
    return [issue["details"]["text"] for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "OperationOutcome" for issue in entry["resource"]["issue"]]


def test_an_attached_json_bundle_is_filed_under_its_patient_and_acknowledged(home: Home, tmp_path: Path) -> None:
    message = care_communication([SOFIE], [CERTIFICATE], header_id="4605bbef-04c0-4df8-bc37-6203f3a80772")
    (record,) = process_bundle(home, tmp_path, as_json(message), "json")
    assert (record["outcome"], record["case_id"]) == ("filed", "SD-1001"), record["explanation"]
    assert any("CareCommunication's sender (SOR" in line and "Region Nordjylland" in line
               for line in record["explanation"])
    (ack,) = acknowledgements(home.folder)
    header = header_of(ack)
    assert ack["type"] == "message" and header["eventCoding"]["code"] == "acknowledgement-message"
    assert header["response"] == {"identifier": "4605bbef-04c0-4df8-bc37-6203f3a80772", "code": "ok"}
    assert header["destination"][0]["endpoint"] == f"https://sor2.sum.dsdn.dk/#id={SENDER_SOR}"
    assert issues_of(ack) == []
    # the same mail again: already done, and still one Acknowledgement
    (again,) = home.process(str(tmp_path / "json.eml"))
    assert again["repeat"] is True and len(acknowledgements(home.folder)) == 1


def test_a_dry_run_decides_but_writes_no_acknowledgement(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "dry.eml"
    path.write_bytes(bundle_mail(as_json(care_communication([SOFIE], [CERTIFICATE]))))
    (line,) = home.run("process", "--dry-run", "--json", str(path)).stdout.splitlines()
    assert json.loads(line)["case_id"] == "SD-1001"
    assert acknowledgements(home.folder) == [] and home.archived() == []


def test_a_pdf_naming_nobody_is_filed_on_the_structured_cpr(home: Home, tmp_path: Path) -> None:
    (record,) = process_bundle(home, tmp_path, as_xml(care_communication([SOFIE], [NAMES_NOBODY])), "xml",
                               subtype="fhir+xml", filename="korrespondance.xml")
    assert (record["outcome"], record["case_id"]) == ("filed", "SD-1001"), record["explanation"]
    assert record["cpr"] == "220487-xxxx"
    assert any("Patient.identifier gives CPR 220487-xxxx" in line for line in record["explanation"])
    (ack,) = acknowledgements(home.folder)
    assert header_of(ack)["response"]["code"] == "ok"


def test_a_pdf_naming_another_person_is_a_cpr_conflict_and_a_negative_acknowledgement(home: Home,
                                                                                      tmp_path: Path) -> None:
    (record,) = process_bundle(home, tmp_path, as_json(care_communication([SOFIE], [NAMES_BO])), "conflict",
                               subtype="octet-stream", filename=None)  # recognised by its content
    assert (record["outcome"], record["reason"]) == ("escalated", "cpr_conflict")
    assert home.archived() == []
    (ack,) = acknowledgements(home.folder)
    assert header_of(ack)["response"]["code"] == "fatal-error"
    (issue,) = issues_of(ack)
    assert issue.startswith("cpr_conflict: ") and "171063" not in issue


def test_one_good_and_one_contradicting_pdf_file_the_good_one_only(home: Home, tmp_path: Path) -> None:
    records = process_bundle(home, tmp_path, as_json(care_communication([SOFIE], [CERTIFICATE, NAMES_BO])), "mixed")
    assert sorted((r["outcome"], r["reason"]) for r in records) == [("escalated", "cpr_conflict"), ("filed", None)]
    (ack,) = acknowledgements(home.folder)  # one message, one answer: negative, as one document was not filed
    assert header_of(ack)["response"]["code"] == "fatal-error"


@pytest.mark.parametrize(("cprs", "reason"), [([], "no_cpr"), ([SOFIE, BO], "ambiguous_cpr"),
                                              (["2213870503"], "invalid_cpr")])
def test_a_bundle_without_exactly_one_valid_patient_cpr_is_not_filed(home: Home, tmp_path: Path,
                                                                     cprs: list[str], reason: str) -> None:
    (record,) = process_bundle(home, tmp_path, as_json(care_communication(cprs, [CERTIFICATE])), reason)
    assert (record["outcome"], record["reason"]) == ("escalated", reason)
    assert home.archived() == []
    (ack,) = acknowledgements(home.folder)
    assert issues_of(ack)[0].startswith(f"{reason}: ")


def test_a_sender_by_an_unknown_sor_number_is_untrusted(home: Home, tmp_path: Path) -> None:
    bundle = care_communication([SOFIE], [CERTIFICATE], sender_sor="999999999999999", sender_ean="5790000999999")
    (record,) = process_bundle(home, tmp_path, as_json(bundle), "untrusted")
    assert (record["outcome"], record["reason"]) == ("escalated", "untrusted_sender")
    assert any("belongs to no trusted organisation" in line for line in record["explanation"])


def test_a_trusted_bundle_in_another_organisations_mail_is_untrusted(home: Home, tmp_path: Path) -> None:
    (record,) = process_bundle(home, tmp_path, as_json(care_communication([SOFIE], [CERTIFICATE])), "crossed",
                               sender="attester@regionh.dk")
    assert (record["outcome"], record["reason"]) == ("escalated", "untrusted_sender")
    assert any("Region Hovedstaden" in line for line in record["explanation"])


def test_medcoms_published_text_only_example_is_acknowledged_negatively(home: Home, tmp_path: Path) -> None:
    (record,) = process_bundle(home, tmp_path, (MEDCOM / "Vena_Vena.json").read_bytes(), "vena")
    assert (record["outcome"], record["reason"]) == ("escalated", "no_pdf")
    (ack,) = acknowledgements(home.folder)
    assert header_of(ack)["response"] == {"identifier": "b6f87a0c-c1d2-4efe-9ea2-6ed86ebdb1f1",
                                          "code": "fatal-error",
                                          "details": header_of(ack)["response"]["details"]}
    organisations = [e["resource"] for e in ack["entry"] if e["resource"]["resourceType"] == "Organization"]
    assert [o["name"] for o in organisations] == ["Amager og Hvidovre Hospital", "Vena - til testbrug"]


def test_a_hostile_attached_bundle_is_refused_with_its_reason(home: Home, tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
              b'<Bundle xmlns="http://hl7.org/fhir"><id value="&b;"/></Bundle>')
    (record,) = process_bundle(home, tmp_path, laughs, "laughs", subtype="fhir+xml", filename="b.xml")
    assert (record["outcome"], record["reason"]) == ("escalated", "fhir_refused")
    assert acknowledgements(home.folder) == []  # nothing was read to answer: the escalation tells a person


# ---------------------------------------------------------------- the drop folder, through the real daemon


def test_a_bundle_dropped_in_the_folder_is_filed_acknowledged_and_removed(tmp_path: Path) -> None:
    daemon = Daemon(tmp_path)
    rules = trusting_rules(tmp_path)
    drop = tmp_path / "vans-in"
    drop.mkdir()
    daemon.config.write_text(daemon.config.read_text(encoding="utf-8").replace(str(ROOT / "rules"), str(rules))
                             + '[fhir]\ndrop_dir = "vans-in"\npoll_seconds = 0.2\nsettle_seconds = 0.1\n'
                               'acknowledgement_dir = "var/acks"\n', encoding="utf-8")
    (tmp_path / "var").mkdir(exist_ok=True)
    daemon.start()
    try:
        good = as_xml(care_communication([SOFIE], [CERTIFICATE], header_id="drop-good"))
        bad = as_json(care_communication([SOFIE], [NAMES_BO], header_id="drop-conflict"))
        (drop / ".writing.tmp").write_bytes(good)  # still being written: left alone
        (drop / "good.xml").write_bytes(good)
        (drop / "bad.json").write_bytes(bad)
        shutil.copy(MEDCOM / "Nasure_EDI-Portalen.xml", drop / "nasure.xml")  # MedCom's own: text only, no PDF
        past = time.time() - 5
        for name in ("good.xml", "bad.json", "nasure.xml"):
            os.utime(drop / name, (past, past))
        daemon.wait_done(3)
        deadline = time.monotonic() + 10
        while any((drop / name).exists() for name in ("good.xml", "bad.json", "nasure.xml")):
            assert time.monotonic() < deadline, "the dropped files were not taken"
            time.sleep(0.1)
        assert (drop / ".writing.tmp").exists()
        with daemon.ledger() as db:
            outcomes = set(db.execute("SELECT m.source, d.outcome, d.reason FROM documents d "
                                      "JOIN messages m ON m.id = d.message_id").fetchall())
        assert outcomes == {("fhir_folder", "filed", None), ("fhir_folder", "escalated", "cpr_conflict"),
                            ("fhir_folder", "escalated", "no_pdf")}
        acks = {header_of(a)["response"]["identifier"]: header_of(a)["response"]["code"]
                for a in acknowledgements(tmp_path)}
        assert acks == {"drop-good": "ok", "drop-conflict": "fatal-error",
                        "f9d5c54e-ff09-4499-b3b6-8a129f12babd": "fatal-error"}
        assert len(list((tmp_path / "var" / "archive" / "SD-1001").glob("*.pdf"))) == 1
    finally:
        assert daemon.stop() == 0
