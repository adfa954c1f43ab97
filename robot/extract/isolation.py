"""Run read_pdf and parse_letter in long-lived worker processes that bound each input's wall time, memory and size."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import multiprocessing
import os
import pickle
import queue
import resource
import signal
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Generic, TypeVar

import structlog

from robot.extract.answers import (
    DOCUMENT_ANSWER,
    MAIL_ANSWER,
    OCR_ANSWER,
    PAGES_ANSWER,
    PDF_ANSWER,
    AnswerKind,
    load_answer,
)
from robot.extract.parser_socket import ParserSocket
from robot.model import (
    DocumentReading,
    Letter,
    Limits,
    MailProblem,
    NoSuggestion,
    OcrOptions,
    OcrReading,
    PageImages,
    PdfContent,
    PdfFailure,
    PersonFindings,
    Reason,
    SmimeKeys,
    over_limit,
)

ReadPdf = Callable[[bytes, int], "PdfContent | PdfFailure"]
ReadPeople = Callable[[PdfContent], PersonFindings]
ParseMail = Callable[[bytes, Limits], Letter]
Handler = tuple[float, Callable[[bytes], object]]  # inside a worker: the request's seconds, and its work

_READY = b"ready"
_PDF = b"pdf"  # request tags: the parent sends a tag, then the input's bytes
_DOCUMENT = b"document"  # a PDF read, and whom its text is about
_MAIL = b"mail"
_OCR = b"ocr"  # a scan read with Tesseract: the input is the PDF
_BUNDLE = b"bundle"  # a FHIR Bundle handed over as a file (the FHIR drop folder), read into a Letter
_RENDER = b"render"  # a PDF's pages drawn as PNG: the input is a 4-byte page cap, a redact byte, then the PDF
_MAX_TAG_BYTES = 16
_START_SECONDS = 60.0  # a fresh worker imports pypdfium2, pypdf and pdfplumber: well under a second normally
_CPU_MARGIN_SECONDS = 2  # RLIMIT_CPU backstop: only fires if the parent's wall-clock kill did not happen
_MAX_RESULT_BYTES = 256 << 20
_MAX_WAITING = 64  # threads waiting for a busy worker on behalf of the event loop; more requests queue for one
_OUT_OF_MEMORY_EXIT = 75  # a worker's exit code when it ran out of memory answering; any other death is a crash

T = TypeVar("T")
_log = structlog.get_logger(__name__)


class ParserStartError(RuntimeError):
    """A parser process could not start; the fault is the machine's or the configuration's, not an input's."""


class _Cause(enum.Enum):
    """Why a parser process gave no answer for one input."""

    TIMEOUT = "timeout"  # ran past its wall-clock or CPU limit
    MEMORY = "memory"  # ran out of memory under its cap, and said so
    CRASH = "crash"  # died otherwise (signal, native abort), sent no valid result, or its parser raised


@dataclass(frozen=True)
class _Fault:
    """Why a worker gave no answer; each request kind names it in its own terms."""

    cause: _Cause
    detail: str



@dataclass(frozen=True)
class _Request(Generic[T]):
    """One kind of work for a worker: its tag on the pipe, its wall-clock limit, and what its answer may be."""

    tag: bytes
    seconds: float
    answer: AnswerKind[T]


