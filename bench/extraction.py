"""Benchmark: our extraction's documents per second and latency beside the ceiling measured in the same run.

The ceiling is the fastest library (pypdfium2) just opening each PDF in-process
and getting the text of every page, with no isolation and no analysis. Ours is
the full extraction step: the PDF sent to an isolated parser process (one
worker, so one core at a time), text and form fields read, then CPR and form
analysis. Run: `make bench` or `.venv/bin/python bench/extraction.py [--corpus DIR] [--documents N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import pypdfium2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from robot.rules.catalogue import load_catalogue  # noqa: E402
from robot.extract.isolation import ParserPool  # noqa: E402
from robot.extract.reader import DocumentReader  # noqa: E402
from robot.mail.parse import parse_letter  # noqa: E402
from robot.model import Limits  # noqa: E402

TARGET_RATIO = 0.5
TARGET_RATE = 200.0


def corpus(folder: Path) -> list[bytes]:
    """Every readable 1-3 page PDF in the folder, bare or attached to a mail."""
    found: list[bytes] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".pdf":
            found.append(path.read_bytes())
        elif path.suffix == ".eml":
            found.extend(a.data for a in parse_letter(path.read_bytes(), Limits()).attachments)
    return [data for data in found if 1 <= _pages(data) <= 3]


def _pages(data: bytes) -> int:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return 0
    try:
        return len(document)
    finally:
        document.close()


def ceiling_read(data: bytes) -> int:
    """Open and get all text, nothing else: the fastest a reader could be."""
    document = pypdfium2.PdfDocument(data)
    try:
        total = 0
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            total += len(text_page.get_text_range())
            text_page.close()
            page.close()
        return total
    finally:
        document.close()


def measure(label: str, documents: list[bytes], work: Callable[[bytes], object]) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for data in documents:
        begin = time.perf_counter()
        work(data)
        latencies.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    rate = len(documents) / elapsed
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"{label:<34} {rate:8.1f} docs/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    return rate, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "samples")
    parser.add_argument("--documents", type=int, default=2000, help="documents per measurement (corpus repeated)")
    args = parser.parse_args()

    base = corpus(args.corpus)
    if not base:
        print(f"no 1-3 page PDFs under {args.corpus}", file=sys.stderr)
        return 2
    documents = (base * (args.documents // len(base) + 1))[: args.documents]
    print(f"corpus: {len(base)} distinct PDFs of 1-3 pages from {args.corpus}, {len(documents)} reads per run")

    catalogue = load_catalogue(ROOT / "rules" / "blankets.toml")
    with ParserPool(Limits(), workers=1) as pool:
        # text-layer extraction only: a scan's OCR costs seconds and is measured apart (bench/ocr_cost.py)
        reader = DocumentReader(pool, lambda: catalogue, ocr=False)
        for data in base:  # warm up both paths
            ceiling_read(data)
            reader.extract(data)
        ceiling_rate, _ = measure("ceiling (pypdfium2 text only)", documents, ceiling_read)
        ours_rate, _ = measure("ours (isolated read + analysis)", documents, reader.extract)

    ratio = ours_rate / ceiling_rate
    print(f"ratio ours/ceiling: {ratio:.2f} (target >= {TARGET_RATIO:.2f}); "
          f"rate {ours_rate:.0f} docs/s (target >= {TARGET_RATE:.0f})")
    met = ratio >= TARGET_RATIO and ours_rate >= TARGET_RATE
    print("targets met" if met else "TARGETS NOT MET")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
