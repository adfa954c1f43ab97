"""Active content in a PDF (JavaScript, launch actions, embedded files) is found with pypdf, bounded, never run; a PDF
that cannot be walked says "not checked" instead of failing or hanging."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from robot.decisions.senders import load_senders
from robot.extract import active
from robot.extract.active import find_active_content
from robot.extract.pdf import read_pdf
from robot.model import ActiveFinding, PdfContent
from robot.rules.rulefile import RuleFileError
from tests import hostile_pdfs as hostile
from tests.e2e.reason_mails import certificate
from tests.pdf_factory import form_only_pdf

JS, LAUNCH, EMBEDDED, NOT_CHECKED = (ActiveFinding.JAVASCRIPT, ActiveFinding.LAUNCH, ActiveFinding.EMBEDDED_FILE,
                                     ActiveFinding.NOT_CHECKED)


@pytest.mark.parametrize(("build", "findings", "where"), [
    (hostile.with_javascript_open_action, (JS,), "/Root/OpenAction"),
    (hostile.with_javascript_name_tree, (JS,), "/Root/Names/JavaScript"),
    (hostile.with_launch_action, (LAUNCH,), "/Root/Pages/Kids[0]/Annots[0]/A"),
    (hostile.with_form_field_script, (JS,), "/Root/Pages/Kids[0]/Annots[0]/AA/K"),
    (hostile.with_embedded_file, (EMBEDDED,), "/Root/Names/EmbeddedFiles"),
    (hostile.with_action_cycle, (JS,), "/Root/OpenAction/Next/Next[1]"),
], ids=["open_action", "name_tree", "launch", "form_field", "embedded_file", "behind_a_cycle"])
def test_each_kind_is_found_and_where(build: Callable[[bytes], bytes], findings: tuple[ActiveFinding, ...],
                                      where: str) -> None:
    content = read_pdf(build(certificate()))
    assert isinstance(content, PdfContent) and content.has_text  # still read as the certificate it is
    assert content.active.findings == findings and content.active.where == (where,)


def test_a_normal_certificate_and_a_filled_form_have_none() -> None:
    for pdf in (certificate(), form_only_pdf([("cpr", "CPR-nr.", "010190-1017")])):
        content = read_pdf(pdf)
        assert isinstance(content, PdfContent) and content.active.findings == ()


def test_a_reference_cycle_in_the_action_chain_ends_quickly() -> None:
    pdf = hostile.with_action_cycle(certificate(), javascript_at_the_end=False)
    started = time.monotonic()
    assert find_active_content(pdf).findings == ()
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("build", [hostile.reference_loop_pdf, hostile.deeply_nested_pdf],
                         ids=["reference_loop", "deep_nesting"])
def test_a_structure_that_cannot_be_walked_is_not_checked_not_a_crash(build: Callable[[], bytes]) -> None:
    started = time.monotonic()
    found = find_active_content(build())
    assert found.findings == (NOT_CHECKED,) and found.where[0].startswith("the PDF could not be walked (")
    assert time.monotonic() - started < 2.0


def test_the_walk_stops_at_its_object_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(active, "MAX_NODES", 5)
    found = find_active_content(hostile.with_javascript_name_tree(certificate()))
    assert found.findings[-1] is NOT_CHECKED and found.where[-1] == "over 5 objects on the way to its actions"


def test_the_exploding_page_tree_is_walked_once_per_object() -> None:
    started = time.monotonic()
    assert find_active_content(hostile.exploding_page_tree_pdf()).findings == ()
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(("senders", "problem"), [
    ('escalate_active_pdf = "yes"\n', "'escalate_active_pdf' must be true or false"),
    ('[[organisation]]\nname = "R"\ndomains = ["rn.dk"]\nescalate_active_pdf = 1\n',
     "'escalate_active_pdf' must be true or false"),
])
def test_escalate_active_pdf_must_be_true_or_false(tmp_path: Path, senders: str, problem: str) -> None:
    path = tmp_path / "senders.toml"
    path.write_text(senders, encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_senders(path)
    assert [p.message for p in raised.value.problems] == [problem]


def test_an_organisation_s_own_escalate_active_pdf_overrides_the_file_s(tmp_path: Path) -> None:
    path = tmp_path / "senders.toml"
    path.write_text('escalate_active_pdf = true\n[[organisation]]\nname = "A"\ndomains = ["rn.dk"]\n'
                    'escalate_active_pdf = false\n[[organisation]]\nname = "B"\ndomains = ["rsyd.dk"]\n',
                    encoding="utf-8")
    rules = load_senders(path)
    assert [rules.escalates_active_pdf(o) for o in rules.organisations] == [False, True]


def test_megabytes_after_the_end_of_file_marker_cost_no_time() -> None:
    pdf = hostile.with_junk_after_the_end(hostile.with_javascript_open_action(certificate()))
    started = time.monotonic()
    assert find_active_content(pdf).findings == (JS,)
    assert time.monotonic() - started < 0.5  # pypdf's own search for the marker: seconds
    assert find_active_content(pdf.replace(b"%%EOF", b"%%END")).where == ("no end-of-file marker",)
