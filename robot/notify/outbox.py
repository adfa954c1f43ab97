"""The embedded notice transport: each notice becomes one .eml file in an outbox folder, written atomically."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from robot.durable import remove_stale_temps, write_atomic
from robot.notify.message import Notice, is_domain, render_notice, sender_address
from robot.notify.transport import TransportUnavailable
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
            raise TransportUnavailable(f"outbox {self._folder}: {error.strerror or type(error).__name__}") from None

    async def close(self) -> None:
        """Nothing is held open between notices."""

    def _write_once(self, target: Path, data: bytes) -> None:
        if target.exists():
            return  # sent before under this key
        self._modes.make_dir(self._folder)
        write_atomic(self._folder, target.name, data, self._modes)
