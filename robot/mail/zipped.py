"""Bounded reading of the PDF members of a zip attachment held in memory; nothing touches the disk."""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from dataclasses import dataclass

from robot.mail.names import display_name, last_component, safe_name
from robot.model import Attachment, Limits, MailProblem, Reason

ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_PDF_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024
_CHUNK = 64 * 1024
_ENCRYPTED_FLAG = 0x1
# zipfile raises all of these on hostile or damaged archives.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    IndexError,
    KeyError,
    OverflowError,
)


class ZipUnsafe(Exception):
    """The archive is over a size, member-count or compression-ratio limit."""


@dataclass(frozen=True)
class ZipResult:
    """The PDFs taken from one zip, the problems met, and how many bytes were decompressed."""

    attachments: tuple[Attachment, ...] = ()
    problems: tuple[MailProblem, ...] = ()
    bytes_read: int = 0


@dataclass
class _Budget:
    """Decompressed bytes still allowed; shared by all members (and by all zips of one mail)."""

    limit: int
    used: int = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise ZipUnsafe(f"more than {self.limit} bytes uncompressed")


def is_pdf_bytes(data: bytes) -> bool:
    """True when '%PDF-' occurs in the first 1024 bytes, where readers accept the header."""
    return _PDF_MAGIC in data[:_MAGIC_WINDOW]


def is_zip_bytes(data: bytes) -> bool:
    """True when the data starts like a zip archive."""
    return data.startswith((ZIP_MAGIC, _EMPTY_ZIP_MAGIC))


def _member_basename(info: zipfile.ZipInfo, index: int) -> str:
    """The member's safe file name for display and part paths; '#<n>' when it has none."""
    return safe_name(last_component(info.filename)) or f"#{index}"


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits, budget: int) -> None:
    """Refuse the archive on what its central directory declares: members, total size, ratio."""
    if len(members) > limits.zip_max_members:
        raise ZipUnsafe(f"{len(members)} members > {limits.zip_max_members}")
    declared = sum(info.file_size for info in members)
    if declared > budget:
        raise ZipUnsafe(f"{declared} bytes uncompressed declared > {budget}")
    for info in members:
        if info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
            raise ZipUnsafe(f"member compression ratio over {limits.zip_max_ratio}")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: _Budget) -> bytes:
    """Decompress one member in chunks, stopping as soon as a size or ratio limit is passed."""
    ratio_cap = limits.zip_max_ratio * max(info.compress_size, 1)
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            size += len(chunk)
            budget.spend(len(chunk))
            if size > ratio_cap:
                raise ZipUnsafe(f"member compression ratio over {limits.zip_max_ratio}")
            chunks.append(chunk)
    return b"".join(chunks)


class _ZipReader:
    """Takes the PDF members of one open archive, noting members that cannot be taken."""

    def __init__(self, archive: zipfile.ZipFile, part: str, limits: Limits, budget: _Budget) -> None:
        self.archive = archive
        self.part = part
        self.limits = limits
        self.budget = budget
        self.attachments: list[Attachment] = []
        self.problems: list[MailProblem] = []

    def take(self, info: zipfile.ZipInfo, index: int) -> None:
        basename = _member_basename(info, index)
        path = f"{self.part}/zip:{basename}"
        if info.flag_bits & _ENCRYPTED_FLAG:
            self._unreadable(path, "encrypted member")
            return
        try:
            data = _read_member(self.archive, info, self.limits, self.budget)
        except _ZIP_ERRORS as exc:
            self._unreadable(path, f"member cannot be read ({type(exc).__name__})")
            return
        self._classify(info, basename, path, data)

    def _classify(self, info: zipfile.ZipInfo, basename: str, path: str, data: bytes) -> None:
        lowered = basename.lower()
        if lowered.endswith(".zip") or is_zip_bytes(data):
            self._unreadable(path, "nested zip not opened")
        elif lowered.endswith(".pdf") or is_pdf_bytes(data):
            name = display_name(last_component(info.filename), path)
            self.attachments.append(Attachment(name=name, content_type="application/pdf", data=data, part=path))

    def _unreadable(self, path: str, detail: str) -> None:
        self.problems.append(MailProblem(Reason.ZIP_UNREADABLE, detail, part=path))


def _read_archive(data: bytes, part: str, limits: Limits, budget: _Budget) -> ZipResult:
    """Open the archive, check its directory, then take its members; raises on unsafe or corrupt zips."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        _check_directory(members, limits, budget.limit)
        reader = _ZipReader(archive, part, limits, budget)
        for index, info in enumerate(members, start=1):
            reader.take(info, index)
    return ZipResult(tuple(reader.attachments), tuple(reader.problems))


def pdfs_in_zip(data: bytes, part: str, limits: Limits, budget_bytes: int | None = None) -> ZipResult:
    """The PDF members of the zip in `data` (part path `part`), within the limits; never raises.

    `budget_bytes` is how many decompressed bytes are still allowed (default
    `limits.zip_max_total_bytes`); the result says how many were used.
    """
    budget = _Budget(limits.zip_max_total_bytes if budget_bytes is None else budget_bytes)
    try:
        result = _read_archive(data, part, limits, budget)
    except ZipUnsafe as exc:
        return ZipResult(problems=(MailProblem(Reason.ZIP_UNSAFE, str(exc), part=part),), bytes_read=budget.used)
    except _ZIP_ERRORS as exc:
        detail = f"zip cannot be read ({type(exc).__name__})"
        return ZipResult(problems=(MailProblem(Reason.ZIP_UNREADABLE, detail, part=part),), bytes_read=budget.used)
    return ZipResult(result.attachments, result.problems, bytes_read=budget.used)
