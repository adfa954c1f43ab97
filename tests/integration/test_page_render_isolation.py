"""Page images for the desk, drawn in the isolated parser processes: PNGs within the page cap, CPR serials painted
over unless asked, hostile PDFs a named failure, and a worker's answer checked at the trust boundary."""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops

from robot.extract.answers import PAGES_ANSWER, load_answer
from robot.extract.isolation import ParserPool
from robot.model import Limits, PageImages, PdfFailure, Reason
from tests import hostile_pdfs, pdf_factory
from tests.scans import sample_certificate, scanned

CPR_LINE = "CPR-nr.: 010190-1234"


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with ParserPool(Limits(pdf_seconds=5.0)) as shared:
        yield shared


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def test_pages_come_back_as_pngs_up_to_the_cap(pool: ParserPool) -> None:
    three = pdf_factory.text_pdf([("Side 1",), ("Side 2",), ("Side 3",)])
    result = pool.render_pages(three, 2)
    assert isinstance(result, PageImages) and result.pages == 3 and len(result.images) == 2
    for png in result.images:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size == (893, 1263)  # A4 at 1.5 x 72 dpi


def test_a_scanned_page_is_drawn_blank_unless_revealed(pool: ParserPool) -> None:
    """No text layer, so no CPR in it can be found to be covered: the page is withheld until the full CPR is asked
    for (and a page with text beside it is drawn as usual)."""
    scan = scanned(sample_certificate())
    with_text = pdf_factory.text_pdf([("Side 1",)])
    withheld = pool.render_pages(scan, 2)
    shown = pool.render_pages(scan, 2, redact=False)
    assert isinstance(withheld, PageImages) and isinstance(shown, PageImages)
    assert withheld.withheld == (1,) and shown.withheld == ()
    blank, drawn = image(withheld.images[0]), image(shown.images[0])
    assert blank.getextrema()[0] == blank.getextrema()[1]  # one colour: nothing of the scan
    assert drawn.getextrema()[0] < 100  # the scan's dark print
    normal = pool.render_pages(with_text, 1)
    assert isinstance(normal, PageImages) and normal.withheld == ()


def test_cpr_serials_are_painted_over_unless_revealed(pool: ParserPool) -> None:
    pdf = pdf_factory.text_pdf([("Lægeerklæring LÆ 125", "", CPR_LINE, "Telefon: 12345678")])
    painted = pool.render_pages(pdf, 1)
    printed = pool.render_pages(pdf, 1, redact=False)
    assert isinstance(painted, PageImages) and isinstance(printed, PageImages)
    changed = ImageChops.difference(image(painted.images[0]), image(printed.images[0])).getbbox()
    assert changed is not None
    left, top, right, bottom = changed
    # only the CPR line changed (its baseline 104 pt from the top), right of the date: the four serial digits
    assert 90 * 1.5 < top and bottom < 112 * 1.5 and left > 150 * 1.5 and right - left < 40 * 1.5
    box = image(painted.images[0]).crop(changed)
    assert max(box.get_flattened_data()) == 0  # painted black


def test_a_page_without_cpr_is_drawn_as_printed(pool: ParserPool) -> None:
    pdf = pdf_factory.text_pdf([("Lægeerklæring LÆ 125", "Telefon: 12345678", "Dato: 01.02.2025")])
    painted, printed = pool.render_pages(pdf, 1), pool.render_pages(pdf, 1, redact=False)
    assert isinstance(painted, PageImages) and painted == printed


def test_a_hostile_or_broken_pdf_is_a_named_failure_and_the_next_draws(pool: ParserPool) -> None:
    for data in (pdf_factory.garbage_pdf(), pdf_factory.truncated_pdf(), hostile_pdfs.looping_page_tree_pdf()):
        result = pool.render_pages(data, 5)
        assert isinstance(result, (PdfFailure, PageImages))
        if isinstance(result, PdfFailure):
            assert result.reason in (Reason.PDF_UNREADABLE, Reason.PDF_TIMEOUT)
    too_large = pool.render_pages(b"%PDF" + b"0" * (Limits().pdf_max_bytes), 1)
    assert isinstance(too_large, PdfFailure) and too_large.reason is Reason.PDF_TOO_LARGE
    assert isinstance(pool.render_pages(pdf_factory.text_pdf(), 1), PageImages)


@pytest.mark.parametrize("answer", [
    PageImages(pages=1, images=(b"<script>not a png</script>",)),
    PageImages(pages=1, images=("\x89PNG\r\n\x1a\n text, not bytes",)),  # type: ignore[arg-type]
    PageImages(pages="1", images=()),  # type: ignore[arg-type]
    {"pages": 1},
])
def test_a_worker_answer_that_is_not_page_images_is_refused(answer: object) -> None:
    with pytest.raises(pickle.UnpicklingError):
        load_answer(pickle.dumps(answer), PAGES_ANSWER)


def test_page_images_and_failures_pass_the_boundary() -> None:
    good = PageImages(pages=2, images=(b"\x89PNG\r\n\x1a\nrest",))
    assert load_answer(pickle.dumps(good), PAGES_ANSWER) == good
    failure = PdfFailure(Reason.PDF_ENCRYPTED, "password")
    assert load_answer(pickle.dumps(failure), PAGES_ANSWER) == failure
