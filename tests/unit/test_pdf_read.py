"""read_pdf on real PDFs built in the test: text lines, form fields, encryption, broken input, engine fallback."""

from __future__ import annotations

from collections.abc import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from robot.extract import pdf as pdf_module
from robot.extract.pdf import read_pdf
from robot.model import FormField, PdfContent, PdfFailure, Reason, TextLine
from tests import hostile_pdfs, pdf_factory

EXPECTED_SIMPLE = (
    TextLine(1, 1, "Lægeerklæring LÆ 125"),
    TextLine(1, 2, "CPR-nr.: 010190-1234"),
    TextLine(1, 3, "Navn: Jens Hansen"),
    TextLine(2, 1, "Side 2"),
    TextLine(2, 2, "Dato: 01.02.2025"),
)
EXPECTED_FIELDS = (
    FormField("patient.cpr", "CPR-nummer", "010190-1234"),
    FormField("patient.blanket", None, "LÆ 125"),
    FormField("patient.bemaerkning", "Bemærkninger", "Første linje\nAnden linje"),
)


def content(data: bytes, max_pages: int = 200) -> PdfContent:
    result = read_pdf(data, max_pages)
    assert isinstance(result, PdfContent), result
    return result


def failure(data: bytes) -> PdfFailure:
    result = read_pdf(data)
    assert isinstance(result, PdfFailure), result
    return result


# ---------------------------------------------------------------- text


def test_text_lines_are_numbered_per_page_among_non_empty_lines() -> None:
    result = content(pdf_factory.text_pdf())
    assert result.engine == "pdfium"
    assert result.pages == 2
    assert result.lines == EXPECTED_SIMPLE  # the blank line on page 1 takes no number; NBSP reads as a space
    assert result.fields == ()


def test_trailing_whitespace_is_stripped_and_a_line_ending_in_a_hyphen_stays_a_line() -> None:
    lines = content(pdf_factory.text_pdf([("CPR-nr.: 010190-", "1234", "slut   ")])).lines
    # pdfium joins "010190-<break>1234" into "010190\ufffe1234"; read_pdf restores the line as printed
    assert [line.text for line in lines] == ["CPR-nr.: 010190-", "1234", "slut"]


def test_only_the_first_max_pages_are_read_but_all_pages_are_counted() -> None:
    data = pdf_factory.text_pdf([(f"Side {n}",) for n in range(1, 6)])
    result = content(data, max_pages=2)
    assert result.pages == 5
    assert result.lines == (TextLine(1, 1, "Side 1"), TextLine(2, 1, "Side 2"))


def test_a_pdf_without_any_text_is_content_not_a_failure() -> None:
    result = content(pdf_factory.text_pdf([()]))
    assert result.pages == 1
    assert result.lines == () and result.fields == ()
    assert not result.has_text


def test_header_may_follow_leading_junk_within_1024_bytes() -> None:
    assert content(b"\0" * 500 + pdf_factory.text_pdf()).lines == EXPECTED_SIMPLE


# ---------------------------------------------------------------- form fields


def test_text_that_lives_only_in_form_fields_comes_out_as_fields() -> None:
    result = content(pdf_factory.form_only_pdf())
    assert result.lines == ()
    assert result.fields == EXPECTED_FIELDS  # qualified names, /TU labels, multi-line kept, /Yes checkbox skipped
    assert result.has_text


def test_top_level_fields_keep_their_plain_name_and_an_off_checkbox_is_skipped() -> None:
    result = content(pdf_factory.form_only_pdf(fields=(("cpr", None, "010190-1234"),), parent=None, checkbox="/Off"))
    assert result.fields == (FormField("cpr", None, "010190-1234"),)


def test_empty_field_values_are_left_out() -> None:
    result = content(pdf_factory.form_only_pdf(fields=(("cpr", "CPR", "  "), ("navn", None, "Jens")), parent=None))
    assert result.fields == (FormField("navn", None, "Jens"),)


# ---------------------------------------------------------------- encryption


def test_a_user_password_means_encrypted() -> None:
    data = pdf_factory.encrypted_pdf(user_password="hemmelig")
    with pytest.raises(pdfium.PdfiumError) as raised:  # the premise: pdfium really asks for a password
        pdfium.PdfDocument(data)
    assert raised.value.err_code == pdfium_c.FPDF_ERR_PASSWORD
    assert failure(data).reason is Reason.PDF_ENCRYPTED


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_an_empty_user_password_with_an_owner_password_reads_normally(algorithm: str) -> None:
    result = content(pdf_factory.encrypted_pdf(user_password="", owner_password="ejer", algorithm=algorithm))
    assert result.engine == "pdfium"
    assert result.lines == EXPECTED_SIMPLE


