"""The embedded notice transport: each notice becomes one .eml file in an outbox folder, written atomically."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from robot.durable import remove_stale_temps, write_atomic, write_each_atomic
from robot.notify.message import Notice, NoticeRefused, is_domain, render_notice, sender_address
from robot.notify.transport import SendFailure, TransportUnavailable
from robot.private_files import OWNER_ONLY, FileModes

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]|^\.")  # "_" is the escape character, so it is escaped too
_MAX_NAME = 180


def _utc_now() -> datetime:
    return datetime.now(UTC)


def safe_name(key: str) -> str:
    """The file name for `key`: only [A-Za-z0-9._-], distinct keys give distinct names ("filed:42" ->
    "filed_3a42.eml"), never hidden, never a path."""
    escaped = _UNSAFE.sub(lambda m: "".join(f"_{byte:02x}" for byte in m.group().encode("utf-8")), key)
    if len(escaped) > _MAX_NAME:  # keep within file-name limits; the digest keeps names distinct
        escaped = f"{escaped[: _MAX_NAME - 33]}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}"
    return f"{escaped}.eml"


class OutboxFolderTransport:
    """Writes `<folder>/<safe key>.eml` (mode and group from `modes`); a key already in the folder is not written
    again."""

    def __init__(self, folder: Path, sender: str, domain: str, *, clock: Callable[[], datetime] = _utc_now,
                 modes: FileModes = OWNER_ONLY):
        sender_address(sender)  # ValueError now rather than at the first notice
        if not is_domain(domain):
            raise ValueError(f"not a domain for Message-IDs: {domain!r}")
        self._folder, self._sender, self._domain, self._clock = folder, sender, domain, clock
        self._modes = modes
        remove_stale_temps(folder)  # a notice write killed before its rename; the notice is still queued

    async def send(self, notice: Notice) -> None:
        data = render_notice(notice, self._sender, self._clock(), self._domain)
        target = self._folder / safe_name(notice.key)
        try:
            await asyncio.to_thread(self._write_once, target, data)
        except OSError as error:
            raise self._unavailable(error) from None

    async def send_all(self, notices: Sequence[Notice]) -> list[SendFailure | None]:
        """Every notice's file written in one thread hand-off, with one fsync of the folder for all of them."""
        failures: list[SendFailure | None] = []
        files: list[tuple[int, str, bytes]] = []
        now = self._clock()
        for index, notice in enumerate(notices):
            try:
                files.append((index, safe_name(notice.key), render_notice(notice, self._sender, now, self._domain)))
            except NoticeRefused as refused:
                failures.append(refused)
            else:
                failures.append(None)
        written = await asyncio.to_thread(self._write_new, [(name, data) for _index, name, data in files])
        for (index, _name, _data), error in zip(files, written, strict=True):
            if error is not None:
                failures[index] = self._unavailable(error)
        return failures

    async def close(self) -> None:
        """Nothing is held open between notices."""

    def _write_new(self, files: list[tuple[str, bytes]]) -> list[OSError | None]:
        """The files whose key was not sent before, written; what failed for each."""
        try:
            self._modes.make_dir(self._folder)
        except OSError as error:
            return [error for _file in files]
        new = [(name, data) for name, data in files if not (self._folder / name).exists()]
        failed = dict(zip((name for name, _data in new), write_each_atomic(self._folder, new, self._modes), strict=True))
        return [failed.get(name) for name, _data in files]

    def _unavailable(self, error: OSError) -> TransportUnavailable:
        return TransportUnavailable(f"outbox {self._folder}: {error.strerror or type(error).__name__}")

    def _write_once(self, target: Path, data: bytes) -> None:
        if target.exists():
            return  # sent before under this key
        self._modes.make_dir(self._folder)
        write_atomic(self._folder, target.name, data, self._modes)