class ParserPool:
    """A fixed number of parser processes reading PDFs and parsing raw mails, one input at a time each; `read` and
    `parse_mail` are safe from many threads.

    Each worker sets RLIMIT_AS (Limits.pdf_memory_mb) and RLIMIT_CORE=0 on itself before importing any parser, and
    arms RLIMIT_CPU per input as a backstop. A document that runs past Limits.pdf_seconds gets its worker
    SIGKILLed (pdf_timeout); a worker that runs out of memory or dies (native abort on a failed allocation,
    segfault) yields pdf_unreadable. A mail that runs past Limits.mail_seconds yields a Letter with one
    mail_timeout problem, one that runs out of memory mail_too_large, and one whose worker dies or sends no valid
    result parser_crashed. Either way a fresh worker takes its place, so later inputs are read normally.

    The `..._async` methods do the same from the event loop: the worker is asked and its answer read on the loop
    (parser_socket.py), not in a thread, which saves the daemon two thread hand-offs per mail and PDF. A thread is
    used only to wait for a worker while every one is busy, and to replace one that died or was killed.

    `smime` (our certificates' keys, the trust anchors) goes to each worker as it starts: S/MIME is decrypted and
    its signature checked inside the worker, with the mail, never in the daemon.
    """

    def __init__(self, limits: Limits, workers: int = 1, smime: SmimeKeys | None = None,
                 ocr: OcrOptions | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._limits = limits
        self._smime = smime or SmimeKeys()
        self._ocr_options = ocr or OcrOptions()
        self._ocr = _Request(_OCR, self._ocr_options.seconds, OCR_ANSWER)
        self._pdf = _Request(_PDF, limits.pdf_seconds, PDF_ANSWER)
        self._document = _Request(_DOCUMENT, limits.pdf_seconds, DOCUMENT_ANSWER)
        self._mail = _Request(_MAIL, limits.mail_seconds, MAIL_ANSWER)
        self._bundle = _Request(_BUNDLE, limits.mail_seconds, MAIL_ANSWER)
        self._render = _Request(_RENDER, limits.pdf_seconds, PAGES_ANSWER)
        self._context = multiprocessing.get_context("spawn")  # no fork: the daemon runs threads and asyncio
        self._lock = threading.Lock()
        self._closed = False
        self._live: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        # threads of its own wait for a busy worker on behalf of the event loop: in the loop's shared executor
        # enough waiters could take every thread, and the requests holding the workers need one to finish
        self._waiters = ThreadPoolExecutor(max_workers=_MAX_WAITING, thread_name_prefix="parser-wait")
        with self._lock:
            for _ in range(workers):
                self._idle.put(self._start_locked())

    def read(self, data: bytes) -> PdfContent | PdfFailure:
        """Read one PDF in a worker; blocks while every worker is busy. Raises ParserStartError, RuntimeError
        (pool closed); every problem with the document itself comes back as a PdfFailure."""
        if len(data) > self._limits.pdf_max_bytes:
            return PdfFailure(Reason.PDF_TOO_LARGE, over_limit(len(data), self._limits.pdf_max_bytes, "limits.pdf_max_bytes"))
        answer = self._run(self._pdf, data)
        return _pdf_failure(answer) if isinstance(answer, _Fault) else answer

    def read_document(self, data: bytes) -> DocumentReading:
        """Read one PDF and, when it has text, whom it is about (its CPR and printed patient names) in a worker,
        under the same limits as `read`: reading untrusted text is a parser's work, not the daemon's."""
        if len(data) > self._limits.pdf_max_bytes:
            return DocumentReading(PdfFailure(Reason.PDF_TOO_LARGE, over_limit(
                len(data), self._limits.pdf_max_bytes, "limits.pdf_max_bytes")))
        answer = self._run(self._document, data)
        return DocumentReading(_pdf_failure(answer)) if isinstance(answer, _Fault) else answer

    def render_pages(self, data: bytes, max_pages: int, *, redact: bool = True) -> PageImages | PdfFailure:
        """A PDF's first `max_pages` pages (at most Limits.pdf_max_pages) drawn as PNG images in a worker, under the
        same limits as `read`, CPR serials painted over unless not `redact`; an answer with more images than asked,
        or anything but PNGs, is no answer."""
        if len(data) > self._limits.pdf_max_bytes:
            return PdfFailure(Reason.PDF_TOO_LARGE, f"{len(data)} bytes, limit {self._limits.pdf_max_bytes}")
        cap = max(0, min(max_pages, self._limits.pdf_max_pages))
        answer = self._run(self._render, cap.to_bytes(4, "big") + bytes([redact]) + data)
        if isinstance(answer, _Fault):
            return _pdf_failure(answer)
        if isinstance(answer, PageImages) and len(answer.images) > min(cap, answer.pages):
            return PdfFailure(Reason.PDF_UNREADABLE, "parser process sent more pages than asked")
        return answer

    def read_scan(self, data: bytes) -> OcrReading:
        """A scan's first pages read with Tesseract in a worker, within OcrOptions.seconds and the pool's memory cap
        (which the tesseract program inherits); a reading that failed names why, never raises for the input."""
        if len(data) > self._limits.pdf_max_bytes:
            return OcrReading(failure=NoSuggestion.OCR_FAILED.value,
                              detail=over_limit(len(data), self._limits.pdf_max_bytes, "limits.pdf_max_bytes"))
        answer = self._run(self._ocr, data)
        if not isinstance(answer, _Fault):
            return answer
        failure = NoSuggestion.OCR_TIMEOUT if answer.cause is _Cause.TIMEOUT else NoSuggestion.OCR_FAILED
        return OcrReading(failure=failure.value, detail=answer.detail)

    def parse_mail(self, raw: bytes) -> Letter:
        """Parse one raw mail (RFC 5322 bytes) into a Letter in a worker, under the pool's Limits; blocks while
        every worker is busy. Raises as `read` does; every problem with the mail itself is a MailProblem."""
        answer = self._run(self._mail, raw)
        return _unread_mail(answer) if isinstance(answer, _Fault) else answer

    def parse_bundle(self, raw: bytes) -> Letter:
        """Read one FHIR Bundle handed over as a file (a MedCom CareCommunication) into a Letter in a worker, under
        the same limits as a mail; every problem with the bundle itself is a MailProblem."""
        answer = self._run(self._bundle, raw)
        return _unread_mail(answer) if isinstance(answer, _Fault) else answer

    async def read_document_async(self, data: bytes) -> DocumentReading:
        """read_document, from the event loop without blocking it."""
        if len(data) > self._limits.pdf_max_bytes:
            return DocumentReading(PdfFailure(Reason.PDF_TOO_LARGE, over_limit(
                len(data), self._limits.pdf_max_bytes, "limits.pdf_max_bytes")))
        answer = await self._run_async(self._document, data)
        return DocumentReading(_pdf_failure(answer)) if isinstance(answer, _Fault) else answer

    async def parse_mail_async(self, raw: bytes) -> Letter:
        """parse_mail, from the event loop without blocking it."""
        answer = await self._run_async(self._mail, raw)
        return _unread_mail(answer) if isinstance(answer, _Fault) else answer

    async def parse_bundle_async(self, raw: bytes) -> Letter:
        """parse_bundle, from the event loop without blocking it."""
        answer = await self._run_async(self._bundle, raw)
        return _unread_mail(answer) if isinstance(answer, _Fault) else answer

    def close(self) -> None:
        """Kill every worker; threads waiting for one get RuntimeError. Safe to call more than once."""
        with self._lock:
            self._closed = True
            doomed = list(self._live)
            self._live.clear()
        for worker in doomed:
            worker.kill()
        self._idle.put(None)  # wakes one waiter, which passes it on
        self._waiters.shutdown(wait=False)  # its threads end as they get the None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ workers in and out

    def _run(self, request: _Request[T], data: bytes) -> T | _Fault:
        worker = self._take()
        if not worker.alive():  # died while idle (OOM killer, an operator): not this input's fault
            worker = self._replace(worker) or self._take()
        healthy = False
        try:
            worker.wait_ready(_START_SECONDS)
            outcome = worker.run(request, data)
            healthy = outcome[1]
            return outcome[0]
        finally:
            self._give_back(worker if healthy else self._replace(worker))

    async def _run_async(self, request: _Request[T], data: bytes) -> T | _Fault:
        worker = await self._take_async()
        if not worker.alive():  # died while idle (OOM killer, an operator): not this input's fault
            replaced = await asyncio.to_thread(self._replace, worker)
            worker = replaced or await self._take_async()
        healthy = False
        try:
            if not worker.ready:  # a fresh worker still loading its parsers: rare, so a thread waits
                await asyncio.to_thread(worker.wait_ready, _START_SECONDS)
            outcome = await worker.run_async(request, data)
            healthy = outcome[1]
            return outcome[0]
        finally:
            if healthy:
                self._give_back(worker)
            else:  # killed, dead, or left mid-answer by a cancellation: replaced off the loop, whatever comes next
                threading.Thread(target=self._replace_quietly, args=(worker,), name="parser-replace",
                                 daemon=True).start()

    def _replace_quietly(self, worker: _Worker) -> None:
        """_replace in a thread of its own: a replacement that cannot start leaves the pool a worker short, as the
        blocking methods do, and is said in the log rather than lost in a thread."""
        try:
            self._give_back(self._replace(worker))
        except Exception as error:
            _log.error("parser_replacement_failed", error_type=type(error).__name__, live=len(self._live))

    async def _take_async(self) -> _Worker:
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:  # every worker busy: a thread waits for the next one given back
            try:
                waiting = asyncio.get_running_loop().run_in_executor(self._waiters, self._take)
            except RuntimeError:  # closed meanwhile: its executor takes no more waiters
                raise RuntimeError("ParserPool is closed") from None
            try:
                return await asyncio.shield(waiting)
            except asyncio.CancelledError:  # the worker it gets goes back to the pool, not astray
                waiting.add_done_callback(self._give_back_taken)
                raise
        if worker is None or self._closed:  # as in _take
            self._idle.put(None)
            raise RuntimeError("ParserPool is closed")
        return worker

    def _give_back_taken(self, taken: asyncio.Future[_Worker]) -> None:
        if not taken.cancelled() and taken.exception() is None:
            self._give_back(taken.result())

    def _start_locked(self) -> _Worker:
        worker = _Worker(self._context, self._limits, self._smime, self._ocr_options)
        self._live.add(worker)
        return worker

    def _take(self) -> _Worker:
        worker = self._idle.get()
        if worker is None or self._closed:  # a worker still queued at close() is already dead
            self._idle.put(None)
            raise RuntimeError("ParserPool is closed")
        return worker

    def _replace(self, worker: _Worker) -> _Worker | None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)
            return None if self._closed else self._start_locked()

    def _give_back(self, worker: _Worker | None) -> None:
        if worker is None:
            return
        with self._lock:
            closed = self._closed
        if closed:
            worker.kill()
        else:
            self._idle.put(worker)


