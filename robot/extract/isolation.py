"""Run read_pdf in long-lived worker processes that bound each document's wall time, memory and size."""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import pickle
import queue
import resource
import signal
import threading
import time
import warnings
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType

from robot.model import FormField, Limits, PdfContent, PdfFailure, Reason, TextLine

ReadPdf = Callable[[bytes, int], "PdfContent | PdfFailure"]

_READY = b"ready"
_START_SECONDS = 60.0  # a fresh worker imports pypdfium2, pypdf and pdfplumber: well under a second normally
_CPU_MARGIN_SECONDS = 2  # RLIMIT_CPU backstop: only fires if the parent's wall-clock kill did not happen
_MAX_RESULT_BYTES = 256 << 20
_RESULT_TYPES = {("robot.model", cls.__name__): cls for cls in (PdfContent, PdfFailure, TextLine, FormField, Reason)}


class PdfWorkerStartError(RuntimeError):
    """A worker process could not start; the fault is the machine's or the configuration's, not a document's."""


class PdfReaderPool:
    """A fixed number of worker processes reading PDFs one at a time each; `read` is safe from many threads.

    Each worker sets RLIMIT_AS (Limits.pdf_memory_mb) and RLIMIT_CORE=0 on itself before importing any parser, and
    arms RLIMIT_CPU per document as a backstop. A document that runs past Limits.pdf_seconds gets its worker
    SIGKILLed (pdf_timeout); a worker that dies (native abort on a failed allocation, segfault) yields
    pdf_unreadable. Either way a fresh worker takes its place, so later documents are read normally.
    """

    def __init__(self, limits: Limits, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._limits = limits
        self._context = multiprocessing.get_context("spawn")  # no fork: the daemon runs threads and asyncio
        self._lock = threading.Lock()
        self._closed = False
        self._live: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        with self._lock:
            for _ in range(workers):
                self._idle.put(self._start_locked())

    def read(self, data: bytes) -> PdfContent | PdfFailure:
        """Read one PDF in a worker; blocks while every worker is busy. Raises PdfWorkerStartError, RuntimeError
        (pool closed); every problem with the document itself comes back as a PdfFailure."""
        if len(data) > self._limits.pdf_max_bytes:
            return PdfFailure(Reason.PDF_TOO_LARGE, f"{len(data)} bytes, limit {self._limits.pdf_max_bytes}")
        worker = self._take()
        if not worker.alive():  # died while idle (OOM killer, an operator): not this document's fault
            worker = self._replace(worker) or self._take()
        healthy = False
        try:
            worker.wait_ready(_START_SECONDS)
            result, healthy = worker.run(data, self._limits.pdf_seconds)
            return result
        finally:
            self._give_back(worker if healthy else self._replace(worker))

    def close(self) -> None:
        """Kill every worker; threads waiting for one get RuntimeError. Safe to call more than once."""
        with self._lock:
            self._closed = True
            doomed = list(self._live)
            self._live.clear()
        for worker in doomed:
            worker.kill()
        self._idle.put(None)  # wakes one waiter, which passes it on

    def __enter__(self) -> PdfReaderPool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ workers in and out

    def _start_locked(self) -> _Worker:
        worker = _Worker(self._context, self._limits)
        self._live.add(worker)
        return worker

    def _take(self) -> _Worker:
        worker = self._idle.get()
        if worker is None or self._closed:  # a worker still queued at close() is already dead
            self._idle.put(None)
            raise RuntimeError("PdfReaderPool is closed")
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

    def __init__(self, context: multiprocessing.context.SpawnContext, limits: Limits) -> None:
        self.conn, child_end = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child_end, limits), name="pdf-reader", daemon=True)
        self.process.start()
        child_end.close()
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
            raise PdfWorkerStartError(f"PDF worker did not start ({self._death()})")
        self.ready = True

    def run(self, data: bytes, seconds: float) -> tuple[PdfContent | PdfFailure, bool]:
        """The worker's answer and whether the worker can be used again."""
        deadline = time.monotonic() + seconds
        try:
            self.conn.send_bytes(data)
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                self.kill()
                return PdfFailure(Reason.PDF_TIMEOUT, f"no result within {seconds:g} s"), False
            answer = self.conn.recv_bytes(_MAX_RESULT_BYTES)
        except (EOFError, OSError):  # the process is gone, or its answer was over the size limit
            return self._died(), False
        try:
            return _load_result(answer), True
        except Exception:  # a trust boundary: whatever the worker sent, it is not a result
            self.kill()
            return PdfFailure(Reason.PDF_UNREADABLE, "parser process sent no valid result"), False

    def _died(self) -> PdfFailure:
        self.process.join(1.0)  # end of pipe: the process is on its way out
        if self.alive():
            self.kill()
            return PdfFailure(Reason.PDF_UNREADABLE, "parser process sent no valid result")
        reason = Reason.PDF_TIMEOUT if self.process.exitcode == -signal.SIGXCPU else Reason.PDF_UNREADABLE
        return PdfFailure(reason, f"parser process died ({self._death()})")

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


class _ResultUnpickler(pickle.Unpickler):
    """Loads only the result records of robot.model: a worker that parsed hostile bytes is not trusted further."""

    def find_class(self, module: str, name: str) -> type:
        try:
            return _RESULT_TYPES[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} from PDF worker") from None


def _load_result(answer: bytes) -> PdfContent | PdfFailure:
    result = _ResultUnpickler(io.BytesIO(answer)).load()
    if not isinstance(result, (PdfContent, PdfFailure)):
        raise pickle.UnpicklingError(f"unexpected {type(result).__name__} from PDF worker")
    return result


# ---------------------------------------------------------------- inside the worker process


def _worker_main(conn: Connection, limits: Limits) -> None:
    """Cap this process, load the parsers under the cap, say ready, then answer one document per message."""
    # Ctrl-C reaches the whole process group: the parent decides when parsers stop (it closes the pipe)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _cap_process(limits)
    _quiet_parsers()
    read = _load_reader()
    try:
        conn.send_bytes(_READY)
    except OSError:  # the parent died while this worker started (BrokenPipeError, ConnectionResetError)
        return
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):  # the pool closed its end or the parent is gone
            return
        _arm_cpu_limit(limits.pdf_seconds)
        result = _read_one(read, data, limits.pdf_max_pages)
        try:
            conn.send_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # the pool gave up on this document and closed its end, or the parent is gone
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


def _load_reader() -> ReadPdf:
    import pdfplumber  # noqa: F401  (the last fallback: loaded now, under the cap, not during a timed read)

    from robot.extract.pdf import read_pdf

    return read_pdf


def _read_one(read: ReadPdf, data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    try:
        return read(data, max_pages)
    except MemoryError:
        return PdfFailure(Reason.PDF_UNREADABLE, "memory limit")
    except Exception as exc:  # the isolation boundary: a parser bug must not take the worker down with it
        return PdfFailure(Reason.PDF_UNREADABLE, f"unexpected {type(exc).__name__}")
