"""GetOrganized's `z:row` XML that travels inside its JSON: built with every value escaped, read back safely."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable

from robot.model import ArchiveRejected

ROWSET = "#RowsetSchema"
_ATTRIBUTE = re.compile(r"ows_[A-Za-z0-9_]{1,100}")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\t": "&#9;", "\n": "&#10;",
            "\r": "&#13;"}


def is_attribute_name(name: str) -> bool:
    """A SharePoint internal field name as GetOrganized wants it in a z:row: `ows_` and letters, digits, `_`."""
    return _ATTRIBUTE.fullmatch(name) is not None


def build_row(fields: Iterable[tuple[str, str]]) -> str:
    """`<z:row xmlns:z="#RowsetSchema" ows_A="..." />`: values escaped (& < > " ' and line breaks), characters XML
    cannot hold dropped, empty values left out (GetOrganized refuses an empty attribute)."""
    parts = ['<z:row xmlns:z="#RowsetSchema"']
    for name, value in fields:
        if not is_attribute_name(name):
            raise ArchiveRejected(f"metadata field {name[:60]!r} is no ows_ field name")
        clean = _NOT_XML.sub("", value).strip()
        if clean:
            parts.append(f'{name}="{"".join(_ESCAPES.get(c, c) for c in clean)}"')
    return " ".join(parts) + " />"


def read_row(xml: object, what: str) -> dict[str, str]:
    """The attributes of the one z:row element in `xml` (the string GetOrganized answers inside its JSON), by name;
    anything that is no such row raises ArchiveRejected naming `what`."""
    if not isinstance(xml, str) or not xml.strip():
        raise ArchiveRejected(f"{what}: the answer has no Metadata row")
    try:
        element = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        raise ArchiveRejected(f"{what}: the Metadata row is no well-formed XML") from None
    if element.tag != f"{{{ROWSET}}}row":
        raise ArchiveRejected(f"{what}: the Metadata is no z:row element")
    return {name: value for name, value in element.attrib.items() if not name.startswith("{")}


def lookup_label(value: str | None) -> str | None:
    """The label of a SharePoint lookup value `"18;#Anne Holm"` (or the value itself when it is no lookup)."""
    if value is None:
        return None
    label = value.split(";#", 1)[1] if ";#" in value else value
    return label.strip() or None


def lookup_id(value: str | None) -> str | None:
    """The id of a SharePoint lookup value `"18;#Anne Holm"`, None when it is no lookup."""
    if value is None or ";#" not in value:
        return None
    return value.split(";#", 1)[0].strip() or None
