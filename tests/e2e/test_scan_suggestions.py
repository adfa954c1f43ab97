"""Scans through `lae-robot process` and `escalations`: real Tesseract reads a rendered LÆ page turned into an
image-only PDF; the scan stays no_text_layer and is never filed by OCR, but carries a suggestion a person accepts
with one action. Two people, a CPR failing the date rules or a mail naming someone else suggest no citizen."""

from __future__ import annotations

import json
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.test_process import Home
from tests.gateway import stamped
from tests.scans import impossible_date, sample_certificate, scanned, two_people

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract (Debian tesseract-ocr) missing")

SENDER = "psykiatri.attester@rn.dk"  # Region Nordjylland, trusted in rules/senders.toml
ONE_PAGE = "[extract]\nocr_pages = 1\n"  # the samples name their patient and form on page 1: half the OCR time


def scan_file(folder: Path, name: str, pdf: bytes) -> str:
    path = folder / name
    path.write_bytes(scanned(pdf))
    return str(path)


def process_scans(home: Home, *files: str) -> list[dict[str, object]]:
    done = home.run("process", "--json", "--pdf-from", SENDER, *files)
    return [json.loads(line) for line in done.stdout.splitlines()]


def suggestion(record: dict[str, object]) -> dict[str, object]:
    value = record["suggestion"]
    assert isinstance(value, dict)
    return value


def test_a_scanned_certificate_is_suggested_rightly_and_filed_with_one_action(tmp_path: Path) -> None:
    home = Home(tmp_path / "home", ONE_PAGE)
    [record] = process_scans(home, scan_file(tmp_path, "scan.pdf", sample_certificate()))
    assert (record["outcome"], record["reason"], record["case_id"]) == ("escalated", "no_text_layer", None)
    assert home.archived() == []  # OCR never files by itself
    hint = suggestion(record)
    assert (hint["source"], hint["cpr"], hint["form"], hint["case_id"]) == ("ocr", "220487-xxxx", "LÆ 125", "SD-1001")
    assert isinstance(hint["cpr_confidence"], int) and 70 <= hint["cpr_confidence"] <= 100
    assert hint["missing"] == []

    shown = home.run("escalations", "show", "1").stdout
    assert "CPR: 220487-xxxx (læst med OCR, sikkerhed" in shown
    assert "case: SD-1001" in shown
    assert "lae-robot escalations resolve 1 --accept-suggestion" in shown

    done = home.run("escalations", "resolve", "1", "--accept-suggestion", "--operator", "anne")
    assert "filed in case SD-1001" in done.stdout
    [filed] = home.archived()
    assert filed.parent.name == "SD-1001" and "LAE125" in filed.name
    sidecar = json.loads(filed.with_suffix(".json").read_text(encoding="utf-8"))
    assert (sidecar["evidence"]["decision"]["decided_by"], sidecar["evidence"]["decision"]["kind"]) == ("anne", "attest")
    assert any("accepting the OCR suggestion" in line for line in sidecar["evidence"]["decision"]["explanation"])
    notices = home.notices()
    assert any("anne.holm@kommune.example" in str(n["To"]) for n in notices)  # the caseworker is told
    trail = home.run("escalations", "show", "1", "--json").stdout
    assert json.loads(trail)["state"] == "resolved"


@pytest.mark.parametrize(("pdf", "missing"), [(two_people, "two_people"), (impossible_date, "cpr_invalid")])
def test_two_people_or_an_impossible_date_suggest_nothing(tmp_path: Path, pdf: object, missing: str) -> None:
    home = Home(tmp_path / "home", ONE_PAGE)
    assert callable(pdf)
    [record] = process_scans(home, scan_file(tmp_path, "scan.pdf", pdf()))
    assert (record["outcome"], record["reason"]) == ("escalated", "no_text_layer")
    hint = suggestion(record)
    assert (hint["cpr"], hint["form"], hint["case_id"], hint["missing"]) == (None, None, None, [missing])
    refused = home.run("escalations", "resolve", "1", "--accept-suggestion", check=False)
    assert refused.returncode != 0 and "no suggested citizen and case" in refused.stderr
    assert home.archived() == []


@pytest.mark.parametrize(("sender", "reason"), [  # trusted or not: no citizen suggested
    (SENDER, "no_text_layer"), ("laege@klinik-ukendt.example", "untrusted_sender")])
def test_a_mail_naming_another_person_withdraws_the_suggested_citizen(tmp_path: Path, sender: str,
                                                                      reason: str) -> None:
    home = Home(tmp_path / "home", ONE_PAGE)
    msg = EmailMessage()
    msg["From"] = f"Lægen <{sender}>"
    msg["To"] = "jobcenter@kommune.example"
    msg["Subject"] = "Statusattest vedr. CPR 171063-0883"  # not the person on the scan
    msg["Message-ID"] = "<scan.other@rn.dk>"
    msg.set_content("Hermed scannet attest.")
    msg.add_attachment(scanned(sample_certificate()), maintype="application", subtype="pdf", filename="scan.pdf")
    path = tmp_path / "other.eml"
    path.write_bytes(stamped(msg.as_bytes(), sender))
    [record] = home.process(str(path))
    assert (record["outcome"], record["reason"]) == ("escalated", reason)
    hint = suggestion(record)
    assert (hint["cpr"], hint["case_id"]) == (None, None)
    assert "two_people" in hint["missing"]  # type: ignore[operator]
    assert home.archived() == []


@pytest.mark.parametrize(("setting", "missing", "factor"), [
    ("ocr = false", "ocr_off", "scans: no OCR suggestion (extract.ocr = false)"),
    # no such language data installed: tesseract refuses, and check-rules says so before any scan comes
    ('ocr_language = "tlh"', "tesseract_missing", "scans: OCR is on but tesseract has no language data tlh"),
    ("ocr_seconds = 0.1", "ocr_timeout", "scans: read by OCR (dan, first 2 pages at 300 dpi)"),
])
def test_without_ocr_the_scan_stays_no_text_layer_and_says_why(tmp_path: Path, setting: str, missing: str,
                                                               factor: str) -> None:
    home = Home(tmp_path / "home", f"[extract]\n{setting}\n")
    assert factor in home.run("check-rules").stdout
    [record] = process_scans(home, scan_file(tmp_path, "scan.pdf", sample_certificate()))
    assert (record["outcome"], record["reason"]) == ("escalated", "no_text_layer")
    assert suggestion(record)["missing"] == [missing]
    assert "Traceback" not in home.run("escalations", "show", "1").stdout
