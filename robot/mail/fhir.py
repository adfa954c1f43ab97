"""Reads a MedCom CareCommunication message Bundle: who sent it, about which patient, its text and its attached PDFs."""

from __future__ import annotations

import binascii
from collections.abc import Iterator
from dataclasses import dataclass

from robot.mail.fhir_tree import FhirRefused, FhirUnreadable, Node, decode_fhir
from robot.mail.names import cap_length
from robot.model import CareCommunication

CARE_COMMUNICATION_EVENT = "care-communication-message"
CPR_OID = "1.2.208.176.1.2"
SOR_OID = "1.2.208.176.1.1"
GLN_SYSTEM = "https://www.gs1.org/gln"
_MAX_TEXT = 20_000  # characters of topic and text kept: enough for any message, bounded for the ledger

__all__ = ["BundlePdf", "CareCommunicationReading", "FhirRefused", "FhirUnreadable", "read_care_communication"]


@dataclass(frozen=True)
class BundlePdf:
    """One PDF a Communication.payload attaches: its title (display only) and bytes."""

    title: str | None
    data: bytes


@dataclass(frozen=True)
class CareCommunicationReading:
    """The message's facts and its PDFs."""

    message: CareCommunication
    pdfs: tuple[BundlePdf, ...]


def read_care_communication(data: bytes, part: str, max_bytes: int, max_pdfs: int) -> CareCommunicationReading:
    """The message a Bundle's bytes (XML or JSON) hold; raises FhirRefused (hostile or over a limit) or
    FhirUnreadable (damaged, or not a CareCommunication message)."""
    bundle = decode_fhir(data, max_bytes)
    if bundle.get("resourceType") != "Bundle" or _text(bundle, "type") != "message":
        raise FhirUnreadable("not a FHIR message Bundle (resourceType Bundle, type message)")
    resources = [resource for entry in _list(bundle, "entry") if (resource := _object(_first(entry, "resource")))]
    if not resources or resources[0].get("resourceType") != "MessageHeader":
        raise FhirUnreadable("the Bundle's first entry is no MessageHeader")
    header = resources[0]
    event = _text(_object(_first(header, "eventCoding")), "code")
    if event != CARE_COMMUNICATION_EVENT:
        raise FhirUnreadable(f"the message is a {cap_length(event or '(no event)', 80)!r}, not a "
                             f"{CARE_COMMUNICATION_EVENT}")
    header_id = _text(header, "id")
    if not header_id:
        raise FhirUnreadable("the MessageHeader has no id")
    sender = _resolve(resources, _text(_object(_first(header, "sender")), "reference"))
    destination = _object(_first(header, "destination"))
    receiver = _resolve(resources, _text(_object(_first(destination, "receiver")), "reference"))
    communication = _resolve(resources, _text(_object(_first(header, "focus")), "reference"))
    if communication is None or communication.get("resourceType") != "Communication":
        raise FhirUnreadable("the MessageHeader's focus is no Communication in the Bundle")
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    subject = _resolve(resources, _text(_object(_first(communication, "subject")), "reference"))
    cprs = tuple(dict.fromkeys(cpr for patient in patients for cpr in _identifiers(patient, CPR_OID)))
    texts, pdfs = _payloads(communication, max_pdfs)
    message = CareCommunication(
        header_id=cap_length(header_id, 200), bundle_id=cap_length(_text(bundle, "id"), 200), part=part,
        source_endpoint=cap_length(_text(_object(_first(header, "source")), "endpoint"), 300),
        destination_endpoint=cap_length(_text(destination, "endpoint"), 300),
        sender_name=_name_of(sender), sender_sor=_identifiers(sender, SOR_OID),
        sender_ean=_identifiers(sender, GLN_SYSTEM),
        receiver_name=_name_of(receiver), receiver_sor=_identifiers(receiver, SOR_OID),
        receiver_ean=_identifiers(receiver, GLN_SYSTEM),
        patient_cprs=cprs, patient_name=_person_name(subject if subject is not None else
                                                     (patients[0] if patients else None)),
        topic=cap_length(_text(_object(_first(communication, "topic")), "text"), 500),
        text="\n\n".join(texts)[:_MAX_TEXT], pdfs=len(pdfs))
    return CareCommunicationReading(message, tuple(pdfs))


