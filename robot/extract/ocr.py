"""Reads a scanned PDF's first pages with Tesseract OCR, inside a parser process: page images in, text lines out."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable

from robot.extract.spaces import SPACES_AND_DASHES
from robot.model import NoSuggestion, OcrOptions, OcrReading, PdfContent, PersonFindings, TextLine

ReadPeople = Callable[[PdfContent], PersonFindings]

_TSV_COLUMNS = 12  # level page block paragraph line word left top width height confidence text
_WORD_LEVEL = "5"
_MAX_TSV_BYTES = 16 << 20
# Tesseract answers before the parent's wall-clock kill, so the parser process never leaves it running as an orphan
_OWN_SHARE = 0.9


def ocr_pdf(data: bytes, options: OcrOptions, read_people: ReadPeople, tesseract: str = "tesseract") -> OcrReading:
    """The first `options.pages` pages drawn at `options.dpi` and read by Tesseract (`options.language`), one thread,
    within `options.seconds` altogether; the words as lines (with each word's confidence) and whom they are about.
    Never raises for a bad scan or a missing program: the reading then names the failure (a NoSuggestion value)."""
    program = shutil.which(tesseract)
    if program is None:
        return OcrReading(failure=NoSuggestion.TESSERACT_MISSING.value, detail=f"{tesseract} is not installed")
    deadline = time.monotonic() + options.seconds * _OWN_SHARE
    try:
        images, pages = _page_images(data, options)
    except MemoryError:
        return OcrReading(failure=NoSuggestion.OCR_FAILED.value, detail="memory limit drawing the pages")
    except Exception as error:  # pypdfium2 on a damaged page: this scan gets no suggestion, the worker goes on
        return OcrReading(failure=NoSuggestion.OCR_FAILED.value, detail=f"the pages cannot be drawn ({type(error).__name__})")
    lines: list[TextLine] = []
    confidences: list[tuple[float, ...]] = []
    for number, image in enumerate(images, start=1):
        seconds = deadline - time.monotonic()
        if seconds <= 0:
            return _timeout(options)
        try:
            done = subprocess.run(
                [program, "stdin", "stdout", "-l", options.language, "--dpi", str(options.dpi), "--psm", "3", "tsv"],
                input=image, capture_output=True, timeout=seconds, check=False,
                env={"OMP_THREAD_LIMIT": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        except subprocess.TimeoutExpired:
            return _timeout(options)
        except OSError as error:
            return OcrReading(failure=NoSuggestion.OCR_FAILED.value, detail=f"tesseract cannot run ({error.strerror})")
        if done.returncode != 0:
            missing_language = b"Failed loading language" in done.stderr or b"Error opening data file" in done.stderr
            return OcrReading(
                failure=(NoSuggestion.TESSERACT_MISSING if missing_language else NoSuggestion.OCR_FAILED).value,
                detail=(f"tesseract has no language data {options.language!r}" if missing_language
                        else f"tesseract failed on page {number} (exit code {done.returncode})"))
        page_lines, page_confidences = read_tsv(number, done.stdout[:_MAX_TSV_BYTES].decode("utf-8", "replace"))
        lines += page_lines
        confidences += page_confidences
    if not lines:
        return OcrReading(failure=NoSuggestion.NOTHING_READ.value, detail="OCR read no text", pages_read=len(images))
    content = PdfContent(pages=pages, lines=tuple(lines), engine="tesseract")
    return OcrReading(content=content, confidences=tuple(confidences), people=read_people(content),
                      pages_read=len(images))


def _timeout(options: OcrOptions) -> OcrReading:
    return OcrReading(failure=NoSuggestion.OCR_TIMEOUT.value,
                      detail=f"OCR not done within {options.seconds:g} s (extract.ocr_seconds)")


def _page_images(data: bytes, options: OcrOptions) -> tuple[list[bytes], int]:
    """The first pages as 8-bit grayscale PGM images (what Tesseract reads from its standard input), and the page
    count."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        count = len(document)
        images = []
        for index in range(min(count, options.pages)):
            page = document[index]
            try:
                bitmap = page.render(scale=options.dpi / 72, grayscale=True)
                width, height, stride = bitmap.width, bitmap.height, bitmap.stride
                pixels = bytes(bitmap.buffer)
                channels = bitmap.n_channels
            finally:
                page.close()
            rows = pixels if stride == width and channels == 1 else b"".join(
                pixels[y * stride: y * stride + width * channels][::channels] for y in range(height))
            images.append(b"P5\n%d %d\n255\n" % (width, height) + rows)
        return images, count
    finally:
        document.close()


def read_tsv(page: int, tsv: str) -> tuple[list[TextLine], list[tuple[float, ...]]]:
    """Tesseract's TSV as text lines (words joined by one space, in reading order) and each line's word
    confidences; words Tesseract gives no confidence (-1) or no text are left out."""
    lines: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != _TSV_COLUMNS or cells[0] != _WORD_LEVEL or not cells[11].strip():
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        if confidence < 0:
            continue
        lines.setdefault((cells[2], cells[3], cells[4]), []).append((cells[11].translate(SPACES_AND_DASHES).strip(),
                                                                  confidence))
    text_lines = [TextLine(page=page, line=number, text=" ".join(word for word, _ in words))
                  for number, words in enumerate(lines.values(), start=1)]
    return text_lines, [tuple(confidence for _, confidence in words) for words in lines.values()]


def describe_ocr(options: OcrOptions, tesseract: str = "tesseract") -> str:
    """One line for `status` and `check-rules`: whether scans get an OCR suggestion here, and if not, why."""
    if not options.enabled:
        return "scans: no OCR suggestion (extract.ocr = false); a scan escalates as no_text_layer with nothing read"
    program = shutil.which(tesseract)
    if program is None:
        return ("scans: OCR is on but the tesseract program is not installed (Debian: tesseract-ocr, "
                "tesseract-ocr-dan): scans escalate without a suggestion (tesseract_missing)")
    try:
        done = subprocess.run([program, "--list-langs"], capture_output=True, timeout=10, check=False,
                              env={"OMP_THREAD_LIMIT": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    except (OSError, subprocess.TimeoutExpired):
        return "scans: OCR is on but tesseract does not answer: scans escalate without a suggestion (ocr_failed)"
    installed = set(done.stdout.decode("utf-8", "replace").split())
    absent = [name for name in options.language.split("+") if name not in installed]
    if absent:
        return (f"scans: OCR is on but tesseract has no language data {', '.join(absent)} (Debian: "
                f"tesseract-ocr-{absent[0]}): scans escalate without a suggestion (tesseract_missing)")
    return (f"scans: read by OCR ({options.language}, first {options.pages} pages at {options.dpi} dpi) for a "
            "suggestion a person confirms; never filed by OCR alone")
