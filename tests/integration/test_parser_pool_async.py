"""ParserPool's `..._async` methods, as the daemon's stages use them: the same answers and the same named faults as
the blocking methods, the event loop never held up, and a worker never left answering the wrong request."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import structlog.testing

from robot.extract.document import read_people
from robot.extract.isolation import ParserPool
from robot.extract.pdf import read_pdf
from robot.mail.parse import parse_letter
from robot.model import DocumentReading, Letter, Limits, PdfFailure, Reason
from tests import hostile_pdfs, pdf_factory
from tests.mail_factory import mail_with_pdfs

LIMITS = Limits()
MARGIN = 1.0  # seconds allowed beyond a limit for killing and reporting
NORMAL_MAIL = mail_with_pdfs("attest.pdf")
EXPECTED_LETTER = parse_letter(NORMAL_MAIL, LIMITS)
SAMPLES = sorted((Path(__file__).parents[2] / "samples" / "mail").glob("*.eml"))


def header_flood(headers: int) -> bytes:
    """About 2.5 s per million header fields for the stdlib parser."""
    return b"From: klinik@laege.dk\r\nSubject: mange felter\r\n" + b"X-Fyld: v\r\n" * headers + b"\r\nhej\r\n"


def worker_pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "parser" and child.pid}


def reasons(letter: Letter) -> list[Reason]:
    return [problem.reason for problem in letter.problems]


def expected_reading(data: bytes) -> DocumentReading:
    content = read_pdf(data)
    return DocumentReading(content, read_people(content) if not isinstance(content, PdfFailure) else None)


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with ParserPool(LIMITS, workers=2) as shared:
        assert shared.parse_mail(NORMAL_MAIL) == EXPECTED_LETTER  # started and warm
        yield shared


async def assert_parses_normally(pool: ParserPool) -> None:
    started = time.monotonic()
    assert await pool.parse_mail_async(NORMAL_MAIL) == EXPECTED_LETTER
    assert time.monotonic() - started < 5  # includes waiting for a replacement worker to start


async def test_mails_and_documents_are_answered_as_the_blocking_methods_answer(pool: ParserPool) -> None:
    assert SAMPLES
    for path in SAMPLES:
        raw = path.read_bytes()
        assert await pool.parse_mail_async(raw) == pool.parse_mail(raw), path.name
    for data in (pdf_factory.text_pdf(), pdf_factory.form_only_pdf(), pdf_factory.encrypted_pdf(),
                 pdf_factory.garbage_pdf(), hostile_pdfs.with_javascript_open_action(pdf_factory.text_pdf())):
        assert await pool.read_document_async(data) == expected_reading(data)


async def test_a_large_mail_crosses_the_pipe_whole_both_ways(pool: ParserPool) -> None:
    """Several MB each way: the frames are written and read in pieces as the socket allows."""
    pdf = b"%PDF-1.4\n" + os.urandom(3_000_000)
    raw = mail_with_pdfs("bilag0.pdf", "bilag1.pdf", "bilag2.pdf", pdf=pdf)
    letter = await pool.parse_mail_async(raw)
    assert [a.data for a in letter.attachments] == [pdf, pdf, pdf]
    assert letter == parse_letter(raw, LIMITS)


async def test_the_event_loop_goes_on_while_a_worker_parses(pool: ParserPool) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    letter = await pool.parse_mail_async(header_flood(300_000))  # most of a second in the worker
    seconds = time.monotonic() - started
    ticker.cancel()
    assert reasons(letter) == [Reason.NO_PDF]  # read to its end: a mail without a PDF
    assert ticks >= seconds / 0.01 * 0.5, (ticks, seconds)


async def test_past_the_time_limit_a_mail_is_mail_timeout_and_the_worker_is_replaced() -> None:
    limits = Limits(mail_seconds=0.2)
    others = worker_pids()
    with ParserPool(limits) as short:
        await assert_parses_normally(short)
        mine = worker_pids() - others
        started = time.monotonic()
        letter = await short.parse_mail_async(header_flood(1_000_000))
        assert time.monotonic() - started < limits.mail_seconds + MARGIN
        assert reasons(letter) == [Reason.MAIL_TIMEOUT], letter.problems
        assert "no result within 0.2 s" in letter.problems[0].detail
        await assert_parses_normally(short)
        assert worker_pids().isdisjoint(mine)


async def test_past_the_time_limit_a_document_is_pdf_timeout() -> None:
    big = pdf_factory.many_pages_pdf(200, lines_per_page=60)  # about 0.2 s to read
    with ParserPool(Limits(pdf_seconds=0.05)) as short:
        reading = await short.read_document_async(big)
        assert isinstance(reading.content, PdfFailure) and reading.content.reason is Reason.PDF_TIMEOUT
        assert await short.read_document_async(pdf_factory.text_pdf()) == expected_reading(pdf_factory.text_pdf())


async def test_a_worker_killed_mid_mail_is_parser_crashed_and_the_next_mail_parses() -> None:
    others = worker_pids()
    with ParserPool(LIMITS) as own:
        await assert_parses_normally(own)
        mine = worker_pids() - others
        parsing = asyncio.create_task(own.parse_mail_async(header_flood(1_000_000)))
        await asyncio.sleep(0.3)  # well inside the 2.5 s the flood takes
        for pid in mine:
            os.kill(pid, signal.SIGKILL)
        letter = await asyncio.wait_for(parsing, 10)
        assert reasons(letter) == [Reason.PARSER_CRASHED]
        assert "parser process died (SIGKILL)" in letter.problems[0].detail
        await assert_parses_normally(own)


async def test_a_mail_past_the_memory_cap_is_mail_too_large() -> None:
    with ParserPool(Limits(pdf_memory_mb=200)) as small:
        await assert_parses_normally(small)
        letter = await small.parse_mail_async(header_flood(2_000_000))
        assert reasons(letter) == [Reason.MAIL_TOO_LARGE], letter.problems
        await assert_parses_normally(small)


async def test_a_request_cancelled_midway_leaves_no_answer_behind_for_the_next() -> None:
    """The daemon cancels its workers at shutdown: the worker that was answering is replaced, so the next request
    never reads the cancelled one's answer, and the pool keeps its size."""
    with ParserPool(LIMITS) as one:
        await assert_parses_normally(one)
        before = worker_pids()
        parsing = asyncio.create_task(one.parse_mail_async(header_flood(300_000)))
        await asyncio.sleep(0.1)
        parsing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await parsing
        await assert_parses_normally(one)  # its own answer, from a fresh worker
        assert worker_pids().isdisjoint(before - worker_pids()) and len(worker_pids() - before) <= 1


