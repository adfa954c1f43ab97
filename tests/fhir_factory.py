"""Builds MedCom CareCommunication message Bundles (JSON or XML) the way the published examples are shaped, with
real PDFs in the payload, for tests."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from xml.etree import ElementTree

SENDER_SOR = "423456789012345"  # a made-up SOR code for the test sender (Region Nordjylland in the test rules)
SENDER_EAN = "5790000123457"
RECEIVER_SOR = "523456789012345"
RECEIVER_EAN = "5790000765432"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
GLN_SYSTEM = "https://www.gs1.org/gln"


def care_communication(cprs: tuple[str, ...] | list[str], pdfs: tuple[bytes, ...] | list[bytes] = (), *,
                       sender_sor: str = SENDER_SOR, sender_ean: str = SENDER_EAN, topic: str = "Lægeattest",
                       text: str = "Hermed attest.", name: tuple[str, str] = ("Sofie", "Rasmussen"),
                       header_id: str | None = None, event: str = "care-communication-message") -> dict[str, Any]:
    """The Bundle as FHIR JSON: MessageHeader, Patient (its CPR identifiers), Communication (topic, text and one
    payload per PDF), sender and receiver Organizations with SOR and EAN numbers."""
    header_id = header_id or str(uuid.uuid4())
    patient, communication, sender, receiver = (str(uuid.uuid4()) for _ in range(4))
    payloads: list[dict[str, Any]] = [{"contentString": text}]
    payloads += [{"contentAttachment": {"contentType": "application/pdf", "data": base64.b64encode(pdf).decode(),
                                        "title": f"attest-{index}.pdf"}} for index, pdf in enumerate(pdfs, 1)]
    resources: list[dict[str, Any]] = [
        {"resourceType": "MessageHeader", "id": header_id,
         "eventCoding": {"system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
                         "code": event},
         "destination": [{"endpoint": f"https://sor2.sum.dsdn.dk/#id={RECEIVER_SOR}",
                          "receiver": {"reference": f"Organization/{receiver}"}}],
         "sender": {"reference": f"Organization/{sender}"},
         "source": {"endpoint": f"https://sor2.sum.dsdn.dk/#id={sender_sor}"},
         "focus": [{"reference": f"Communication/{communication}"}]},
        {"resourceType": "Patient", "id": patient,
         "identifier": [{"system": CPR_SYSTEM, "value": cpr} for cpr in cprs],
         "name": [{"use": "official", "family": name[1], "given": [name[0]]}]},
        {"resourceType": "Communication", "id": communication, "status": "unknown",
         "subject": {"reference": f"Patient/{patient}"}, "topic": {"text": topic}, "payload": payloads},
        {"resourceType": "Organization", "id": sender, "name": "Psykiatrien, Region Nordjylland",
         "identifier": [{"system": SOR_SYSTEM, "value": sender_sor}, {"system": GLN_SYSTEM, "value": sender_ean}]},
        {"resourceType": "Organization", "id": receiver, "name": "Jobcenter",
         "identifier": [{"system": SOR_SYSTEM, "value": RECEIVER_SOR}, {"system": GLN_SYSTEM, "value": RECEIVER_EAN}]},
    ]
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "message", "timestamp": "2026-12-01T10:00:00Z",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def as_json(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8")


def as_xml(bundle: dict[str, Any]) -> bytes:
    """The same Bundle in FHIR's XML form: every primitive a value attribute, resources wrapped by their type."""
    root = ElementTree.Element("Bundle", xmlns="http://hl7.org/fhir")
    _fill(root, {k: v for k, v in bundle.items() if k != "resourceType"})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode").encode()


def _fill(element: ElementTree.Element, node: dict[str, Any]) -> None:
    for key, value in node.items():
        for item in value if isinstance(value, list) else [value]:
            child = ElementTree.SubElement(element, key)
            if key == "resource":
                inner = ElementTree.SubElement(child, item["resourceType"])
                _fill(inner, {k: v for k, v in item.items() if k != "resourceType"})
            elif isinstance(item, dict):
                _fill(child, item)
            else:
                child.set("value", str(item))
