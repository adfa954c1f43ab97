"""Scanned certificates made with real tools: a rendered LÆ page turned into an image-only PDF (pypdfium2)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pypdfium2 as pdfium

from tests.pdf_factory import text_pdf

ROOT = Path(__file__).resolve().parents[1]
SCAN_DPI = 200  # an office scanner's usual setting


def scanned(pdf: bytes, dpi: int = SCAN_DPI) -> bytes:
    """`pdf` as a scanner would hand it back: every page drawn to a grayscale picture at `dpi`, each picture the
    whole of an otherwise empty page of the same size. No text layer is left."""
    source = pdfium.PdfDocument(pdf)
    out = pdfium.PdfDocument.new()
    try:
        for index in range(len(source)):
            page = source[index]
            width, height = page.get_size()
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            target = out.new_page(width, height)
            image = pdfium.PdfImage.new(out)
            image.set_bitmap(bitmap)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            target.insert_obj(image)
            target.gen_content()
            page.close()
        from io import BytesIO

        buffer = BytesIO()
        out.save(buffer)
        return buffer.getvalue()
    finally:
        out.close()
        source.close()


def sample_certificate() -> bytes:
    """The LÆ 125 of samples/mail/01 (reportlab; citizen 220487-0503, one open sygedagpenge case SD-1001)."""
    mail = message_from_bytes((ROOT / "samples" / "mail" / "01_tunnel_rn_en_pdf.eml").read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    for part in mail.iter_attachments():
        content = part.get_content()
        if isinstance(content, bytes) and content.startswith(b"%PDF"):
            return content
    raise AssertionError("samples/mail/01 carries no PDF")


def two_people() -> bytes:
    """An LÆ 125 naming the patient and, with a CPR label too, a relative: two people."""
    return text_pdf([["Region Nordjylland - Psykiatrien", "LÆ 125 Statusattest", "", "Navn: Peter Holm",
                      "CPR-nr.: 220487-0503", "", "Pårørende: Hanne Lund", "CPR-nr.: 171063-0883", "",
                      "Borgeren er fortsat uarbejdsdygtig."]])


def impossible_date() -> bytes:
    """An LÆ 125 whose CPR label holds a number that fails the date rules (day 32)."""
    return text_pdf([["Region Nordjylland - Psykiatrien", "LÆ 125 Statusattest", "", "Navn: Peter Holm",
                      "CPR-nr.: 320487-0503", "", "Borgeren er fortsat uarbejdsdygtig."]])