async def test_a_task_cancelled_while_waiting_for_a_worker_does_not_take_one_away() -> None:
    with ParserPool(LIMITS) as one:
        await assert_parses_normally(one)
        busy = asyncio.create_task(one.parse_mail_async(header_flood(200_000)))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(one.parse_mail_async(NORMAL_MAIL))  # no worker free: waits in a thread
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert reasons(await busy) == [Reason.NO_PDF]
        await asyncio.wait_for(assert_parses_normally(one), 10)  # the one worker is still in the pool


async def test_tasks_and_threads_share_the_workers_without_mixing_answers() -> None:
    mails = [NORMAL_MAIL, *(path.read_bytes() for path in SAMPLES[:3])]
    expected = [parse_letter(raw, LIMITS) for raw in mails]
    documents = [pdf_factory.text_pdf(), pdf_factory.garbage_pdf()]
    readings = [expected_reading(data) for data in documents]
    mismatches: list[object] = []

    def blocking(pool: ParserPool) -> None:
        for n in range(20):
            if (letter := pool.parse_mail(mails[n % len(mails)])) != expected[n % len(mails)]:
                mismatches.append(letter)

    async def awaiting(pool: ParserPool, offset: int) -> None:
        for n in range(20):
            index = (n + offset) % len(mails)
            if (letter := await pool.parse_mail_async(mails[index])) != expected[index]:
                mismatches.append(letter)
            if (reading := await pool.read_document_async(documents[n % 2])) != readings[n % 2]:
                mismatches.append(reading)

    with ParserPool(LIMITS, workers=2) as shared:
        thread = threading.Thread(target=blocking, args=(shared,))
        thread.start()
        await asyncio.gather(*(awaiting(shared, offset) for offset in range(4)))
        await asyncio.to_thread(thread.join, 60)
    assert mismatches == []


async def test_a_closed_pool_refuses() -> None:
    pool = ParserPool(LIMITS)
    pool.close()
    with pytest.raises(RuntimeError):
        await pool.parse_mail_async(NORMAL_MAIL)


async def test_a_replacement_that_cannot_start_is_logged_and_the_answer_still_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The machine refuses a new process (out of process slots): the timed-out mail is still mail_timeout, and the
    failed replacement is an error in the log, not a traceback lost in a thread."""
    with ParserPool(Limits(mail_seconds=0.2)) as short:
        await assert_parses_normally(short)

        def refuse() -> object:
            raise OSError(11, "Resource temporarily unavailable")

        monkeypatch.setattr(short, "_start_locked", refuse)
        with structlog.testing.capture_logs() as logs:
            letter = await short.parse_mail_async(header_flood(1_000_000))
            assert reasons(letter) == [Reason.MAIL_TIMEOUT]
            deadline = time.monotonic() + 10
            while not any(entry["event"] == "parser_replacement_failed" for entry in logs):
                assert time.monotonic() < deadline, logs
                await asyncio.sleep(0.05)
        [failed] = [entry for entry in logs if entry["event"] == "parser_replacement_failed"]
        assert failed["error_type"] == "BlockingIOError" and failed["live"] == 0


async def test_requests_waiting_for_a_busy_worker_leave_the_event_loops_threads_free() -> None:
    """With the loop's own thread pool down to two threads, ten requests queue for one worker, and the worker dies
    under the first: seeing why it died takes one of the loop's threads, which the nine waiting must not hold."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
    others = worker_pids()
    with ParserPool(LIMITS) as one:
        await assert_parses_normally(one)
        [pid] = worker_pids() - others
        first = asyncio.create_task(one.parse_mail_async(header_flood(1_000_000)))
        await asyncio.sleep(0.2)
        waiting = [asyncio.create_task(one.parse_mail_async(NORMAL_MAIL)) for _ in range(9)]
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        letters = await asyncio.wait_for(asyncio.gather(first, *waiting), 60)
    assert reasons(letters[0]) == [Reason.PARSER_CRASHED]
    assert letters[1:] == [EXPECTED_LETTER] * 9