def test_fields_of_a_form_encrypted_with_an_empty_user_password_are_read() -> None:
    result = content(pdf_factory.encrypted_pdf(user_password="", source=pdf_factory.form_only_pdf()))
    assert result.fields == EXPECTED_FIELDS


# ---------------------------------------------------------------- broken and hostile input


def test_not_a_pdf() -> None:
    assert failure(pdf_factory.not_a_pdf()) == PdfFailure(Reason.PDF_UNREADABLE, "not a PDF")


@pytest.mark.parametrize("make", [pdf_factory.truncated_pdf, pdf_factory.garbage_pdf])
def test_corrupt_files_are_unreadable_and_every_engine_was_tried(make: Callable[[], bytes]) -> None:
    result = failure(make())
    assert result.reason is Reason.PDF_UNREADABLE
    assert [part.split(":")[0] for part in result.detail.split("; ")] == ["pdfium", "pypdf", "pdfplumber"]


def test_failure_detail_names_error_classes_never_document_content() -> None:
    result = failure(b"%PDF-1.7\n1 0 obj\n<< /CPR (010190-1234) " + b"[(010190-1234) " * 50)
    assert result.reason is Reason.PDF_UNREADABLE
    assert "010190" not in result.detail


def test_a_looping_page_tree_is_unreadable() -> None:
    result = failure(hostile_pdfs.looping_page_tree_pdf())
    assert result.reason is Reason.PDF_UNREADABLE


def test_deep_nesting_is_unreadable_and_pypdfs_recursion_error_is_caught() -> None:
    result = failure(hostile_pdfs.deeply_nested_pdf())
    assert result.reason is Reason.PDF_UNREADABLE
    assert "pypdf: RecursionError" in result.detail


def test_a_document_with_no_pages_is_unreadable() -> None:
    data = hostile_pdfs.assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    result = failure(data)
    assert result.reason is Reason.PDF_UNREADABLE
    assert "pdfium: no pages" in result.detail


def test_the_hand_built_minimal_pdf_is_valid() -> None:
    assert content(hostile_pdfs.hello_pdf()).lines == (TextLine(1, 1, "Hej verden"),)


# ---------------------------------------------------------------- fallback engines


def _pdfium_refuses(data: bytes) -> None:
    raise pdfium.PdfiumError("refused in test", err_code=pdfium_c.FPDF_ERR_FORMAT)


def _pypdf_refuses(data: bytes, max_pages: int) -> None:
    raise RecursionError("refused in test")


def test_pypdf_reads_text_and_fields_when_pdfium_cannot_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "_open_pdfium", _pdfium_refuses)
    text = content(pdf_factory.text_pdf())
    assert (text.engine, text.pages, [line.text for line in text.lines]) == (
        "pypdf",
        2,
        [line.text for line in EXPECTED_SIMPLE],
    )
    assert content(pdf_factory.form_only_pdf()).fields == EXPECTED_FIELDS


def test_pdfplumber_reads_text_and_fields_when_pdfium_and_pypdf_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "_open_pdfium", _pdfium_refuses)
    engines = dict(pdf_module._ENGINES) | {"pypdf": _pypdf_refuses}
    monkeypatch.setattr(pdf_module, "_ENGINES", tuple(engines.items()))
    text = content(pdf_factory.text_pdf())
    assert (text.engine, text.pages, [line.text for line in text.lines]) == (
        "pdfplumber",
        2,
        [line.text for line in EXPECTED_SIMPLE],
    )
    assert content(pdf_factory.form_only_pdf()).fields == EXPECTED_FIELDS
    assert failure(pdf_factory.encrypted_pdf()).reason is Reason.PDF_ENCRYPTED


def test_the_last_fallback_reads_what_the_others_refuse() -> None:
    """pdfium refuses the exploding page tree and pypdf stops at its page-tree limit; pdfminer reads the page."""
    result = content(hostile_pdfs.exploding_page_tree_pdf())
    assert result.engine == "pdfplumber"
    assert result.lines == (TextLine(1, 1, "Hej"),)


def test_memory_error_becomes_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    def out_of_memory(data: bytes) -> None:
        raise MemoryError

    monkeypatch.setattr(pdf_module, "_open_pdfium", out_of_memory)
    assert failure(pdf_factory.text_pdf()) == PdfFailure(Reason.PDF_UNREADABLE, "memory limit (limits.pdf_memory_mb)")
