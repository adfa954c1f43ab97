"""Bounded reading of an Outlook TNEF part (winmail.dat) held in memory: its subject, body and attached files."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tnefparse import properties as mapi_tag
from tnefparse.codepage import Codepage
from tnefparse.mapi import IMESSAGE_SIG, decode_mapi

from robot.mail.enclosed import Budget, ContainerTooDeep, ContainerUnreadable, Enclosed, OutlookMessage
from robot.mail.text import decode_text, html_to_text

TNEF_MAGIC = b"\x78\x9f\x3e\x22"
_HEADER = 6  # signature (4) and legacy key (2)
_OBJECT_HEAD = 9  # level (1), attribute id (2), attribute type (2), length (4)
_CHECKSUM = 2
_TRAILING_SLACK = 12  # tnefparse (and Outlook's readers) ignore a short tail after the last object
_LEVEL_ATTACHMENT = 0x02
_ATT_SUBJECT = 0x8004
_ATT_BODY = 0x800C
_ATT_ATTACH_DATA = 0x800F
_ATT_ATTACH_TITLE = 0x8010
_ATT_ATTACH_RENDDATA = 0x9002  # starts each attachment
_ATT_MAPI_PROPS = 0x9003
_ATT_ATTACHMENT = 0x9005  # the attachment's MAPI properties
_ATT_OEM_CODEPAGE = 0x9007
# decode_mapi and struct raise all of these on damaged or hostile property blocks.
_MAPI_ERRORS = (ValueError, TypeError, IndexError, KeyError, LookupError, struct.error, OverflowError, AttributeError,
                UnicodeError, RecursionError)


def is_tnef_bytes(data: bytes) -> bool:
    """True when the data starts with the TNEF signature."""
    return data.startswith(TNEF_MAGIC)


@dataclass(frozen=True)
class _Object:
    level: int
    attribute: int
    data: bytes


def _objects(data: bytes, max_objects: int) -> Iterator[_Object]:
    """The TNEF stream's objects in order, each checksum checked; ContainerUnreadable on any damage."""
    if not is_tnef_bytes(data):
        raise ContainerUnreadable("not a TNEF stream (wrong signature)")
    view = memoryview(data)
    offset, count = _HEADER, 0
    while len(data) - offset > _TRAILING_SLACK:
        count += 1
        if count > max_objects:
            raise ContainerUnreadable(f"more than {max_objects} TNEF objects")
        level, attribute, _type, length = struct.unpack_from("<BHHI", data, offset)
        start = offset + _OBJECT_HEAD
        end = start + length
        if end + _CHECKSUM > len(data):
            raise ContainerUnreadable(f"TNEF object at byte {offset} runs past the end")
        (checksum,) = struct.unpack_from("<H", data, end)
        if sum(view[start:end]) & 0xFFFF != checksum:
            raise ContainerUnreadable(f"TNEF object at byte {offset} fails its checksum")
        yield _Object(level, attribute, data[start:end])
        offset = end + _CHECKSUM


def _text(value: object, codepage: str) -> str:
    """A TNEF or MAPI string value as text (8-bit strings in the stream's codepage, NULs dropped)."""
    if isinstance(value, bytes):
        value = decode_text(value, codepage)
    return str(value).replace("\x00", "") if isinstance(value, str) else ""


@dataclass
class _Attachment:
    title: str | None = None
    long_name: str | None = None
    data: bytes = b""
    embedded: bytes | None = None  # a TNEF-encoded attached message


@dataclass
class _Reader:
    """Collects one TNEF message's subject, body and attachments from its objects."""

    codepage: str = "cp1252"
    subject: str = ""
    body: str = ""
    html: str = ""
    attachments: list[_Attachment] = field(default_factory=list)

    def take(self, obj: _Object) -> None:
        if obj.attribute == _ATT_ATTACH_RENDDATA:
            self.attachments.append(_Attachment())
        elif obj.level == _LEVEL_ATTACHMENT:
            self.take_attachment(obj)
        elif obj.attribute == _ATT_OEM_CODEPAGE and len(obj.data) >= 4:
            self.codepage = Codepage(struct.unpack_from("<I", obj.data)[0]).codepage()
        elif obj.attribute == _ATT_SUBJECT:
            self.subject = _text(obj.data, self.codepage)
        elif obj.attribute == _ATT_BODY:
            self.body = _text(obj.data, self.codepage)
        elif obj.attribute == _ATT_MAPI_PROPS:
            for prop in self.mapi(obj.data):
                if prop.name == mapi_tag.MAPI_SUBJECT and not self.subject:
                    self.subject = _text(prop.data, self.codepage)
                elif prop.name == mapi_tag.MAPI_BODY:
                    self.body = _text(prop.data, self.codepage)
                elif prop.name == mapi_tag.MAPI_BODY_HTML:
                    self.html = _text(prop.data, self.codepage)

    def take_attachment(self, obj: _Object) -> None:
        if not self.attachments:
            raise ContainerUnreadable("TNEF attachment data before any attachment starts")
        current = self.attachments[-1]
        if obj.attribute == _ATT_ATTACH_TITLE:
            current.title = _text(obj.data, self.codepage)
        elif obj.attribute == _ATT_ATTACH_DATA:
            current.data = obj.data
        elif obj.attribute == _ATT_ATTACHMENT:
            for prop in self.mapi(obj.data):
                if prop.name == mapi_tag.MAPI_ATTACH_LONG_FILENAME:
                    current.long_name = _text(prop.data, self.codepage)
                elif prop.name == mapi_tag.MAPI_ATTACH_DATA_OBJ:
                    value = b"".join(item for item in prop.raw_data if isinstance(item, bytes))
                    if value.startswith(IMESSAGE_SIG):
                        current.embedded = value[len(IMESSAGE_SIG):]
                    else:
                        current.data = value

    def mapi(self, data: bytes) -> list[Any]:
        try:
            return list(decode_mapi(data, self.codepage))
        except _MAPI_ERRORS as exc:
            raise ContainerUnreadable(f"TNEF MAPI properties cannot be read ({type(exc).__name__})") from exc


def read_tnef(data: bytes, depth_left: int, budget: Budget, max_objects: int) -> OutlookMessage:
    """The message in the TNEF stream `data`, attached messages read while `depth_left` allows.

    Raises ContainerUnreadable (damage, bad checksum, over `max_objects` objects), ContainerTooDeep, or
    ContainerTooLarge (the attached files over `budget`, which is shared by the whole mail).
    """
    reader = _Reader()
    for obj in _objects(data, max_objects):
        reader.take(obj)
    attachments: list[Enclosed] = []
    for attachment in reader.attachments:
        name = attachment.long_name or attachment.title
        if attachment.embedded is not None:
            if depth_left <= 0:
                raise ContainerTooDeep("attached messages nested too deep in TNEF")
            inner = read_tnef(attachment.embedded, depth_left - 1, budget, max_objects)
            attachments.append(Enclosed(name, message=inner))
        else:
            budget.spend(len(attachment.data))
            attachments.append(Enclosed(name, data=attachment.data))
    body = reader.body.strip() or html_to_text(reader.html)
    return OutlookMessage(reader.subject.strip(), body, tuple(attachments))
