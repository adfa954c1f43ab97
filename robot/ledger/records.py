"""The typed, versioned records the ledger stores and returns: message state, document outcome and decision."""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from robot.form import Form, form_of
from robot.ledger.suggestion_record import SuggestionError, SuggestionRecord
from robot.model import Reason

DECISION_VERSION = 1
"""The decision's JSON format. Version 0 is the unversioned dict written before records were typed: the same keys,
no "version"; it reads as version 1 with the keys it lacks at their defaults."""


class MessageState(enum.StrEnum):
    """A ledger message: waiting for (or between) runs of the stages, or finished."""

    RECEIVED = "received"
    DONE = "done"


class DocumentOutcome(enum.StrEnum):
    """What became of a document; kept after its state moves on to notified."""

    FILED = "filed"
    ESCALATED = "escalated"
    DUPLICATE = "duplicate"  # the same bytes were already filed into the same case


class EscalationState(enum.StrEnum):
    """An escalation: waiting for a person, or closed by one (placed by hand, or turned down)."""

    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class NoticeKind(enum.StrEnum):
    """What a queued notice is about."""

    FILED = "filed"  # to the caseworker: a certificate was filed into their case
    ESCALATION = "escalation"  # to the operators: a mail or document waits for a person
    DIGEST = "digest"  # to the operators: the daily list of open escalations
    RULES = "rules"  # to the operators: changed rule files were refused
    REQUEST = "request"  # to the caseworker: a request passed its deadline, or was sent back
    REMINDER = "reminder"  # to the addressee organisation: its answer to a request is late
    IMPORT = "import"  # to the operators: the case system's export of requests sent has rows that cannot be used


class NoticeState(enum.StrEnum):
    """A queued notice: still to be sent (perhaps again), sent, or given up after its attempts."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Action(enum.StrEnum):
    """What a decision says to do with the document."""

    FILE = "file"
    ESCALATE = "escalate"


class RecordError(ValueError):
    """A stored record this robot cannot read (a newer format, or a value of the wrong type)."""


@dataclass(frozen=True)
class DecisionRecord:
    """A decision as the ledger keeps it: where the document goes, or why a human must place it, and the reasoning;
    CPR masked. `decided_by` names the person for a decision made by hand (None: the robot's rules)."""

    action: Action
    reason: Reason | None = None
    rule: str | None = None
    organisation: str | None = None
    cpr: str | None = None  # masked: DDMMYY-xxxx
    form: Form | None = None
    form_title: str | None = None
    kind: str | None = None
    case_id: str | None = None
    case_type: str | None = None
    case_title: str | None = None  # the case number people read, when the system's id is not it (masked)
    notify_to: tuple[str, ...] = ()
    notify_nobody: bool = False  # the route says notify = "none": no notice of the filing to anyone
    explanation: tuple[str, ...] = ()
    routes_passed_over: tuple[tuple[str, str], ...] = ()  # (route, why not)
    cases_rejected: tuple[tuple[str, str], ...] = ()  # (case id, why not)
    decided_by: str | None = None
    active_content: tuple[str, ...] = ()  # what in the PDF could act when opened (ActiveFinding values), never run
    request_id: int | None = None  # the open request (register number) this certificate answers
    suggestion: SuggestionRecord | None = None  # a scan: what OCR read, for a person to confirm
    version: int = DECISION_VERSION

    def to_json(self) -> dict[str, Any]:
        """The decision for the CLI and the sidecar (the ledger adds its format version)."""
        record: dict[str, Any] = {
            "action": self.action.value,
            "reason": self.reason.value if self.reason else None,
            "rule": self.rule,
            "organisation": self.organisation,
            "cpr": self.cpr,
            "form": str(self.form) if self.form else None,
            "form_title": self.form_title,
            "kind": self.kind,
            "case_id": self.case_id,
            "case_type": self.case_type,
            "notify_to": list(self.notify_to),
            "explanation": list(self.explanation),
            "routes_passed_over": [{"route": name, "why": why} for name, why in self.routes_passed_over],
            "cases_rejected": [{"case_id": case_id, "why": why} for case_id, why in self.cases_rejected],
        }
        if self.decided_by is not None:
            record["decided_by"] = self.decided_by
        if self.case_title is not None:
            record["case_title"] = self.case_title
        if self.active_content:
            record["active_content"] = list(self.active_content)
        if self.notify_nobody:
            record["notify_nobody"] = True
        if self.request_id is not None:
            record["request_id"] = self.request_id
        if self.suggestion is not None:
            record["suggestion"] = self.suggestion.to_json()
        return record

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionRecord:
        """Any stored version up to this robot's, upgraded to the current record."""
        version = data.get("version", 0)
        if not isinstance(version, int) or version > DECISION_VERSION:
            raise RecordError(f"decision format {version!r} is newer than this robot ({DECISION_VERSION})")
        try:
            return cls(
                action=Action(data.get("action") or Action.ESCALATE.value),
                reason=Reason(data["reason"]) if data.get("reason") else None,
                rule=_text(data, "rule"), organisation=_text(data, "organisation"), cpr=_text(data, "cpr"),
                form=form_of(_text(data, "form")), form_title=_text(data, "form_title"), kind=_text(data, "kind"),
                case_id=_text(data, "case_id"), case_type=_text(data, "case_type"),
                case_title=_text(data, "case_title"),
                notify_to=tuple(str(address) for address in data.get("notify_to") or ()),
                notify_nobody=data.get("notify_nobody") is True,
                explanation=tuple(str(line) for line in data.get("explanation") or ()),
                routes_passed_over=tuple((str(p["route"]), str(p["why"])) for p in data.get("routes_passed_over") or ()),
                cases_rejected=tuple((str(c["case_id"]), str(c["why"])) for c in data.get("cases_rejected") or ()),
                decided_by=_text(data, "decided_by"),
                active_content=tuple(str(code) for code in data.get("active_content") or ()),
                request_id=_number(data, "request_id"),
                suggestion=SuggestionRecord.from_json(data["suggestion"]) if data.get("suggestion") else None,
            )
        except SuggestionError as error:
            raise RecordError(str(error)) from None
        except (KeyError, TypeError, ValueError) as error:
            raise RecordError(f"unreadable decision record: {error}") from None


def encode_decision(record: DecisionRecord) -> str:
    """The JSON kept in the ledger's decision column, with its format version."""
    stored = {"version": DECISION_VERSION, **record.to_json()}
    if record.suggestion is not None:
        stored["suggestion"] = record.suggestion.stored_json()
    return json.dumps(stored, ensure_ascii=False, sort_keys=True)


@functools.lru_cache(maxsize=256)
def decode_decision(text: str) -> DecisionRecord:
    """A decision column's JSON, of any version up to this robot's (the record is frozen, so one read of the same
    text is shared: each stage after decide reads the document's decision again)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise RecordError("a decision record is a JSON object")
    return DecisionRecord.from_json(data)


def _number(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"decision field {key!r} holds {type(value).__name__}, not a whole number")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"decision field {key!r} holds {type(value).__name__}, not text")
    return value
