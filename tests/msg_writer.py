"""Test-only writer of synthetic Outlook .msg files: an OLE compound file (v3) with the streams Outlook writes.

No real .msg with a PDF could be obtained (no Outlook here, extract-msg cannot write), so the .msg test inputs are
built: the compound-file layout (header, FAT, mini FAT, mini stream, directory) follows [MS-CFB] and the stream
names and property tags follow [MS-OXMSG]; olefile (the robot's reader) reads them as it reads Outlook's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


@dataclass
class Node:
    """A storage (children) or a stream (data) of the compound file."""

    name: str
    data: bytes | None = None
    children: list[Node] = field(default_factory=list)


def text(tag: str, value: str) -> Node:
    """A UTF-16 string property stream (type 001F)."""
    return Node(f"__substg1.0_{tag}001F", value.encode("utf-16-le"))


def message_nodes(subject: str, body: str, attachments: list[Node]) -> list[Node]:
    """The property streams and attachment storages of one message."""
    return [Node("__properties_version1.0", bytes(32)), text("0037", subject), text("1000", body), *attachments]


def file_attachment(index: int, name: str, data: bytes) -> Node:
    return Node(f"__attach_version1.0_#{index:08X}", children=[
        Node("__properties_version1.0", bytes(8)), text("3707", name), Node("__substg1.0_37010102", data)])


def message_attachment(index: int, name: str, inner: list[Node]) -> Node:
    """An attached message (PidTagAttachDataObject as a storage holding the message's own streams)."""
    return Node(f"__attach_version1.0_#{index:08X}", children=[
        Node("__properties_version1.0", bytes(8)), text("3001", name), Node("__substg1.0_3701000D", children=inner)])


def msg_file(subject: str, body: str, attachments: list[Node]) -> bytes:
    """A whole .msg file."""
    return compound_file(message_nodes(subject, body, attachments))


def compound_file(top: list[Node]) -> bytes:
    root = Node("Root Entry", children=top)
    entries: list[Node] = []

    def number(node: Node) -> None:
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    ids = {id(node): index for index, node in enumerate(entries)}
    mini = bytearray()
    minifat: list[int] = []
    starts: dict[int, int] = {}
    big: list[Node] = []
    for node in entries:
        if node.data is None:
            continue
        if len(node.data) < CUTOFF:
            first = len(mini) // MINI
            count = max(-(-len(node.data) // MINI), 1)
            starts[id(node)] = first if node.data else END
            if node.data:
                minifat.extend(list(range(first + 1, first + count)) + [END])
                mini += node.data + bytes(-len(node.data) % MINI)
        else:
            big.append(node)
    dir_bytes = bytes(128 * len(entries) + (-128 * len(entries)) % SECTOR)
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % SECTOR)
    mini_bytes = bytes(mini) + bytes(-len(mini) % SECTOR)
    chunks: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        if not data:
            return END
        first = len(fat)
        count = len(data) // SECTOR
        fat.extend(list(range(first + 1, first + count)) + [END])
        chunks.append(data)
        return first

    first_dir = place(dir_bytes)
    first_minifat = place(minifat_bytes)
    mini_start = place(mini_bytes)
    for node in big:
        assert node.data is not None
        starts[id(node)] = place(node.data + bytes(-len(node.data) % SECTOR))
    fat_sectors = 1
    while (len(fat) + fat_sectors) > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    fat_ids = list(range(len(fat), len(fat) + fat_sectors))
    fat.extend([FATSECT] * fat_sectors)
    fat.extend([FREE] * (fat_sectors * (SECTOR // 4) - len(fat)))
    directory = bytearray()
    for index, node in enumerate(entries):
        name = node.name.encode("utf-16-le") + b"\x00\x00"
        kind = 5 if index == 0 else (1 if node.data is None else 2)
        parent = next((p for p in entries if any(c is node for c in p.children)), None)
        siblings = parent.children if parent else []
        position = next((i for i, c in enumerate(siblings) if c is node), -1)
        right = ids[id(siblings[position + 1])] if 0 <= position < len(siblings) - 1 else NOSTREAM
        child = ids[id(node.children[0])] if node.children else NOSTREAM
        if index == 0:
            start, size = (mini_start if mini else END), len(mini)
        elif node.data is None:
            start, size = 0, 0
        else:
            start, size = starts[id(node)], len(node.data)
        directory += (name.ljust(64, b"\x00") + struct.pack("<HBBIII", len(name), kind, 1, NOSTREAM, right, child)
                      + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))
    directory += bytes(len(dir_bytes) - len(directory))
    chunks[0] = bytes(directory)
    difat = fat_ids + [FREE] * (109 - len(fat_ids))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, CUTOFF,
                            first_minifat if minifat else END, len(minifat_bytes) // SECTOR if minifat else 0, END, 0)
              + b"".join(struct.pack("<I", v) for v in difat))
    return header + b"".join(chunks) + b"".join(struct.pack("<I", v) for v in fat)
