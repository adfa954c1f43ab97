"""Builds the MedCom Acknowledgement message (a FHIR Bundle) a receiver owes for each CareCommunication it received."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from robot.model import CareCommunication, Reason
from robot.notify.reasons import reason_text

_EVENT_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
_DESTINATION_USE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
_DESTINATION_USE_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
_ACTIVITY_SYSTEM = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
_PROFILE = "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/"
_DEFINITION = "http://medcomfhir.dk/ig/acknowledgement/medcom-acknowledgement-message-definition|2.0.0"
_SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
_GLN_SYSTEM = "https://www.gs1.org/gln"
_NAMESPACE = uuid.UUID("5d0e1c1e-0f3a-4c51-9a43-6c0f6a0b7a11")  # the robot's own: ack ids derive from it


@dataclass(frozen=True)
class AckVerdict:
    """What the receiver says about one received message: ok, or the named reasons it was not handled."""

    reasons: tuple[Reason, ...] = ()  # empty: every document filed

    @property
    def code(self) -> str:
        return "ok" if not self.reasons else "fatal-error"


def acknowledgement_id(ledger_message_id: int, message: CareCommunication) -> str:
    """The same Acknowledgement id for the same received message, however often it is built (restart, resume)."""
    return str(uuid.uuid5(_NAMESPACE, f"{ledger_message_id}|{message.part}|{message.header_id}"))


def acknowledgement_bundle(ledger_message_id: int, message: CareCommunication, verdict: AckVerdict,
                           now: datetime) -> bytes:
    """The Acknowledgement as FHIR JSON: its MessageHeader answers `message.header_id` (response.identifier) with
    ok or fatal-error, from the organisation the message was addressed to, back to the one that sent it; a negative
    one carries an OperationOutcome naming each reason (no personal data)."""
    ack_id = acknowledgement_id(ledger_message_id, message)

    def derived(kind: str) -> str:
        return str(uuid.uuid5(uuid.UUID(ack_id), kind))

    header_id, us, them, provenance, outcome = (derived(k) for k in ("header", "us", "them", "provenance", "outcome"))
    response: dict[str, Any] = {"identifier": message.header_id, "code": verdict.code}
    if verdict.reasons:
        response["details"] = {"reference": f"OperationOutcome/{outcome}"}
    header: dict[str, Any] = {
        "resourceType": "MessageHeader", "id": header_id,
        "meta": {"profile": [_PROFILE + "medcom-acknowledgement-messageHeader"]},
        "eventCoding": {"system": _EVENT_SYSTEM, "code": "acknowledgement-message"},
        "destination": [{
            "extension": [{"url": _DESTINATION_USE,
                           "valueCoding": {"system": _DESTINATION_USE_SYSTEM, "code": "primary"}}],
            "endpoint": message.source_endpoint,
            "receiver": {"reference": f"Organization/{them}"},
        }],
        "sender": {"reference": f"Organization/{us}"},
        "source": {"endpoint": message.destination_endpoint},
        "response": response,
        "definition": _DEFINITION,
    }
    entries = [
        _entry(header),
        _entry(_organisation(us, message.receiver_name, message.receiver_sor, message.receiver_ean)),
        _entry(_organisation(them, message.sender_name, message.sender_sor, message.sender_ean)),
        _entry({
            "resourceType": "Provenance", "id": provenance,
            "meta": {"profile": ["http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"]},
            "target": [{"reference": f"MessageHeader/{header_id}"}],
            "occurredDateTime": now.isoformat(timespec="seconds"),
            "recorded": now.isoformat(timespec="seconds"),
            "activity": {"coding": [{"system": _ACTIVITY_SYSTEM, "code": "acknowledgement"}]},
            "agent": [{"who": {"reference": f"Organization/{us}"}}],
            "entity": [{"role": "revision", "what": {"identifier": {"value": message.header_id}}}],
        }),
    ]
    if verdict.reasons:
        entries.append(_entry({
            "resourceType": "OperationOutcome", "id": outcome,
            "meta": {"profile": [_PROFILE + "medcom-acknowledgement-operationoutcome"]},
            "issue": [{"severity": "error", "code": "processing",
                       "details": {"text": f"{reason.value}: {reason_text(reason)}"}} for reason in verdict.reasons],
        }))
    bundle = {
        "resourceType": "Bundle", "id": ack_id,
        "meta": {"profile": [_PROFILE + "medcom-acknowledgement-message"]},
        "type": "message", "timestamp": now.isoformat(timespec="seconds"),
        "entry": entries,
    }
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8")


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _organisation(ident: str, name: str, sor: tuple[str, ...], ean: tuple[str, ...]) -> dict[str, Any]:
    identifiers = [{"system": _SOR_SYSTEM, "value": v} for v in sor] + [{"system": _GLN_SYSTEM, "value": v}
                                                                        for v in ean]
    organisation: dict[str, Any] = {
        "resourceType": "Organization", "id": ident,
        "meta": {"profile": ["http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"]},
        "identifier": identifiers,
    }
    if name:
        organisation["name"] = name
    return organisation
