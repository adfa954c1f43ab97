"""Benchmark: CPU per PDF of read_pdf (text, fields and the active-content walk) and of the walk alone, over a folder.

In-process, one core, best of `--rounds` passes after a warm-up. Compare two trees by running it from each:
`PYTHONPATH=/path/to/tree .venv/bin/python bench/pdf_read_cost.py [--corpus samples/pdf]` (a tree without
robot/extract/active.py prints only read_pdf).
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path


def best_ms_per_pdf(work: Callable[[bytes], object], pdfs: list[bytes], rounds: int) -> float:
    for data in pdfs:
        work(data)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for data in pdfs:
            work(data)
        best = min(best, time.process_time() - started)
    return best / len(pdfs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / "samples" / "pdf")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    import robot.extract.pdf as pdf

    pdfs = [path.read_bytes() for path in sorted(args.corpus.glob("*.pdf"))]
    print(f"{len(pdfs)} PDFs from {args.corpus}, code from {Path(pdf.__file__).parents[2]}")
    print(f"read_pdf: {best_ms_per_pdf(pdf.read_pdf, pdfs, args.rounds):.2f} ms CPU per PDF")
    try:
        from robot.extract.active import find_active_content
    except ImportError:
        return
    print(f"active-content walk alone: {best_ms_per_pdf(find_active_content, pdfs, args.rounds):.2f} ms CPU per PDF")


if __name__ == "__main__":
    main()
