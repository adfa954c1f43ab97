"""Test-only TNEF writer: a real Outlook TNEF stream with its attachment replaced (title and data, checksums redone)."""

from __future__ import annotations

import struct
from pathlib import Path

TNEF_DIR = Path(__file__).resolve().parent / "data" / "tnef"
_ATT_ATTACH_DATA = 0x800F
_ATT_ATTACH_TITLE = 0x8010
_ATT_ATTACHMENT = 0x9005
_BYTE_TYPE = 0x0006
_STRING_TYPE = 0x0001


def real_tnef(name: str) -> bytes:
    """One of the real TNEF files in tests/data/tnef (see its README)."""
    return (TNEF_DIR / name).read_bytes()


def _object(level: int, attribute: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, attribute, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def _objects(stream: bytes) -> list[tuple[int, int, int, bytes]]:
    offset, found = 6, []
    while len(stream) - offset > 12:
        level, attribute, kind, length = struct.unpack_from("<BHHI", stream, offset)
        found.append((level, attribute, kind, stream[offset + 9: offset + 9 + length]))
        offset += 9 + length + 2
    return found


def with_attachment(title: str, data: bytes, base: str = "one-file.tnef") -> bytes:
    """`base` (a real one-attachment TNEF) with that attachment's title and bytes replaced."""
    stream = real_tnef(base)
    out = [stream[:6]]
    for level, attribute, kind, payload in _objects(stream):
        if attribute == _ATT_ATTACHMENT:
            continue  # its MAPI long file name would still say the old name
        if attribute == _ATT_ATTACH_TITLE:
            payload = title.encode("cp1252") + b"\x00"
        elif attribute == _ATT_ATTACH_DATA:
            payload = data
        out.append(_object(level, attribute, kind, payload))
    return b"".join(out)


def nested(inner: bytes, times: int) -> bytes:
    """A TNEF whose attachment is an attached message (MAPI_ATTACH_DATA_OBJ), `times` deep, around `inner`."""
    sig = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
    stream = inner
    for _ in range(times):
        value = sig + stream
        padded = value + b"\x00" * (-len(value) % 4)
        # one property: PT_OBJECT (0x000D) tag 0x3701, one value of len(value) bytes
        props = struct.pack("<IHHII", 1, 0x000D, 0x3701, 1, len(value)) + padded
        rendering = b"\x01\x00\xff\xff\xff\xff" + bytes(8)
        stream = (real_tnef("one-file.tnef")[:6] + _object(2, 0x9002, _BYTE_TYPE, rendering)
                  + _object(2, _ATT_ATTACHMENT, _BYTE_TYPE, props))
    return stream
