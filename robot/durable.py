"""Durable file writes: fsynced temp files renamed into place, and the folder fsynced so the rename lasts."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from robot.private_files import FileModes


def fsync_folder(folder: Path) -> None:
    """Make renames and creations in `folder` durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_temp(folder: Path, name: str, data: bytes, modes: FileModes) -> Path:
    """`data` in a hidden temp file beside `name` (with `modes`' mode and group), flushed and fsynced; the caller
    renames or removes it."""
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            modes.secure(stream.fileno())
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return temp


def write_atomic(folder: Path, name: str, data: bytes, modes: FileModes) -> None:
    """`folder/name` holds `data` in full or not at all, whatever crashes."""
    _rename_into_place(folder, name, data, modes)
    fsync_folder(folder)


def write_each_atomic(folder: Path, files: Sequence[tuple[str, bytes]], modes: FileModes) -> list[OSError | None]:
    """write_atomic for several files: each one's fsynced temp file renamed into place, then one fsync of the
    folder for all the renames. What failed for each file (None: it is written and durable), in order."""
    failures: list[OSError | None] = []
    for name, data in files:
        try:
            _rename_into_place(folder, name, data, modes)
        except OSError as error:
            failures.append(error)
        else:
            failures.append(None)
    if any(failure is None for failure in failures):
        try:
            fsync_folder(folder)
        except OSError as error:  # the renames may not last: none of them counts as written
            failures = [error if failure is None else failure for failure in failures]
    return failures


def _rename_into_place(folder: Path, name: str, data: bytes, modes: FileModes) -> None:
    """An fsynced temp file renamed to `name` (the folder not yet fsynced); no temp file is left either way."""
    temp = write_temp(folder, name, data, modes)
    try:
        os.replace(temp, folder / name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def remove_stale_temps(folder: Path) -> int:
    """Temp files a write killed before its rename left behind (only ever hidden `.*.tmp` files)."""
    removed = 0
    for temp in folder.glob(".*.tmp") if folder.is_dir() else ():
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
            removed += 1
    return removed
