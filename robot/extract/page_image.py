"""Draws a PDF's pages as grayscale PNG images with pypdfium2: runs inside a parser process, never in the daemon."""

from __future__ import annotations

import re
import struct
import zlib

from robot.model import PageImages, PdfFailure, Reason

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCALE = 1.5  # 108 dpi: an A4 page is 893 x 1263 pixels, readable on a screen
# Ten digits in any written form (up to three spaces, dots, dashes, slashes or bars between any two), not inside a
# longer number: CPR-shaped, valid date or not (over-masking is harmless). Its last four digits are painted over.
_CPR_SHAPED = re.compile(r"(?<!\d)\d(?:[ \t\u00a0\u2000-\u200b\u202f.\-/|\u2010-\u2015\u2212]{0,3}\d){9}(?!\d)")
_DIGIT = re.compile(r"\d")
_MARGIN = 2  # pixels around each painted digit


def render_pages(data: bytes, max_pages: int, *, redact: bool = True, scale: float = SCALE) -> PageImages | PdfFailure:
    """The first `max_pages` pages as PNG; with `redact`, the serial digits of every CPR-shaped number in the page's
    text are painted over (DDMMYY-████), and a page without a text layer (a scan: nothing in it can be found to be
    covered) is drawn blank and named in `withheld`. An encrypted or unreadable PDF is a PdfFailure."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        reason = Reason.PDF_ENCRYPTED if "password" in str(error).lower() else Reason.PDF_UNREADABLE
        return PdfFailure(reason, "the PDF cannot be opened to draw its pages")
    try:
        count = len(document)
        images = []
        withheld: list[int] = []
        for index in range(min(count, max_pages)):
            page = document[index]
            bitmap = page.render(scale=scale, grayscale=True)
            pixels = bytearray(bitmap.buffer)
            if redact and not _has_text(page):
                pixels = bytearray(b"\xee" * len(pixels))  # light grey, the page's size
                withheld.append(index + 1)
            elif redact:
                for left, bottom, right, top in _serial_boxes(page):
                    _paint(pixels, bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels,
                           (left * scale, (page.get_height() - top) * scale, right * scale,
                            (page.get_height() - bottom) * scale))
            images.append(encode_png(bytes(pixels), bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels))
            page.close()
        return PageImages(pages=count, images=tuple(images), withheld=tuple(withheld))
    finally:
        document.close()


def _has_text(page: object) -> bool:
    """Whether the page has a text layer with anything but spaces in it."""
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        return bool(textpage.get_text_range().strip())
    finally:
        textpage.close()


def _serial_boxes(page: object) -> list[tuple[float, float, float, float]]:
    """The boxes (PDF points) of the last four digits of every CPR-shaped number in the page's text layer."""
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = textpage.get_text_range()
        boxes = []
        for match in _CPR_SHAPED.finditer(text):
            digits = [match.start() + m.start() for m in _DIGIT.finditer(match.group())]
            boxes += [textpage.get_charbox(index) for index in digits[6:] if index < textpage.count_chars()]
        return boxes
    finally:
        textpage.close()


def _paint(pixels: bytearray, width: int, height: int, stride: int, channels: int,
           box: tuple[float, float, float, float]) -> None:
    """Paint a box black (pixel coordinates, y downwards)."""
    x0, y0 = max(0, int(box[0]) - _MARGIN), max(0, int(box[1]) - _MARGIN)
    x1, y1 = min(width, int(box[2]) + _MARGIN + 1), min(height, int(box[3]) + _MARGIN + 1)
    if x1 <= x0:
        return
    for y in range(y0, y1):
        start = y * stride + x0 * channels
        pixels[start: start + (x1 - x0) * channels] = bytes((x1 - x0) * channels)


def encode_png(buffer: bytes, width: int, height: int, stride: int, channels: int) -> bytes:
    """A PNG of an 8-bit grayscale bitmap (`channels` 1), or of BGR/BGRX bitmaps reduced to their green channel."""
    rows = bytearray()
    for y in range(height):
        row = buffer[y * stride: y * stride + width * channels]
        rows += b"\x00" + (row if channels == 1 else row[1::channels])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
