"""ParserPool against hostile PDFs: each fails with its named reason in time and the next PDF reads normally."""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from robot.extract.document import read_people
from robot.extract.isolation import ParserPool, ParserStartError
from robot.extract.pdf import read_pdf
from robot.model import Limits, PdfContent, PdfFailure, Reason
from tests import hostile_pdfs, pdf_factory

LIMITS = Limits()  # the defaults: 10 s and 1024 MiB per document
MARGIN = 1.0  # seconds allowed beyond a limit for killing and reporting
NORMAL = pdf_factory.text_pdf()
EXPECTED = read_pdf(NORMAL)


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with ParserPool(LIMITS) as shared:
        assert shared.read(NORMAL) == EXPECTED  # started (the parsers import under the 1024 MiB cap) and warm
        yield shared


def timed_read(pool: ParserPool, data: bytes) -> tuple[PdfContent | PdfFailure, float]:
    start = time.monotonic()
    result = pool.read(data)
    return result, time.monotonic() - start


def worker_pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "parser" and child.pid}


def assert_unreadable(result: PdfContent | PdfFailure, detail: str = "") -> None:
    assert isinstance(result, PdfFailure), result
    assert result.reason is Reason.PDF_UNREADABLE
    assert detail in result.detail


def assert_reads_normally(pool: ParserPool) -> None:
    result, seconds = timed_read(pool, NORMAL)
    assert result == EXPECTED
    assert seconds < 5  # includes waiting for a replacement worker to start


# ---------------------------------------------------------------- normal documents


def test_the_pool_returns_what_read_pdf_returns(pool: ParserPool) -> None:
    form = pdf_factory.form_only_pdf()
    assert pool.read(NORMAL) == EXPECTED
    assert pool.read(form) == read_pdf(form)
    assert pool.read(pdf_factory.encrypted_pdf()) == read_pdf(pdf_factory.encrypted_pdf())


def test_a_document_is_read_with_whom_it_is_about_in_the_worker(pool: ParserPool) -> None:
    """The CPR and the patient's name are read from untrusted text in the parser process, under its limits, and
    come back as the daemon would have read them itself."""
    reading = pool.read_document(NORMAL)
    assert reading.content == EXPECTED
    assert reading.people == read_people(EXPECTED)
    assert reading.people is not None and reading.people.cpr.cpr is not None
    garbage = pool.read_document(pdf_factory.garbage_pdf())
    assert isinstance(garbage.content, PdfFailure) and garbage.people is None
    too_large = pool.read_document(b"%PDF-" + b"0" * LIMITS.pdf_max_bytes)
    assert isinstance(too_large.content, PdfFailure) and too_large.content.reason is Reason.PDF_TOO_LARGE


def test_workers_run_with_the_memory_cap_and_no_core_dumps(pool: ParserPool) -> None:
    pids = worker_pids()
    assert pids
    cap = LIMITS.pdf_memory_mb << 20
    for pid in pids:
        limits = {line[:26].strip(): line[26:].split() for line in Path(f"/proc/{pid}/limits").read_text().splitlines()}
        assert limits["Max address space"] == [str(cap), str(cap), "bytes"]
        assert limits["Max core file size"] == ["0", "0", "bytes"]
        assert limits["Max cpu time"][0] != "unlimited"  # armed per document as a backstop


# ---------------------------------------------------------------- hostile documents


def test_a_flate_bomb_hits_the_memory_cap_and_kills_only_the_worker(pool: ParserPool) -> None:
    """4 GiB of zeros behind two Flate filters (10 KB on disk). Without a cap pdfium inflates all of it (~5 GB RSS,
    15 s); under RLIMIT_AS its allocation fails and pdfium aborts the worker process."""
    bomb = hostile_pdfs.flate_bomb_pdf(inflated_gib=4)
    parent_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pids_before = worker_pids()
    result, seconds = timed_read(pool, bomb)
    assert_unreadable(result, "parser process died")
    assert seconds < LIMITS.pdf_seconds + MARGIN
    assert worker_pids().isdisjoint(pids_before)  # replaced
    largest_child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # reaped workers, the bomb's included
    assert largest_child_kib < LIMITS.pdf_memory_mb << 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_before < 100 << 10  # < 100 MiB in the parent
    assert_reads_normally(pool)


