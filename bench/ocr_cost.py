"""Benchmark: what reading a scan with OCR costs, in seconds per scanned page, beside reading the same certificate
with its text layer, both measured in the same run through one isolated parser process (one core).

Each LÆ certificate in samples/pdf (the `*_lae1*`/`*_lae2*` attests) is drawn at 200 dpi and wrapped as an
image-only PDF (tests/scans.py), then read as the robot reads a scan: DocumentReader.extract finds no text layer
and asks the parser process for OCR (Tesseract, Danish, one thread, extract.ocr_pages pages at extract.ocr_dpi).
The text-layer figure is the same certificate as produced, read by the same extract call. The suggestion's CPR is
compared with the one the text layer gives, so the figure is of OCR that reads right.
Run: `make bench-ocr` or `.venv/bin/python bench/ocr_cost.py [--documents N] [--pages P] [--dpi D]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robot.extract.isolation import ParserPool  # noqa: E402
from robot.extract.reader import DocumentReader  # noqa: E402
from robot.model import Limits, OcrOptions  # noqa: E402
from robot.rules.catalogue import load_catalogue  # noqa: E402
from tests.scans import scanned  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=6, help="certificates scanned and read (default 6)")
    parser.add_argument("--pages", type=int, default=OcrOptions().pages, help="extract.ocr_pages")
    parser.add_argument("--dpi", type=int, default=OcrOptions().dpi, help="extract.ocr_dpi")
    args = parser.parse_args()
    certificates = sorted((ROOT / "samples" / "pdf").glob("[01]*_lae[12]*5_*.pdf"))[: args.documents]
    catalogue = load_catalogue(ROOT / "rules" / "blankets.toml")
    options = OcrOptions(pages=args.pages, dpi=args.dpi)
    text_seconds: list[float] = []
    scan_seconds: list[float] = []
    pages_read = right = 0
    with ParserPool(Limits(), workers=1, ocr=options) as pool:
        reader = DocumentReader(pool, lambda: catalogue)
        reader.extract(certificates[0].read_bytes())  # the worker started and warm
        for path in certificates:
            original = path.read_bytes()
            start = time.perf_counter()
            text = reader.extract(original)
            text_seconds.append(time.perf_counter() - start)
            scan = scanned(original)
            start = time.perf_counter()
            read = reader.extract(scan)
            scan_seconds.append(time.perf_counter() - start)
            pages_read += min(options.pages, read.pages)
            suggested = read.suggestion.cpr if read.suggestion else None
            truth = text.cpr.cpr if text.cpr else None
            right += suggested is not None and suggested == truth
            print(f"{path.name}: text {text_seconds[-1] * 1000:.1f} ms, scan {scan_seconds[-1]:.2f} s "
                  f"({min(options.pages, read.pages)} pages), CPR suggested {'right' if suggested == truth else 'NOT'}"
                  f" (not suggested: {', '.join(r.value for r in read.suggestion.missing) if read.suggestion else '-'})")
    per_page = sum(scan_seconds) / pages_read
    text_mean = statistics.fmean(text_seconds)
    scan_mean = statistics.fmean(scan_seconds)
    print(f"\n{len(certificates)} certificates, {pages_read} scanned pages at {options.dpi} dpi, "
          f"at most {options.pages} pages each")
    print(f"OCR: {per_page:.2f} s per scanned page; {scan_mean:.2f} s per scan (p50 "
          f"{statistics.median(scan_seconds):.2f} s, max {max(scan_seconds):.2f} s)")
    print(f"text layer: {text_mean * 1000:.1f} ms per certificate")
    print(f"ratio scan / text layer: {scan_mean / text_mean:.0f}x; CPR suggested right on {right} of "
          f"{len(certificates)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
