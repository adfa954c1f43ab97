"""The typed, versioned record of what OCR suggested for a scan, kept with the escalation's decision in the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from robot.form import Form, form_of
from robot.model import NoSuggestion, Suggestion
from robot.privacy import mask_cpr

SUGGESTION_VERSION = 1


class SuggestionError(ValueError):
    """A stored suggestion this robot cannot read (a newer format, or a value of the wrong type)."""


@dataclass(frozen=True)
class SuggestionRecord:
    """A suggested citizen, form and case, each read by OCR (`source`) with its confidence in percent, and what is
    not suggested and why. `cpr` is the full number: the ledger keeps it so that accepting the suggestion can check
    the case is still the citizen's; every output shows `masked_cpr` only."""

    cpr: str | None = None
    cpr_confidence: int | None = None
    form: Form | None = None
    form_title: str | None = None
    form_confidence: int | None = None
    case_id: str | None = None
    case_title: str | None = None  # masked
    missing: tuple[NoSuggestion, ...] = ()
    source: str = "ocr"
    version: int = SUGGESTION_VERSION

    @classmethod
    def of(cls, suggestion: Suggestion, form_title: str | None) -> SuggestionRecord:
        return cls(cpr=suggestion.cpr, cpr_confidence=suggestion.cpr_confidence, form=form_of(suggestion.form),
                   form_title=form_title, form_confidence=suggestion.form_confidence, case_id=suggestion.case_id,
                   case_title=suggestion.case_title, missing=suggestion.missing, source=suggestion.source)

    @property
    def masked_cpr(self) -> str | None:
        return mask_cpr(self.cpr) if self.cpr else None

    @property
    def acceptable(self) -> bool:
        """A citizen and a case to file into with one action."""
        return self.cpr is not None and self.case_id is not None

    def to_json(self) -> dict[str, Any]:
        """The suggestion for the CLI and the desk: CPR masked."""
        return {"source": self.source, "cpr": self.masked_cpr, "cpr_confidence": self.cpr_confidence,
                "form": str(self.form) if self.form else None, "form_title": self.form_title,
                "form_confidence": self.form_confidence, "case_id": self.case_id, "case_title": self.case_title,
                "missing": [reason.value for reason in self.missing]}

    def stored_json(self) -> dict[str, Any]:
        """The suggestion as the ledger keeps it: the full CPR beside the masked one, and the format version."""
        return {**self.to_json(), "cpr_digits": self.cpr, "version": SUGGESTION_VERSION}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SuggestionRecord:
        """A stored suggestion of any version up to this robot's (one without `cpr_digits` suggests no citizen)."""
        version = data.get("version", SUGGESTION_VERSION)
        if not isinstance(version, int) or version > SUGGESTION_VERSION:
            raise SuggestionError(f"suggestion format {version!r} is newer than this robot ({SUGGESTION_VERSION})")
        try:
            return cls(cpr=_text(data, "cpr_digits"), cpr_confidence=_number(data, "cpr_confidence"),
                       form=form_of(_text(data, "form")), form_title=_text(data, "form_title"),
                       form_confidence=_number(data, "form_confidence"), case_id=_text(data, "case_id"),
                       case_title=_text(data, "case_title"),
                       missing=tuple(NoSuggestion(str(reason)) for reason in data.get("missing") or ()),
                       source=_text(data, "source") or "ocr")
        except (TypeError, ValueError) as error:
            raise SuggestionError(f"unreadable suggestion record: {error}") from None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SuggestionError(f"suggestion field {key!r} holds {type(value).__name__}, not text")
    return value


def _number(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise SuggestionError(f"suggestion field {key!r} holds {type(value).__name__}, not a whole number")
    return value