def test_a_memory_error_inside_the_worker_is_unreadable_and_the_worker_lives_on(pool: ParserPool) -> None:
    """pdfium and pypdf refuse this page tree, so pdfminer (no decompression cap) inflates the bomb: MemoryError."""
    pids_before = worker_pids()
    result, seconds = timed_read(pool, hostile_pdfs.bomb_for_pdfminer_pdf(inflated_gib=4))
    assert result == PdfFailure(Reason.PDF_UNREADABLE, "memory limit (limits.pdf_memory_mb)")
    assert seconds < LIMITS.pdf_seconds + MARGIN
    assert worker_pids() == pids_before
    assert_reads_normally(pool)


@pytest.mark.parametrize(
    "make", [hostile_pdfs.looping_page_tree_pdf, hostile_pdfs.deeply_nested_pdf], ids=["loop", "nesting"]
)
def test_loops_and_deep_nesting_are_unreadable(pool: ParserPool, make: Callable[[], bytes]) -> None:
    result, seconds = timed_read(pool, make())
    assert_unreadable(result)
    assert seconds < LIMITS.pdf_seconds + MARGIN
    assert_reads_normally(pool)


def test_a_document_that_reads_too_long_times_out_and_the_worker_is_replaced() -> None:
    """No crafted parser spin here (none found that these versions fall into): a legitimate 200-page PDF that takes
    about 0.2 s to read, against a limit of 0.05 s. It exercises the same path: wall-clock limit, SIGKILL, respawn."""
    big = pdf_factory.many_pages_pdf(200, lines_per_page=60)
    limits = Limits(pdf_seconds=0.05)
    others = worker_pids()  # the module's shared pool
    with ParserPool(limits) as short:
        assert_reads_normally(short)
        mine = worker_pids() - others
        result, seconds = timed_read(short, big)
        assert isinstance(result, PdfFailure) and result.reason is Reason.PDF_TIMEOUT, result
        assert seconds < limits.pdf_seconds + MARGIN
        assert worker_pids().isdisjoint(mine)
        assert_reads_normally(short)


def test_a_worker_killed_while_idle_does_not_cost_the_next_document(pool: ParserPool) -> None:
    for pid in worker_pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.05)
    assert_reads_normally(pool)


def test_too_large_is_refused_before_any_worker() -> None:
    with ParserPool(Limits(pdf_max_bytes=1000)) as small:
        result = small.read(NORMAL)
    assert isinstance(result, PdfFailure) and result.reason is Reason.PDF_TOO_LARGE


def test_a_worker_that_cannot_start_raises_instead_of_blaming_the_document() -> None:
    with ParserPool(Limits(pdf_memory_mb=32)) as starved, pytest.raises(ParserStartError):
        starved.read(NORMAL)  # 32 MiB is too little to import the parsers


# ---------------------------------------------------------------- threads and shutdown


def test_many_threads_share_the_workers() -> None:
    documents = [NORMAL, pdf_factory.form_only_pdf(), pdf_factory.encrypted_pdf(), pdf_factory.garbage_pdf()]
    expected = [read_pdf(data) for data in documents]
    mismatches: list[object] = []

    def reader(pool: ParserPool, offset: int) -> None:
        for n in range(40):
            index = (n + offset) % len(documents)
            result = pool.read(documents[index])
            if result != expected[index]:
                mismatches.append(result)

    with ParserPool(LIMITS, workers=2) as shared:
        threads = [threading.Thread(target=reader, args=(shared, offset)) for offset in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert mismatches == []


def test_workers_do_not_outlive_the_pool() -> None:
    before = worker_pids()
    pool = ParserPool(LIMITS, workers=2)
    assert pool.read(NORMAL) == EXPECTED
    mine = worker_pids() - before
    assert len(mine) == 2
    pool.close()
    assert worker_pids().isdisjoint(mine)
    with pytest.raises(RuntimeError):
        pool.read(NORMAL)
    pool.close()
