"""Bounded reading of an Outlook .msg file (OLE compound file) held in memory: subject, body and attachments."""

from __future__ import annotations

import re

import olefile

from robot.mail.enclosed import (
    Budget,
    ContainerTooDeep,
    ContainerTooLarge,
    ContainerUnreadable,
    Enclosed,
    OutlookMessage,
)
from robot.mail.text import decode_text, decode_undeclared, html_to_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ATTACH_STORAGE = re.compile(r"__attach_version1\.0_#[0-9A-Fa-f]{8}")
_EMBEDDED = "__substg1.0_3701000D"  # PidTagAttachDataObject: an attached message, as a storage
_DATA = "__substg1.0_37010102"  # PidTagAttachDataBinary
_NAMES = ("3707", "3704", "3001")  # long file name, file name, display name
_SUBJECT = "0037"
_BODY = "1000"
_HTML = "1013"
_TEXT_LIMIT = 1024 * 1024  # subject and body are read for the numbers they name; more is not text anyone wrote


def is_msg_bytes(data: bytes) -> bool:
    """True when the data starts like an OLE compound file (.msg, but also .doc, .xls ...)."""
    return data.startswith(OLE_MAGIC)


class _Reader:
    """Reads one open .msg file's messages, charging every attached file to the mail's budget first."""

    def __init__(self, ole: olefile.OleFileIO, budget: Budget, max_attachments: int) -> None:
        self.ole = ole
        self.budget = budget
        self.max_attachments = max_attachments
        self.entries = {tuple(path) for path in ole.listdir(streams=True, storages=True)}
        self.under: dict[tuple[str, ...], set[str]] = {}
        for path in self.entries:
            for cut in range(len(path)):
                self.under.setdefault(path[:cut], set()).add(path[cut])

    def children(self, prefix: tuple[str, ...]) -> list[str]:
        """Names of the streams and storages directly under `prefix`, sorted."""
        return sorted(self.under.get(prefix, ()))

    def stream(self, path: tuple[str, ...], limit: int | None = None) -> bytes | None:
        """A stream's bytes (None when absent); its declared size is charged to the budget before reading."""
        if path not in self.entries or self.ole.get_type(list(path)) != olefile.STGTY_STREAM:
            return None
        size = self.ole.get_size(list(path))
        if limit is not None and size > limit:
            raise ContainerUnreadable(f"a text stream of {size} bytes in the .msg")
        self.budget.spend(size)
        with self.ole.openstream(list(path)) as stream:
            data: bytes = stream.read()
        return data

    def text(self, prefix: tuple[str, ...], tag: str) -> str:
        """A string property: UTF-16 (type 001F), or 8-bit (001E, undeclared charset), or ''."""
        unicode = self.stream((*prefix, f"__substg1.0_{tag}001F"), _TEXT_LIMIT)
        if unicode is not None:
            return unicode.decode("utf-16-le", "replace").replace("\x00", "")
        eight_bit = self.stream((*prefix, f"__substg1.0_{tag}001E"), _TEXT_LIMIT)
        return decode_undeclared(eight_bit).replace("\x00", "") if eight_bit is not None else ""

    def message(self, prefix: tuple[str, ...], depth_left: int) -> OutlookMessage:
        body = self.text(prefix, _BODY).strip()
        if not body:
            html = self.stream((*prefix, f"__substg1.0_{_HTML}0102"), _TEXT_LIMIT)
            body = html_to_text(decode_text(html, None)) if html else ""
        storages = [name for name in self.children(prefix) if _ATTACH_STORAGE.fullmatch(name)]
        if len(storages) > self.max_attachments:
            raise ContainerUnreadable(f"{len(storages)} attachments in one .msg message > {self.max_attachments}")
        attachments = tuple(self.attachment((*prefix, name), depth_left) for name in storages)
        return OutlookMessage(self.text(prefix, _SUBJECT).strip(), body, attachments)

    def attachment(self, prefix: tuple[str, ...], depth_left: int) -> Enclosed:
        name = next((text for text in (self.text(prefix, tag) for tag in _NAMES) if text), None)
        if _EMBEDDED in self.children(prefix):
            if depth_left <= 0:
                raise ContainerTooDeep("attached messages nested too deep in .msg")
            return Enclosed(name, message=self.message((*prefix, _EMBEDDED), depth_left - 1))
        return Enclosed(name, data=self.stream((*prefix, _DATA)) or b"")


def read_msg(data: bytes, depth_left: int, budget: Budget, max_attachments: int) -> OutlookMessage:
    """The message in the .msg file `data`, attached messages read while `depth_left` allows.

    Raises ContainerUnreadable (not an OLE file, damaged, hostile), ContainerTooDeep or ContainerTooLarge.
    """
    if not is_msg_bytes(data):
        raise ContainerUnreadable("not an Outlook .msg file (no OLE signature)")
    try:
        with olefile.OleFileIO(data) as ole:
            return _Reader(ole, budget, max_attachments).message((), depth_left)
    except (ContainerUnreadable, ContainerTooDeep, ContainerTooLarge):
        raise
    # olefile raises OSError, struct.error, IndexError, ValueError, RecursionError ... on crafted compound files;
    # each one means the file cannot be read.
    except Exception as exc:
        raise ContainerUnreadable(f".msg file cannot be read ({type(exc).__name__})") from exc
