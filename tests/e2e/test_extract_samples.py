"""`lae-robot extract` over every committed sample gives exactly the outcome recorded in samples/expected.jsonl."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cpr_scanner import FULL_CPR  # one scanner for every e2e output

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def run_extract(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "robot", "extract", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def revealed() -> dict[tuple[str, str], dict[str, object]]:
    done = run_extract("--json", "--reveal-cpr", "samples/pdf", "samples/mail")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    return {(r["file"], r["attachment"] or ""): r for r in records}


EXPECTED = [json.loads(line) for line in (SAMPLES / "expected.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_samples_cover_what_the_issue_asks() -> None:
    pdfs = list((SAMPLES / "pdf").glob("*.pdf"))
    mails = list((SAMPLES / "mail").glob("*.eml"))
    assert len(pdfs) >= 30 and len(mails) >= 15
    statuses = {e["status"] for e in EXPECTED}
    assert {"ok", "no_cpr", "ambiguous_cpr", "unknown_blanket", "no_blanket", "not_certificate", "pdf_encrypted",
            "no_text_layer", "pdf_unreadable"} <= statuses


def test_one_record_per_expected_document(revealed: dict[tuple[str, str], dict[str, object]]) -> None:
    assert set(revealed) == {(e["file"], e["attachment"] or "") for e in EXPECTED}


@pytest.mark.parametrize("expected", EXPECTED, ids=[f"{e['file']}:{e['attachment'] or ''}" for e in EXPECTED])
def test_every_sample_has_its_expected_outcome(
    expected: dict[str, object], revealed: dict[tuple[str, str], dict[str, object]]
) -> None:
    got = revealed[(str(expected["file"]), str(expected["attachment"] or ""))]
    assert {k: got[k] for k in ("cpr", "blanket", "kind", "status")} == {
        k: expected[k] for k in ("cpr", "blanket", "kind", "status")
    }, expected["note"]


def test_without_reveal_no_full_cpr_is_printed() -> None:
    done = run_extract("--json", "samples/pdf", "samples/mail")
    assert done.returncode == 0
    assert not FULL_CPR.search(done.stdout + done.stderr)
    assert "-xxxx" in done.stdout


def test_human_output_names_file_and_status() -> None:
    done = run_extract("samples/pdf/01_lae125_rn_psykiatri_reportlab.pdf")
    assert done.returncode == 0
    assert done.stdout.startswith("samples/pdf/01_lae125_rn_psykiatri_reportlab.pdf: ok ")
    assert "LÆ 125" in done.stdout and not FULL_CPR.search(done.stdout)


def test_missing_file_is_a_usage_error_and_the_rest_still_run() -> None:
    done = run_extract("--json", "no/such/file.pdf", "samples/pdf/01_lae125_rn_psykiatri_reportlab.pdf")
    assert done.returncode == 2
    assert "no/such/file.pdf" in done.stderr
    assert json.loads(done.stdout)["status"] == "ok"


def test_evidence_points_at_page_line_and_label(revealed: dict[tuple[str, str], dict[str, object]]) -> None:
    record = revealed[("samples/pdf/01_lae125_rn_psykiatri_reportlab.pdf", "")]
    evidence = record["evidence"]
    assert isinstance(evidence, dict)
    accepted = [c for c in evidence["cpr"] if c["verdict"] == "accepted"]
    assert accepted and all(c["page"] >= 1 and c["line"] >= 1 for c in accepted)
    assert any(c["label"] for c in accepted)
    heading = [m for m in evidence["blanket"] if m["heading"] and not m["reference"]]
    assert heading[0]["code"] == "125" and heading[0]["page"] == 1
