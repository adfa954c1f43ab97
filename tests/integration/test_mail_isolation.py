"""ParserPool.parse_mail against hostile mails: each ends as a named problem within its limit, and the next mail
parses normally."""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import resource
import signal
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from robot.extract.isolation import ParserPool
from robot.extract.letter import read_letter
from robot.mail.parse import parse_letter
from robot.model import Letter, Limits, Reason
from tests.mail_factory import attach, mail_with_pdfs, nested_multipart, new_mail

LIMITS = Limits()  # the defaults: 30 s per mail, 1024 MiB per parser process
MARGIN = 1.0  # seconds allowed beyond a limit for killing and reporting
NORMAL = mail_with_pdfs("attest.pdf")
EXPECTED = parse_letter(NORMAL, LIMITS)
SAMPLES = sorted((Path(__file__).parents[2] / "samples" / "mail").glob("*.eml"))


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with ParserPool(LIMITS) as shared:
        assert shared.parse_mail(NORMAL) == EXPECTED  # started and warm
        yield shared


def header_flood(headers: int) -> bytes:
    """A mail with this many header fields before a short body: about 2.5 s per million for the stdlib parser."""
    return b"From: klinik@laege.dk\r\nSubject: mange felter\r\n" + b"X-Fyld: v\r\n" * headers + b"\r\nhej\r\n"


def zip_bomb_mail(inflated_mib: int) -> bytes:
    """A mail with a zip attachment whose one PDF member inflates from about 0.1% of its size (zeros)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("bombe.pdf", "w") as member:
        member.write(b"%PDF-1.4\n")
        for _ in range(inflated_mib):
            member.write(bytes(1 << 20))
    return attach(new_mail(), out.getvalue(), "attester.zip", "application/zip").as_bytes()


def timed_parse(pool: ParserPool, raw: bytes) -> tuple[Letter, float]:
    start = time.monotonic()
    letter = pool.parse_mail(raw)
    return letter, time.monotonic() - start


def worker_pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.name == "parser" and child.pid}


def reasons(letter: Letter) -> list[Reason]:
    return [problem.reason for problem in letter.problems]


def assert_parses_normally(pool: ParserPool) -> None:
    letter, seconds = timed_parse(pool, NORMAL)
    assert letter == EXPECTED
    assert seconds < 5  # includes waiting for a replacement worker to start


# ---------------------------------------------------------------- normal mail


def test_every_sample_mail_parses_as_it_does_in_process(pool: ParserPool) -> None:
    """The worker parses the mail and reads the numbers its text names (read_letter), as in-process reading does."""
    assert SAMPLES
    for path in SAMPLES:
        raw = path.read_bytes()
        assert pool.parse_mail(raw) == read_letter(raw, LIMITS), path.name
    mentioned = pool.parse_mail((SAMPLES[0].parent / "10_cpr_i_emne_samme.eml").read_bytes())
    assert mentioned.attachments and all(a.mentioned_cprs for a in mentioned.attachments)


def test_a_mail_at_the_size_limit_parses_under_the_default_memory_cap(pool: ParserPool) -> None:
    """Five 7 MB PDFs, about 47 MiB of mail (base64): the cap is for hostile mail, not for large honest ones."""
    noise = random.Random(0)
    msg = new_mail()
    for n in range(5):
        attach(msg, b"%PDF-1.4\n" + noise.randbytes(7_000_000), f"bilag{n}.pdf")
    raw = msg.as_bytes()
    assert len(raw) < LIMITS.mail_max_bytes
    letter = pool.parse_mail(raw)
    assert letter == parse_letter(raw, LIMITS)
    assert len(letter.attachments) == 5 and letter.problems == ()


# ---------------------------------------------------------------- hostile mail


def test_tens_of_thousands_of_nested_multiparts_are_too_many_parts(pool: ParserPool) -> None:
    letter, seconds = timed_parse(pool, nested_multipart(50_000))
    assert reasons(letter) == [Reason.TOO_MANY_PARTS]
    assert seconds < LIMITS.mail_seconds
    assert_parses_normally(pool)


def test_a_zip_bomb_attachment_is_zip_unsafe_and_the_worker_lives_on(pool: ParserPool) -> None:
    before = worker_pids()
    letter, seconds = timed_parse(pool, zip_bomb_mail(inflated_mib=256))
    assert reasons(letter) == [Reason.ZIP_UNSAFE]
    assert seconds < LIMITS.mail_seconds
    assert worker_pids() == before
    assert_parses_normally(pool)


def test_a_header_flood_past_the_time_limit_is_mail_timeout_and_the_worker_is_replaced() -> None:
    limits = Limits(mail_seconds=0.2)
    others = worker_pids()  # the module's shared pool
    with ParserPool(limits) as short:
        assert_parses_normally(short)
        mine = worker_pids() - others
        letter, seconds = timed_parse(short, header_flood(1_000_000))
        assert reasons(letter) == [Reason.MAIL_TIMEOUT], letter.problems
        assert "could not be read within the limits (no result within 0.2 s)" in letter.problems[0].detail
        assert letter.attachments == () and letter.sender is None  # nothing of it was read
        assert seconds < limits.mail_seconds + MARGIN
        assert worker_pids().isdisjoint(mine)
        assert_parses_normally(short)


def test_a_header_flood_past_the_memory_cap_is_mail_too_large() -> None:
    """Two million header fields need more than 200 MiB in the email package: MemoryError under the cap, caught in
    the parser or, past it, by the worker, which then exits with the code that names memory. Either way:
    mail_too_large, not a timeout or a crash."""
    limits = Limits(pdf_memory_mb=200)
    parent_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ParserPool(limits) as small:
        assert_parses_normally(small)
        letter, seconds = timed_parse(small, header_flood(2_000_000))
        assert reasons(letter) == [Reason.MAIL_TOO_LARGE], letter.problems
        assert seconds < limits.mail_seconds + MARGIN
        assert_parses_normally(small)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_before < 100 << 10  # < 100 MiB here


def test_a_worker_killed_mid_mail_is_parser_crashed_and_the_next_mail_parses() -> None:
    others = worker_pids()
    with ParserPool(LIMITS) as own:
        assert_parses_normally(own)
        mine = worker_pids() - others
        answer: list[Letter] = []
        parsing = threading.Thread(target=lambda: answer.append(own.parse_mail(header_flood(1_000_000))))
        parsing.start()
        time.sleep(0.3)  # well inside the 2.5 s the flood takes
        for pid in mine:
            os.kill(pid, signal.SIGKILL)
        parsing.join(10)
        assert [reasons(letter) for letter in answer] == [[Reason.PARSER_CRASHED]]
        assert "parser process died (SIGKILL)" in answer[0].problems[0].detail
        assert_parses_normally(own)