class _Worker:
    """One worker process and the parent's end of its pipe; used by one thread at a time."""

    def __init__(self, context: multiprocessing.context.SpawnContext, limits: Limits, smime: SmimeKeys,
                 ocr: OcrOptions) -> None:
        self.conn, child_end = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child_end, limits, smime, ocr), name="parser",
                                       daemon=True)
        self.process.start()
        child_end.close()
        self.socket = ParserSocket(os.dup(self.conn.fileno()))  # the same pipe, for the event loop
        self.ready = False

    def alive(self) -> bool:
        return self.process.exitcode is None

    def wait_ready(self, seconds: float) -> None:
        if self.ready:
            return
        try:
            ok = self.conn.poll(seconds) and self.conn.recv_bytes(len(_READY)) == _READY
        except (EOFError, OSError):
            ok = False
        if not ok:
            self.process.join(1.0)
            raise ParserStartError(f"parser process did not start ({self._death()})")
        self.ready = True

    def run(self, request: _Request[T], data: bytes) -> tuple[T | _Fault, bool]:
        """The worker's answer and whether the worker can be used again."""
        deadline = time.monotonic() + request.seconds
        try:
            self.conn.send_bytes(request.tag)
            self.conn.send_bytes(data)
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                self.kill()
                return _Fault(_Cause.TIMEOUT, f"no result within {request.seconds:g} s"), False
            answer = self.conn.recv_bytes(_MAX_RESULT_BYTES)
        except (EOFError, OSError):  # the process is gone, or its answer was over the size limit
            return self._died(), False
        try:
            return load_answer(answer, request.answer), True
        except Exception:  # a trust boundary: whatever the worker sent, it is not a result
            self.kill()
            return _Fault(_Cause.CRASH, "parser process sent no valid result"), False

    async def run_async(self, request: _Request[T], data: bytes) -> tuple[T | _Fault, bool]:
        """run, on the event loop: the same answers and faults, the wall-clock limit covering sending too. A worker
        it gives up on is SIGKILLed at once and reaped by the pool's replacement, off the loop."""
        try:
            async with asyncio.timeout(request.seconds):
                await self.socket.send_frames(request.tag, data)
                answer = await self.socket.receive_frame(_MAX_RESULT_BYTES)
        except TimeoutError:
            self.process.kill()
            return _Fault(_Cause.TIMEOUT, f"no result within {request.seconds:g} s"), False
        except (EOFError, OSError):  # the process is gone, or its answer was over the size limit
            return await asyncio.to_thread(self._died), False
        try:
            return load_answer(answer, request.answer), True
        except Exception:  # a trust boundary: whatever the worker sent, it is not a result
            self.process.kill()
            return _Fault(_Cause.CRASH, "parser process sent no valid result"), False

    def _died(self) -> _Fault:
        self.process.join(1.0)  # end of pipe: the process is on its way out
        if self.alive():
            self.kill()
            return _Fault(_Cause.CRASH, "parser process sent no valid result")
        if self.process.exitcode == -signal.SIGXCPU:
            return _Fault(_Cause.TIMEOUT, f"parser process died ({self._death()})")
        if self.process.exitcode == _OUT_OF_MEMORY_EXIT:
            return _Fault(_Cause.MEMORY, "memory limit (limits.pdf_memory_mb)")
        return _Fault(_Cause.CRASH, f"parser process died ({self._death()})")

    def _death(self) -> str:
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            return signal.Signals(-code).name
        return f"exit code {code}"

    def kill(self) -> None:
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()
        self.socket.close()




