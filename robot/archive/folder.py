"""The folder archive: cases from a CSV register exported by the case system, documents filed under ROOT/<case_id>/."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import errno
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from robot.archive.base import Health, RegisterState
from robot.archive.naming import (
    CASE_ID_RULE,
    checked_case_id,
    cpr_digits,
    document_stem,
    is_safe_case_id,
    scrub,
    shown,
    verified_sha256,
)
from robot.durable import fsync_folder, write_temp
from robot.model import (
    ArchiveRejected,
    ArchiveUnavailable,
    Case,
    FilingMetadata,
    Receipt,
)
from robot.privacy import mask_deep
from robot.private_files import OWNER_ONLY, FileModes

REQUIRED_COLUMNS = ("cpr", "case_id", "case_type", "status", "caseworker_email", "team")  # optional: title, name
_CPR = re.compile(r"(\d{6})-?(\d{4})")

Signature = tuple[int, int, int]  # (st_mtime_ns, st_size, st_ino) of the register file


class RegisterError(Exception):
    """The case register cannot be used: which file, which line (1-based; 0 for the file as a whole) and what was
    expected there. The message never holds a CPR."""

    def __init__(self, file: Path, line: int, expected: str) -> None:
        self.file, self.line, self.expected = file, line, expected
        super().__init__(scrub(f"{file}:{line}: expected {expected}"))


# ---------------------------------------------------------------- the register


@dataclass(frozen=True)
class Register:
    """The cases of a register file by CPR (ten digits), and the file's signature when it was read."""

    cases: Mapping[str, tuple[Case, ...]]
    signature: Signature
    rows: int
    named: int = 0  # rows with the citizen's name (the name check works for those)


