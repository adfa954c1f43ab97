"""Find what in one untrusted PDF could act when it is opened (JavaScript, launch actions, embedded files), bounded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from robot.model import ActiveContent, ActiveFinding

# Bounds: a hostile file gets "could not check", never a long walk. A real certificate has a few hundred objects
# on this road (the page tree, annotations, actions, name trees); fonts, content and appearances are never entered.
MAX_NODES = 20_000  # dictionaries and arrays visited (the walk is a loop with its own stack: depth costs nothing)
MAX_HOPS = 8  # a reference to a reference to ... (pypdf may hand one back for a crafted object)

# Keys that never lead to an action or an attachment, and lead to most of a file's objects.
_SKIP = frozenset({
    "/Parent", "/P", "/Prev", "/Last", "/Resources", "/Contents", "/Font", "/XObject", "/ColorSpace", "/ExtGState",
    "/Pattern", "/Shading", "/Metadata", "/StructTreeRoot", "/ParentTree", "/Thumb", "/AP", "/DR", "/Dests",
    "/PieceInfo", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Encrypt", "/OutputIntents",
    "/MarkInfo", "/ViewerPreferences", "/PageLabels", "/Widths", "/Rect", "/Border", "/C", "/QuadPoints",
})
_LAUNCH = NameObject("/Launch")
_JAVASCRIPT = NameObject("/JavaScript")
_FILE_ATTACHMENT = NameObject("/FileAttachment")
_EMBEDDED_FILE = NameObject("/EmbeddedFile")
_EOF = b"%%EOF"
_TAIL = 1024  # bytes after the last %%EOF that are handed to pypdf as they are
_KEY_SHOWN = re.compile(r"/[A-Za-z]{1,24}")  # a key written into `where` as it is; any other as "/?"


class _TooComplex(Exception):
    """The walk met its bounds."""


def find_active_content(data: bytes) -> ActiveContent:
    """What in `data` could act when a viewer opens it, each with where it was first seen (a path of keys, no
    document text). Never raises for a bad file: one that cannot be walked within the bounds says so, as
    ActiveFinding.NOT_CHECKED with the cause. Nothing found is ActiveContent()."""
    found: dict[ActiveFinding, str] = {}
    end = data.rfind(_EOF)
    try:
        if end < 0:
            raise _TooComplex("no end-of-file marker")
        # pypdf looks for the marker line by line from the end: seconds for megabytes after it (pdfium skips them)
        reader = PdfReader(BytesIO(data if len(data) - end <= _TAIL else data[:end + len(_EOF)]), strict=False)
        for finding, where in _walk(reader.trailer.get("/Root"), "/Root"):
            found.setdefault(finding, where)
    except _TooComplex as error:
        found[ActiveFinding.NOT_CHECKED] = str(error)
    except Exception as error:  # pypdf on a crafted file (RecursionError, LimitReachedError, ...): recorded, not raised
        found[ActiveFinding.NOT_CHECKED] = f"the PDF could not be walked ({type(error).__name__})"
    findings = tuple(sorted(found, key=list(ActiveFinding).index))
    return ActiveContent(findings=findings, where=tuple(found[f] for f in findings))


def _walk(root: Any, path: str) -> Iterator[tuple[ActiveFinding, str]]:
    """Depth-first from the catalog, each indirect object once (reference cycles end here), within the bounds."""
    seen: set[tuple[int, int]] = set()
    todo: list[tuple[Any, str]] = [(root, path)]
    nodes = 0
    while todo:
        value, where = todo.pop()
        value = _resolve(value, seen)
        if not isinstance(value, (DictionaryObject, ArrayObject)):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise _TooComplex(f"over {MAX_NODES} objects on the way to its actions")
        if isinstance(value, ArrayObject):
            todo.extend((item, f"{where}[{index}]") for index, item in reversed(list(enumerate(value))))
            continue
        yield from _findings(value, where)
        for key in reversed(list(value.keys())):
            if key not in _SKIP:
                todo.append((value.raw_get(key), _joined(where, key)))


def _resolve(value: Any, seen: set[tuple[int, int]]) -> Any:
    """The object `value` stands for; None when it is a reference already followed (or a chain too long)."""
    for _ in range(MAX_HOPS):
        if not isinstance(value, IndirectObject):
            return value
        reference = (value.idnum, value.generation)
        if reference in seen:
            return None
        seen.add(reference)
        value = value.get_object()
    raise _TooComplex(f"a chain of more than {MAX_HOPS} references")


def _findings(node: DictionaryObject, where: str) -> Iterator[tuple[ActiveFinding, str]]:
    kind = _name(node, "/S")
    if kind == _JAVASCRIPT or "/JS" in node:
        yield ActiveFinding.JAVASCRIPT, where
    if kind == _LAUNCH:
        yield ActiveFinding.LAUNCH, where
    if "/JavaScript" in node:  # the document's JavaScript name tree, in /Names
        yield ActiveFinding.JAVASCRIPT, _joined(where, "/JavaScript")
    if "/EmbeddedFiles" in node:
        yield ActiveFinding.EMBEDDED_FILE, _joined(where, "/EmbeddedFiles")
    if _name(node, "/Subtype") == _FILE_ATTACHMENT or _name(node, "/Type") == _EMBEDDED_FILE or "/EF" in node:
        yield ActiveFinding.EMBEDDED_FILE, where


def _name(node: DictionaryObject, key: str) -> Any:
    """The value under `key`, through at most MAX_HOPS references (without marking them followed)."""
    value = node.raw_get(key) if key in node else None
    for _ in range(MAX_HOPS):
        if not isinstance(value, IndirectObject):
            return value
        value = value.get_object()
    return None


def _joined(where: str, key: str) -> str:
    shown = key if _KEY_SHOWN.fullmatch(key) else "/?"
    parts = f"{where}{shown}"
    return parts if len(parts) <= 160 else "…" + parts[-159:]
