"""The CPR reader's properties on generated documents rendered to real PDFs (reportlab and fpdf2, DejaVu Sans so
thin and no-break spaces are real characters) and read back through the real isolated parser processes: what the
properties hold for on text must survive a PDF producer's layout and pdfium's text extraction."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robot.extract.cpr import find_cpr
from robot.extract.isolation import ParserPool
from robot.model import Limits, PdfContent
from tests.lae_documents import TODAY, Document, documents

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core (.ci/run installs it)
RENDERED_EXAMPLES = 200  # a share of the text examples: each one is two real PDFs and two parser round trips

pytestmark = pytest.mark.skipif(not FONT.exists(), reason=f"{FONT} is missing (apt-get install fonts-dejavu-core)")


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with ParserPool(Limits(), workers=1) as readers:
        yield readers


def reportlab_pdf(content: PdfContent) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for page in range(1, content.pages + 1):
        y = A4[1] - 60
        canvas.setFont("DejaVu", 10)
        for line in (line for line in content.lines if line.page == page):
            canvas.drawString(56, y, line.text)
            y -= 14
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def fpdf2_pdf(content: PdfContent) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    for page in range(1, content.pages + 1):
        pdf.add_page()
        pdf.set_font("DejaVu", size=10)
        for line in (line for line in content.lines if line.page == page):
            pdf.cell(0, 6, line.text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@settings(max_examples=RENDERED_EXAMPLES)
@given(document=documents(fields=False), seed=st.integers(0, 2**32), producer=st.sampled_from((reportlab_pdf, fpdf2_pdf)))
def test_rendered_documents_keep_the_properties(pool: ParserPool, document: Document, seed: int,
                                                producer: object) -> None:
    content = document.content(seed)
    assert not content.fields  # these producers draw text only: the field examples are for the text tests
    read = pool.read(producer(content))  # type: ignore[operator]
    assert isinstance(read, PdfContent), read
    result = find_cpr(read, TODAY)
    assert result.cpr in (None, document.patient)
    if document.others:
        assert result.cpr is None
    else:
        assert result.cpr == document.patient, [line.text for line in read.lines]