def read_register(path: Path, open_values: frozenset[str]) -> Register:
    """Read and check the whole register; RegisterError on the first problem. Statuses in `open_values`
    (case-folded) become "open", all others "closed"."""
    try:
        with path.open("rb") as stream:
            signature = _signature(os.fstat(stream.fileno()))
            raw = stream.read()
    except OSError as error:
        raise RegisterError(path, 0, f"a readable file ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RegisterError(path, line, "UTF-8 text") from None
    cases: dict[str, list[Case]] = {}
    rows = named = 0
    for cpr, case in _parse(path, text, open_values):
        cases.setdefault(cpr, []).append(case)
        rows += 1
        named += case.citizen_name is not None
    return Register({cpr: tuple(found) for cpr, found in cases.items()}, signature, rows, named)


def _parse(path: Path, text: str, open_values: frozenset[str]) -> Iterator[tuple[str, Case]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = _header(path, next(reader, None))
        seen: dict[str, int] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise RegisterError(path, reader.line_num, f"{len(header)} fields like the header, got {len(row)}")
            yield _row(path, reader.line_num, dict(zip(header, row)), seen, open_values)
    except csv.Error as error:
        raise RegisterError(path, reader.line_num, f"well-formed CSV ({error})") from None


def _header(path: Path, row: list[str] | None) -> list[str]:
    if row is None:
        raise RegisterError(path, 1, f"a header line: {','.join(REQUIRED_COLUMNS)}")
    header = [cell.strip().lower() for cell in row]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RegisterError(path, 1, f"the column(s) {', '.join(missing)} in the header")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise RegisterError(path, 1, f"each column once, got {', '.join(duplicates)} more than once")
    return header


def _row(
    path: Path, line: int, row: dict[str, str], seen: dict[str, int], open_values: frozenset[str]
) -> tuple[str, Case]:
    cpr = _CPR.fullmatch(row["cpr"].strip())
    if cpr is None:
        raise RegisterError(path, line, "a CPR in column cpr as DDMMYYSSSS or DDMMYY-SSSS")
    case_id = row["case_id"].strip()
    if not is_safe_case_id(case_id):
        expected = f"a case_id usable as a folder name ({CASE_ID_RULE}), got {shown(case_id, 120)}"
        raise RegisterError(path, line, expected)
    folded = case_id.casefold()  # ABC and abc are one folder on a case-insensitive share
    if folded in seen:
        expected = f"each case_id once, but {shown(case_id, 120)} is already on line {seen[folded]}"
        raise RegisterError(path, line, expected)
    seen[folded] = line
    for column in ("case_type", "status"):
        if not row[column].strip():
            raise RegisterError(path, line, f"a value in column {column}")
    status = "open" if row["status"].strip().casefold() in open_values else "closed"
    case = Case(
        case_id=case_id,
        case_type=row["case_type"].strip(),
        status=status,
        caseworker_email=row["caseworker_email"].strip() or None,
        team=row["team"].strip() or None,
        title=row.get("title", "").strip() or None,
        citizen_name=row.get("name", "").strip() or None,
    )
    return cpr.group(1) + cpr.group(2), case


def _signature(stat: os.stat_result) -> Signature:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class RegisterMissing(Exception):
    """No case register is in force (the file is missing, empty or has no cases): nothing can be looked up."""


NO_SIGNATURE: Signature = (-1, -1, -1)
NO_REGISTER = Register({}, NO_SIGNATURE, 0)


class RegisterWatch:
    """The register in force: re-read when the file's signature changes; a failed re-read keeps the old one and
    is reported by `problem` until a good file appears. A register missing, empty or without a single case at
    start is no register at all (`loaded` False, `problem` says why): lookups fail until a file with cases
    appears, so a container started before the first export waits instead of exiting. A file with cases that
    does not parse at start is still a RegisterError (a mistake to fix, not a file still to come). A re-read to a
    file without cases is refused like a bad file. Safe to use from several threads."""

    def __init__(self, path: Path, open_values: frozenset[str], log: Any) -> None:
        self._path, self._open_values, self._log = path, open_values, log
        self._lock = threading.Lock()
        self._failed: Signature | None = None
        self.problem: str | None = None
        self.read_at: datetime | None = None  # when the register in force was read (UTC)
        self._register = NO_REGISTER
        try:
            register = read_register(path, open_values)
        except RegisterError:
            if not _absent_or_empty(path):
                raise
            self._fail(_signature_or_none(path), self._without(f"{path} is {'empty' if path.exists() else 'missing'}"))
            return
        if register.rows == 0:
            self._fail(register.signature, self._without(f"{path} has no cases"))
            return
        self._register, self.read_at = register, _utc_now()

    @property
    def loaded(self) -> bool:
        """True once a register with cases is in force."""
        return self._register is not NO_REGISTER

    def current(self) -> Register:
        """The register in force after a cheap stat (and a re-read when the file changed); NO_REGISTER when none."""
        with self._lock:
            try:
                signature = _signature(self._path.stat())
            except OSError as error:
                missing = isinstance(error, FileNotFoundError) and not self.loaded  # still to come, as at start
                why = f"{self._path} is missing" if missing else f"register {self._path} cannot be read ({error.strerror})"
                self._fail(None, self._without(why))
                return self._register
            if signature != self._register.signature and signature != self._failed:
                self._reload(signature)
            elif signature == self._register.signature:
                self.problem = None
            return self._register

    def _reload(self, signature: Signature) -> None:
        try:
            register = read_register(self._path, self._open_values)
        except RegisterError as error:
            self._fail(signature, self._without(str(error)))
            return
        if register.rows == 0:
            self._fail(signature, self._without(f"{self._path} has no cases"))
            return
        self._register, self._failed, self.problem, self.read_at = register, None, None, _utc_now()
        self._log.info("case register reloaded", register=str(self._path), rows=register.rows)

    def _without(self, why: str) -> str:
        """The problem in words: why the file is not used, and what is in force instead."""
        if self.loaded:
            return f"{why}; the register read before stays in force"
        return f"no case register in force: {why}"

    def _fail(self, signature: Signature | None, problem: str) -> None:
        if problem != self.problem:
            self._log.warning("case register not reloaded", register=str(self._path), problem=scrub(problem))
        self._failed, self.problem = signature, scrub(problem)


def _absent_or_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


def _signature_or_none(path: Path) -> Signature | None:
    try:
        return _signature(path.stat())
    except OSError:
        return None


# ---------------------------------------------------------------- the archive


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FolderArchive:
    """Files each document as `ROOT/<case_id>/<yyyy-mm-dd>_<LAE125>_<sha8>.pdf` with a JSON sidecar of the same
    stem; cases come from the register CSV. One robot process writes to a root at a time."""

    name = "folder"

    def __init__(
        self,
        root: Path,
        register: Path,
        *,
        open_values: Iterable[str] = ("open",),
        clock: Callable[[], datetime] = _utc_now,
        log: Any = None,
        modes: FileModes = OWNER_ONLY,
    ) -> None:
        self._root = root
        self._modes = modes
        self._clock = clock
        self._log = log if log is not None else structlog.get_logger("robot.archive.folder")
        self._watch = RegisterWatch(register, frozenset(v.strip().casefold() for v in open_values), self._log)
        self._locks: dict[str, asyncio.Lock] = {}

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        register = await asyncio.to_thread(self._watch.current)
        if not self._watch.loaded:  # no register, no answer: the mail waits (retried) rather than "no case"
            raise ArchiveUnavailable(f"folder archive: {self._watch.problem or 'no case register in force'}")
        return list(register.cases.get(digits, ()))

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        case_id = checked_case_id(case.case_id)
        sha256 = verified_sha256(document, metadata)
        stem = document_stem(metadata, sha256)
        sidecar = sidecar_bytes(metadata, case_id, sha256, self._clock())
        lock = self._locks.setdefault(case_id.casefold(), asyncio.Lock())
        async with lock:
            receipt = await asyncio.to_thread(self._file, case_id, document, sha256, stem, sidecar)
        self._log.debug(  # the daemon's document_done says it at INFO, and the audit holds the reference
            "document filed", archive=self.name, document_ref=receipt.document_ref, already_filed=receipt.already_filed
        )
        return receipt

    async def health(self) -> Health:
        return await asyncio.to_thread(self._health)

    def name_source(self) -> str | None:
        register = self._watch.current()
        if not self._watch.loaded or not register.named:
            return None
        return f"the case register's name column ({register.named} of {register.rows} cases named)"

    async def close(self) -> None:
        """Nothing is held open between calls."""

    # -- blocking parts, run in a worker thread

    def _file(self, case_id: str, document: bytes, sha256: str, stem: str, sidecar: bytes) -> Receipt:
        folder = self._root / case_id
        try:
            _ensure_folder(self._root, folder, self._modes)
            names = os.listdir(folder)  # once per filing: case folders grow, and pathlib's glob is slow
            found = _find_filed(folder, names, sha256)
            if found is None:
                _refuse_collision(folder, stem)
                _write_pair(folder, stem, document, sidecar, self._modes)
                already = False
            else:
                stem = found
                already = _complete(folder, stem, sha256, document, sidecar, self._modes)
            _remove_leftovers(folder, names, sha256)
        except OSError as error:
            raise ArchiveUnavailable(scrub(f"folder archive: cannot write in {folder}: {_why(error)}")) from None
        return Receipt(case_id=case_id, document_ref=f"{case_id}/{stem}.pdf", sha256=sha256, already_filed=already)

    def _health(self) -> Health:
        """The root's health in `ok` and `detail`; the register's, in `register` (a problem there is named apart)."""
        register = self._watch.current()
        state = RegisterState(register.rows, self._watch.problem, self._watch.read_at)
        free = _free_bytes(self._root)
        try:
            _probe_writable(self._root)
        except OSError as error:
            return Health(False, scrub(f"root {self._root} is not writable: {_why(error)}"), free, state)
        if state.problem is not None:
            return Health(True, f"root {self._root} writable; register: {state.problem}", free, state)
        citizens = len(register.cases)
        return Health(True, f"root {self._root} writable; register: {register.rows} cases of {citizens} citizens, "
                            f"{register.named} with the citizen's name", free, state)


def sidecar_bytes(metadata: FilingMetadata, case_id: str, sha256: str, filed_at: datetime) -> bytes:
    """The JSON stored beside a filed PDF. The mail's attachment name lives here and only here, CPR masked."""
    record: dict[str, Any] = {
        "case_id": case_id,
        "received": metadata.received.isoformat(),
        "sender": metadata.sender,
        "message_id": metadata.message_id,
        "form": metadata.form,
        "form_title": metadata.form_title,
        "document_sha256": sha256,
        "attachment_name": metadata.attachment_name,
        "rule": metadata.rule,
        "warnings": list(metadata.warnings),
        "evidence": metadata.evidence,
        "robot_version": metadata.robot_version,
        "filed_at": filed_at.isoformat(),
    }
    # the mail's names (attachment, subject-derived message id, sender) may carry a CPR: masked like any output
    return json.dumps(mask_deep(record), ensure_ascii=False, indent=2, default=str).encode("utf-8") + b"\n"


def _ensure_folder(root: Path, folder: Path, modes: FileModes) -> None:
    """Create the case folder with `modes` (never the root: a missing root may be an unmounted share)."""
    if not root.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the archive root is missing", str(root))
    if folder.is_dir():
        return
    try:
        modes.make_dir(folder, parents=False)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder)) from None
    fsync_folder(root)


