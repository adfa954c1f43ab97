"""Draws a PDF's pages as grayscale PNG images with pypdfium2: runs inside a parser process, never in the daemon."""

from __future__ import annotations

import struct
import zlib

from robot.model import PageImages, PdfFailure, Reason

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCALE = 1.5  # 108 dpi: an A4 page is 893 x 1263 pixels, readable on a screen


def render_pages(data: bytes, max_pages: int, scale: float = SCALE) -> PageImages | PdfFailure:
    """The first `max_pages` pages as PNG; an encrypted or unreadable PDF is a PdfFailure."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        reason = Reason.PDF_ENCRYPTED if "password" in str(error).lower() else Reason.PDF_UNREADABLE
        return PdfFailure(reason, "the PDF cannot be opened to draw its pages")
    try:
        count = len(document)
        images = []
        for index in range(min(count, max_pages)):
            page = document[index]
            bitmap = page.render(scale=scale, grayscale=True)
            images.append(encode_png(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                                     bitmap.n_channels))
            page.close()
        return PageImages(pages=count, images=tuple(images))
    finally:
        document.close()


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
