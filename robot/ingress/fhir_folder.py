"""Polls the folder a VANS provider drops MedCom FHIR Bundles into; each file is committed to the ledger, then removed.

Disk first, acknowledge last: a file is removed only after the ledger holds its bytes durably (accept returned),
so a crash in between leaves the file, whose next reading the ledger knows by its SHA-256 (a duplicate, not a
second message). A file still being written is left alone: names starting with '.' or ending in .tmp, .part or
.partial, and files changed within the last `settle_seconds`. The provider should write to such a name and rename.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from robot.ingress.base import Accept, Received

log = structlog.get_logger(__name__)

SOURCE = "fhir_folder"
_UNFINISHED_SUFFIXES = (".tmp", ".part", ".partial")


@dataclass(frozen=True)
class FhirFolder:
    """The drop folder and how it is watched."""

    path: Path
    poll_seconds: float = 10.0
    settle_seconds: float = 2.0  # a file changed more recently than this may still be being written
    max_bytes: int = 70 * 1024 * 1024  # read at most one byte more: the parser refuses it as too large


class FhirFolderIngress:
    """Hands each dropped file's bytes to `accept`, then removes the file; never reads application code."""

    def __init__(self, folder: FhirFolder, accept: Accept) -> None:
        self._folder = folder
        self._accept = accept
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Poll until stopped; a poll that fails (the folder gone, a permission) is logged and tried again."""
        while not self._stopping.is_set():
            try:
                await self.poll_once()
            except OSError as error:
                log.warning("fhir_folder_unreadable", folder=str(self._folder.path), error=error.strerror or str(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._folder.poll_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def poll_once(self) -> int:
        """Take every finished file in the folder, oldest name first; returns how many were committed."""
        taken = 0
        for entry in sorted(await asyncio.to_thread(self._ready), key=lambda e: e.name):
            if self._stopping.is_set():
                break
            raw = await asyncio.to_thread(self._read, Path(entry.path))
            if raw is None:
                continue
            digest = hashlib.sha256(raw).hexdigest()
            await self._accept(Received(raw=raw, source=SOURCE, source_ref=f"{SOURCE}:{entry.name}:{digest[:16]}",
                                        mailbox=None))
            await asyncio.to_thread(self._remove, Path(entry.path))  # only now: the ledger holds the bytes
            taken += 1
        return taken

    def _ready(self) -> list[os.DirEntry[str]]:
        now = time.time()
        ready: list[os.DirEntry[str]] = []
        with os.scandir(self._folder.path) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or name.lower().endswith(_UNFINISHED_SUFFIXES):
                    continue
                status = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(status.st_mode):  # a folder, a symlink (could point anywhere), a device
                    continue
                if now - status.st_mtime < self._folder.settle_seconds:
                    continue
                ready.append(entry)
        return ready

    def _read(self, path: Path) -> bytes | None:
        """The file's bytes (at most max_bytes + 1), or None when it went away meanwhile."""
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        with os.fdopen(descriptor, "rb") as stream:
            return stream.read(self._folder.max_bytes + 1)

    def _remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        descriptor = os.open(self._folder.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