def _find_filed(folder: Path, names: list[str], sha256: str) -> str | None:
    """The stem under which these very bytes already lie in the folder (complete or half), on any day;
    `names` lists the folder."""
    pdf, sidecar = f"_{sha256[:8]}.pdf", f"_{sha256[:8]}.json"  # the glob patterns *_<sha8>.pdf and .json
    stems = sorted({name.removesuffix(".pdf") for name in names if name.endswith(pdf)}
                   | {name.removesuffix(".json") for name in names if name.endswith(sidecar)})
    for stem in stems:
        if _recorded_sha256(folder, stem) == sha256:
            return stem
    return None


def _recorded_sha256(folder: Path, stem: str) -> str | None:
    """The full SHA-256 the sidecar records, or (no sidecar) the hash of the PDF itself."""
    sidecar = folder / f"{stem}.json"
    try:
        record = json.loads(sidecar.read_bytes())
    except FileNotFoundError:
        return _file_sha256(folder / f"{stem}.pdf")
    except (ValueError, UnicodeDecodeError):
        raise ArchiveRejected(f"folder archive: sidecar {sidecar} is not valid JSON; a human must look") from None
    recorded = record.get("document_sha256") if isinstance(record, dict) else None
    return recorded if isinstance(recorded, str) else None


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _refuse_collision(folder: Path, stem: str) -> None:
    """Another document under our name (same day, form and first 8 hex of the hash): never overwrite it."""
    if (folder / f"{stem}.pdf").exists() or (folder / f"{stem}.json").exists():
        raise ArchiveRejected(f"folder archive: {folder / stem}.* holds another document with the same name")


