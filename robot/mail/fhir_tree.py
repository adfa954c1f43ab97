"""Decodes the bytes of a FHIR resource (XML or JSON) into one plain tree, refusing hostile input within limits."""

from __future__ import annotations

import json
from typing import TypeAlias
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

FHIR_NAMESPACE = "{http://hl7.org/fhir}"
MAX_DEPTH = 64  # a CareCommunication bundle nests about 15 levels; its XHTML narrative a few more

# A FHIR resource as JSON has it: objects, arrays and primitive values. XML is read into the same shape, except that
# every child element becomes a list (XML cannot tell one from many) and every primitive a string.
Node: TypeAlias = "dict[str, Node] | list[Node] | str | int | float | bool | None"


class FhirRefused(Exception):
    """Input refused unread: over the size or depth limit, or XML with a DTD or entities."""


class FhirUnreadable(Exception):
    """Input that is neither well-formed FHIR XML nor FHIR JSON."""


def decode_fhir(data: bytes, max_bytes: int) -> dict[str, Node]:
    """The resource as a tree of dicts, lists and strings; raises FhirRefused or FhirUnreadable."""
    if len(data) > max_bytes:
        raise FhirRefused(f"{len(data)} bytes, over the limit of {max_bytes} bytes (limits.mail_max_bytes)")
    start = data.lstrip()[:1]
    if start == b"{":
        return _decode_json(data)
    if start == b"<" or data.startswith(b"\xef\xbb\xbf<"):
        return _decode_xml(data)
    raise FhirUnreadable("neither FHIR JSON nor FHIR XML")


def looks_like_fhir(data: bytes) -> bool:
    """A Bundle by its first bytes: '{' with a resourceType near it, or an XML Bundle element in FHIR's namespace."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return b'"resourceType"' in head and b'"Bundle"' in head
    return head.startswith(b"<") and b"<Bundle" in head and b"hl7.org/fhir" in head


# ---------------------------------------------------------------- JSON


def _decode_json(data: bytes) -> dict[str, Node]:
    try:
        value = json.loads(data)
    except RecursionError:
        raise FhirRefused(f"JSON nested deeper than the parser allows (limit {MAX_DEPTH})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirUnreadable(f"not valid JSON ({type(exc).__name__})") from None
    _check_depth(value)
    if not isinstance(value, dict):
        raise FhirUnreadable("the JSON is not an object")
    return value


def _check_depth(value: object) -> None:
    """Walk iteratively: a nesting past MAX_DEPTH is refused before anything recursive touches the tree."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FhirRefused(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


# ---------------------------------------------------------------- XML


class _DepthCountingBuilder(TreeBuilder):
    """Builds the tree, refusing it the moment an element opens deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FhirRefused(f"XML nested deeper than {MAX_DEPTH} levels")
        return super().start(tag, attrs)

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(tag)


def _decode_xml(data: bytes) -> dict[str, Node]:
    """defusedxml refuses a DTD (so any entity, internal or external) and external references; the depth is counted
    while parsing, so a deep document is refused before its tree is complete. The bytes go to expat in one piece:
    fed in chunks, expat 2.5 re-scans a long token (a PDF's base64 in one attribute) on every chunk, which takes
    minutes for a few MiB."""
    builder = _DepthCountingBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise FhirRefused(f"XML with a DTD, entities or external references ({type(exc).__name__})") from None
    except ParseError as exc:
        raise FhirUnreadable(f"not well-formed XML ({exc})") from None
    if not isinstance(root, Element):
        raise FhirUnreadable("empty XML")
    if not root.tag.startswith(FHIR_NAMESPACE):
        raise FhirUnreadable(f"the XML root is not in FHIR's namespace ({_short(root.tag)!r})")
    return _resource(root)


def _resource(element: Element) -> dict[str, Node]:
    """A resource element as FHIR JSON shapes it: resourceType, then its children."""
    tree = _children(element)
    tree["resourceType"] = element.tag[len(FHIR_NAMESPACE):]
    return tree


def _children(element: Element) -> dict[str, Node]:
    tree: dict[str, Node] = {}
    for child in element:
        if not isinstance(child.tag, str) or not child.tag.startswith(FHIR_NAMESPACE):
            continue  # the XHTML narrative (text.div) and comments: not read
        name = child.tag[len(FHIR_NAMESPACE):]
        values = tree.setdefault(name, [])
        assert isinstance(values, list)
        values.append(_element(name, child))
    return tree


def _element(name: str, element: Element) -> Node:
    if name in ("resource",) and len(element):
        return _resource(element[0])
    if len(element) == 0 and "value" in element.attrib:
        return element.attrib["value"]
    tree = _children(element)
    if "value" in element.attrib:
        tree["value"] = element.attrib["value"]
    if "url" in element.attrib:
        tree["url"] = element.attrib["url"]
    return tree


def _short(tag: str) -> str:
    return tag[:80]