def _pdf_failure(fault: _Fault) -> PdfFailure:
    """A PDF its worker gave no answer for: pdf_timeout past the time limit, pdf_unreadable otherwise."""
    return PdfFailure(Reason.PDF_TIMEOUT if fault.cause is _Cause.TIMEOUT else Reason.PDF_UNREADABLE, fault.detail)


def _unread_mail(fault: _Fault) -> Letter:
    """The Letter of a mail its worker gave no answer for: no header fields (they were never read), one problem
    naming the cause: mail_timeout, mail_too_large (memory) or parser_crashed."""
    if fault.cause is _Cause.TIMEOUT:
        problem = MailProblem(Reason.MAIL_TIMEOUT, f"the mail could not be read within the limits ({fault.detail})")
    elif fault.cause is _Cause.MEMORY:
        problem = MailProblem(Reason.MAIL_TOO_LARGE, f"the mail could not be read within the limits ({fault.detail})")
    else:
        problem = MailProblem(Reason.PARSER_CRASHED, f"the parser failed on the mail ({fault.detail})")
    return Letter(sender=None, recipients=(), subject="", message_id=None, date=None, body_text="",
                  attachments=(), problems=(problem,))


# ---------------------------------------------------------------- inside the worker process


def _worker_main(conn: Connection, limits: Limits, smime: SmimeKeys, ocr: OcrOptions) -> None:
    """Cap this process, load the parsers under the cap, say ready, then answer one request (tag, input) at a time."""
    # Ctrl-C reaches the whole process group: the parent decides when parsers stop (it closes the pipe)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _cap_process(limits)
    _quiet_parsers()
    handlers = _load_handlers(limits, smime, ocr)
    try:
        conn.send_bytes(_READY)
    except OSError:  # the parent died while this worker started (BrokenPipeError, ConnectionResetError)
        return
    while True:
        try:
            seconds, handle = handlers[conn.recv_bytes(_MAX_TAG_BYTES)]
            data = conn.recv_bytes()
        except (EOFError, OSError):  # the pool closed its end or the parent is gone
            return
        _arm_cpu_limit(seconds)
        try:
            answer = pickle.dumps(handle(data), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:  # no memory left even to name the failure: exit with a code that tells the parent
            raise SystemExit(_OUT_OF_MEMORY_EXIT) from None
        try:
            conn.send_bytes(answer)
        except OSError:  # the pool gave up on this input and closed its end, or the parent is gone
            return


def _cap_process(limits: Limits) -> None:
    cap = limits.pdf_memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would hold the document (a CPR) on disk


def _arm_cpu_limit(seconds: float) -> None:
    """RLIMIT_CPU is cumulative, so move the soft limit to this document's end; SIGXCPU kills a spinning orphan."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(time.process_time() + seconds) + _CPU_MARGIN_SECONDS
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _quiet_parsers() -> None:
    """Parser warnings can quote the document; the worker's stderr is the daemon's, so say nothing."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


def _load_handlers(limits: Limits, smime: SmimeKeys, ocr: OcrOptions) -> dict[bytes, Handler]:
    """Each request tag's limit and work; the parsers are loaded now, under the cap, not during a timed request."""
    import pdfplumber  # noqa: F401  (the last fallback of read_pdf)

    from robot.extract.document import read_people
    from robot.extract.letter import read_bundle, read_letter
    from robot.extract.ocr import ocr_pdf
    from robot.extract.page_image import render_pages
    from robot.extract.pdf import read_pdf
    from robot.mail.smime_open import Decryptor

    decryptor = Decryptor(smime)  # the keys loaded once per worker (the parent checked them at start)
    return {
        _PDF: (limits.pdf_seconds, lambda data: _read_one(read_pdf, data, limits.pdf_max_pages)),
        _DOCUMENT: (limits.pdf_seconds, lambda data: _read_document(read_pdf, read_people, data, limits.pdf_max_pages)),
        _MAIL: (limits.mail_seconds,
                lambda raw: _parse_one(lambda mail, caps: read_letter(mail, caps, decryptor), raw, limits)),
        _RENDER: (limits.pdf_seconds, lambda data: _render(render_pages, data)),
        _OCR: (ocr.seconds, lambda data: _read_scan(lambda scan: ocr_pdf(scan, ocr, read_people), data)),
        _BUNDLE: (limits.mail_seconds, lambda raw: _parse_one(read_bundle, raw, limits)),
    }


def _read_one(read: ReadPdf, data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    try:
        return read(data, max_pages)
    except MemoryError:
        return PdfFailure(Reason.PDF_UNREADABLE, "memory limit (limits.pdf_memory_mb)")
    except Exception as exc:  # the isolation boundary: a parser bug must not take the worker down with it
        return PdfFailure(Reason.PDF_UNREADABLE, f"unexpected {type(exc).__name__}")


def _read_document(read: ReadPdf, people: ReadPeople, data: bytes, max_pages: int) -> DocumentReading:
    content = _read_one(read, data, max_pages)
    if isinstance(content, PdfFailure) or not content.has_text:
        return DocumentReading(content)
    try:
        return DocumentReading(content, people(content))
    except MemoryError:
        return DocumentReading(PdfFailure(Reason.PDF_UNREADABLE, "memory limit (limits.pdf_memory_mb)"))
    except Exception as exc:  # the isolation boundary, as in _read_one
        return DocumentReading(PdfFailure(Reason.PDF_UNREADABLE, f"unexpected {type(exc).__name__} reading the text"))


def _render(render: Callable[..., PageImages | PdfFailure], data: bytes) -> PageImages | PdfFailure:
    try:
        return render(data[5:], int.from_bytes(data[:4], "big"), redact=data[4:5] != b"\x00")
    except MemoryError:
        return PdfFailure(Reason.PDF_UNREADABLE, "memory limit")
    except Exception as exc:  # the isolation boundary, as in _read_one
        return PdfFailure(Reason.PDF_UNREADABLE, f"unexpected {type(exc).__name__} drawing the pages")


def _read_scan(read: Callable[[bytes], OcrReading], data: bytes) -> OcrReading:
    try:
        return read(data)
    except MemoryError:
        return OcrReading(failure=NoSuggestion.OCR_FAILED.value, detail="memory limit (limits.pdf_memory_mb)")
    except Exception as exc:  # the isolation boundary, as in _read_one
        return OcrReading(failure=NoSuggestion.OCR_FAILED.value, detail=f"unexpected {type(exc).__name__} in OCR")


def _parse_one(parse: ParseMail, raw: bytes, limits: Limits) -> Letter:
    try:
        return parse(raw, limits)  # never raises by its contract, but under the cap even its own guard can fail
    except MemoryError:
        return _unread_mail(_Fault(_Cause.MEMORY, "memory limit (limits.pdf_memory_mb)"))
    except Exception as exc:  # the isolation boundary, as in _read_one
        return _unread_mail(_Fault(_Cause.CRASH, f"unexpected {type(exc).__name__}"))