def _complete(folder: Path, stem: str, sha256: str, document: bytes, sidecar: bytes, modes: FileModes) -> bool:
    """Finish a pair that is already (partly) there; True when the PDF was there before."""
    pdf, side = folder / f"{stem}.pdf", folder / f"{stem}.json"
    if pdf.exists():
        if _file_sha256(pdf) != sha256:
            raise ArchiveRejected(f"folder archive: {pdf} does not match its sidecar's hash; a human must look")
        if not side.exists():
            _write_atomic(folder, side.name, sidecar, modes)
        return True
    _write_atomic(folder, pdf.name, document, modes)  # the sidecar is there: the first attempt stopped before the PDF
    return False


def _write_pair(folder: Path, stem: str, document: bytes, sidecar: bytes, modes: FileModes) -> None:
    """Both temp files first, then the sidecar's rename, then the PDF's: a PDF never shows without its sidecar."""
    temps: list[Path] = []
    try:
        pdf_temp = _write_temp(folder, f"{stem}.pdf", document, temps, modes)
        side_temp = _write_temp(folder, f"{stem}.json", sidecar, temps, modes)
        os.replace(side_temp, folder / f"{stem}.json")
        fsync_folder(folder)
        os.replace(pdf_temp, folder / f"{stem}.pdf")
        fsync_folder(folder)
    finally:
        _unlink_quietly(temps)


def _write_atomic(folder: Path, name: str, data: bytes, modes: FileModes) -> None:
    temps: list[Path] = []
    try:
        os.replace(_write_temp(folder, name, data, temps, modes), folder / name)
        fsync_folder(folder)
    finally:
        _unlink_quietly(temps)


def _write_temp(folder: Path, name: str, data: bytes, temps: list[Path], modes: FileModes) -> Path:
    """A fsynced temp file beside `name`, recorded in `temps` for clean-up."""
    temp = write_temp(folder, name, data, modes)
    temps.append(temp)
    return temp


def _remove_leftovers(folder: Path, names: list[str], sha256: str) -> None:
    """Temp files a crashed earlier attempt (on any day) left for this document; `names` lists the folder."""
    marker = f"_{sha256[:8]}."  # the glob pattern .*_<sha8>.*.tmp, without compiling one regex per document
    _unlink_quietly(folder / name for name in names
                    if name.startswith(".") and name.endswith(".tmp") and marker in name[1:-4])


def _unlink_quietly(paths: Iterable[Path]) -> None:
    for path in list(paths):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _free_bytes(root: Path) -> int | None:
    """Free bytes on the root's file system for an unprivileged writer; None when the root cannot be looked at."""
    try:
        return shutil.disk_usage(root).free
    except OSError:
        return None


def _probe_writable(root: Path) -> None:
    if not root.is_dir():
        raise FileNotFoundError(errno.ENOENT, "missing or not a folder", str(root))
    with tempfile.TemporaryFile(dir=root, prefix=".health.") as probe:
        probe.write(b"ok")
        probe.flush()


def _why(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    reason = error.strerror or type(error).__name__
    return f"{reason} ({name})" if name else reason

