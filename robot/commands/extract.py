"""`lae-robot extract`: reads PDFs and mails and prints one record per document found in them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from robot.extract.reader import DocumentReader
from robot.extract.record import extraction_record, problem_record
from robot.model import Limits, MailProblem, Reason, over_limit

MAIL_SUFFIXES = {".eml", ".msg", ".mail"}


@dataclass(frozen=True)
class Job:
    """One PDF to read, or one refusal to report, from one input file."""

    file: str
    attachment: str | None
    data: bytes | None = None
    problem: MailProblem | None = None


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their PDFs and mails, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in MAIL_SUFFIXES | {".pdf"}))
        else:
            found.append(path)
    return found


def jobs_for(path: Path, limits: Limits, reader: DocumentReader) -> Iterator[Job]:
    """The documents in one input file: the file itself if it is a PDF, the PDFs inside it if it is a mail (parsed
    in the reader's capped parser processes, as the daemon parses mail)."""
    name = str(path)
    size = path.stat().st_size
    is_mail = path.suffix.lower() in MAIL_SUFFIXES or (path.suffix.lower() != ".pdf" and not _looks_like_pdf(path))
    if not is_mail:
        if size > limits.pdf_max_bytes:
            yield Job(name, None, problem=MailProblem(Reason.PDF_TOO_LARGE,
                                                     over_limit(size, limits.pdf_max_bytes, "limits.pdf_max_bytes")))
            return
        yield Job(name, None, data=path.read_bytes())
        return
    if size > limits.mail_max_bytes:
        yield Job(name, None, problem=MailProblem(Reason.MAIL_TOO_LARGE,
                                                 over_limit(size, limits.mail_max_bytes, "limits.mail_max_bytes")))
        return
    letter = reader.read_mail(path.read_bytes())
    for attachment in letter.attachments:
        yield Job(name, attachment.name, data=attachment.data)
    for problem in letter.problems:
        if problem.lost:  # mere defects noted while everything was read are no document's outcome
            yield Job(name, None, problem=problem)


def _looks_like_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return b"%PDF-" in handle.read(1024)


def run_extract(paths: list[Path], reader: DocumentReader, limits: Limits, *, as_json: bool, reveal_cpr: bool,
                workers: int, out: TextIO, err: TextIO) -> int:
    """Print one record per document; 0 unless an input could not be opened at all (a usage error: 2)."""
    jobs: list[Job] = []
    usage_errors = 0
    for path in expand(paths):
        try:
            jobs.extend(jobs_for(path, limits, reader))
        except OSError as error:
            print(f"lae-robot extract: cannot read {path}: {error.strerror}", file=err)
            usage_errors += 1

    def record(job: Job) -> dict[str, Any]:
        if job.problem is not None:
            return problem_record(job.file, job.problem.part, job.problem.reason, job.problem.detail, reveal_cpr)
        assert job.data is not None
        return extraction_record(job.file, job.attachment, reader.extract(job.data), reveal_cpr)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as threads:
        for result in threads.map(record, jobs):
            print(json.dumps(result, ensure_ascii=False) if as_json else _line(result), file=out, flush=True)
    return 2 if usage_errors else 0


def _line(record: dict[str, Any]) -> str:
    where = record["file"] + (f" [{record['attachment']}]" if record["attachment"] else "")
    found = " ".join(str(record[key]) for key in ("cpr", "blanket", "kind") if record[key])
    return f"{where}: {record['status']}" + (f" {found}" if found else "") + f" - {record['detail']}"