def _payloads(communication: dict[str, Node], max_pdfs: int) -> tuple[list[str], list[BundlePdf]]:
    texts: list[str] = []
    pdfs: list[BundlePdf] = []
    for payload in _list(communication, "payload"):
        content = _text(payload, "contentString")
        if content:
            texts.append(content)
        attachment = _object(_first(payload, "contentAttachment"))
        if attachment is None:
            continue
        encoded = _text(attachment, "data")
        if not encoded:
            if _text(attachment, "url"):
                raise FhirUnreadable("a payload attaches a file by URL only; the robot fetches nothing")
            continue
        try:
            data = binascii.a2b_base64(encoded.encode("ascii"), strict_mode=False)
        except (binascii.Error, UnicodeEncodeError):
            raise FhirUnreadable("a payload's attachment data is not base64") from None
        content_type = _text(attachment, "contentType").lower()
        if content_type in ("application/pdf", "application/x-pdf") or data[:1024].find(b"%PDF-") >= 0:
            pdfs.append(BundlePdf(_text(attachment, "title") or None, data))
            if len(pdfs) > max_pdfs:
                raise FhirRefused(f"more than {max_pdfs} PDFs in the payload (limits.mail_max_pdfs)")
    return texts, pdfs


# ---------------------------------------------------------------- the tree, JSON- and XML-shaped alike


def _list(node: object, key: str) -> list[Node]:
    """A key's values as a list: XML gives every child as a list, JSON only the repeating ones."""
    if not isinstance(node, dict):
        return []
    value = node.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(node: object, key: str) -> Node:
    values = _list(node, key)
    return values[0] if values else None


def _object(node: Node) -> dict[str, Node] | None:
    return node if isinstance(node, dict) else None


def _text(node: object, key: str) -> str:
    value = _first(node, key)
    if isinstance(value, dict):  # an XML primitive with an extension keeps its value beside it
        value = value.get("value")
    return value.strip() if isinstance(value, str) else ""


def _resolve(resources: list[dict[str, Node]], reference: str) -> dict[str, Node] | None:
    """The resource a reference names: 'Type/id', an absolute URL ending in it, or a fullUrl (urn:uuid:...)."""
    if not reference:
        return None
    parts = reference.rstrip("/").split("/")
    kind, ident = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", parts[-1])
    for resource in resources:
        if _text(resource, "id") == ident and (not kind or resource.get("resourceType") == kind):
            return resource
    return None


def _identifiers(resource: dict[str, Node] | None, system: str) -> tuple[str, ...]:
    """The values of the identifiers in `system`: an OID as 'urn:oid:OID', the bare OID (as some send it), or a
    URL as written."""
    found: list[str] = []
    for identifier in _list(resource, "identifier"):
        named = _text(identifier, "system")
        bare = named.removeprefix("urn:oid:").removeprefix("urn:oid")
        value = _text(identifier, "value")
        if value and (bare == system or named.rstrip("/") == system):
            found.append(cap_length(value, 40))
    return tuple(dict.fromkeys(found))


def _name_of(resource: dict[str, Node] | None) -> str:
    return cap_length(_text(resource, "name"), 200) if resource is not None else ""


def _person_name(resource: dict[str, Node] | None) -> str:
    """The official name (else the first): given names then family name."""
    names = [name for name in _list(resource, "name") if isinstance(name, dict)]
    official = [name for name in names if _text(name, "use") == "official"]
    for name in official or names:
        words = [*_strings(name, "given"), _text(name, "family")]
        return cap_length(" ".join(word for word in words if word), 200)
    return ""


def _strings(node: dict[str, Node], key: str) -> Iterator[str]:
    for value in _list(node, key):
        if isinstance(value, str) and value.strip():
            yield value.strip()
