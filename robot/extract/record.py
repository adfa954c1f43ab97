"""Turns an Extraction into the JSON record that operators and tests read, CPR masked unless revealed."""

from __future__ import annotations

from typing import Any

from robot.extract.cpr import format_cpr
from robot.model import BlanketMention, CprCandidate, Extraction, Reason, Suggestion
from robot.privacy import mask_cpr, mask_cpr_text


def extraction_record(file: str, attachment: str | None, extraction: Extraction, reveal_cpr: bool) -> dict[str, Any]:
    """`{"file", "attachment", "cpr", "blanket", "kind", "status", "detail", "evidence"}` for one document, and for a
    scan the OCR `"suggestion"`."""
    cpr = extraction.cpr.cpr if extraction.cpr else None
    blanket = extraction.blanket
    record = {
        "file": _text(file, reveal_cpr),
        "attachment": _text(attachment, reveal_cpr) if attachment else attachment,
        "cpr": _cpr(cpr, reveal_cpr) if cpr else None,
        "blanket": f"LÆ {blanket.code}" if blanket and blanket.code else None,
        "kind": blanket.kind if blanket else None,
        "status": extraction.status,
        "detail": _text(extraction.detail, reveal_cpr),
        "evidence": {
            "cpr": [_cpr_evidence(c, reveal_cpr) for c in (extraction.cpr.candidates if extraction.cpr else ())],
            "blanket": [_blanket_evidence(m, reveal_cpr) for m in (blanket.mentions if blanket else ())],
            "form_rule": blanket.why if blanket else None,
            "pages": extraction.pages,
            "engine": extraction.engine,
            "active_content": [{"finding": finding.value, "where": where}
                               for finding, where in zip(extraction.active.findings, extraction.active.where,
                                                         strict=False)],
        },
    }
    if extraction.suggestion is not None:
        record["suggestion"] = suggestion_record(extraction.suggestion, reveal_cpr)
    return record


def suggestion_record(suggestion: Suggestion, reveal_cpr: bool) -> dict[str, Any]:
    """What OCR suggests for a scan, each part with its confidence (percent), and what it does not suggest."""
    return {
        "source": suggestion.source,
        "cpr": _cpr(suggestion.cpr, reveal_cpr) if suggestion.cpr else None,
        "cpr_confidence": suggestion.cpr_confidence,
        "form": f"LÆ {suggestion.form}" if suggestion.form else None,
        "form_confidence": suggestion.form_confidence,
        "case_id": suggestion.case_id,
        "missing": [reason.value for reason in suggestion.missing],
    }


def problem_record(file: str, part: str | None, reason: Reason, detail: str, reveal_cpr: bool) -> dict[str, Any]:
    """The record for a mail, or a part of one (MIME part path), that yields no document to read."""
    return {
        "file": _text(file, reveal_cpr), "attachment": None, "part": part, "cpr": None, "blanket": None, "kind": None,
        "status": reason.value, "detail": _text(detail, reveal_cpr), "evidence": {},
    }


def _cpr(digits: str, reveal: bool) -> str:
    return format_cpr(digits) if reveal else mask_cpr(digits)


def _text(text: str, reveal: bool) -> str:
    return text if reveal else mask_cpr_text(text)


def _cpr_evidence(candidate: CprCandidate, reveal: bool) -> dict[str, Any]:
    where = candidate.evidence
    return {
        "value": _cpr(candidate.digits, reveal), "verdict": candidate.verdict.value, "why": candidate.why,
        "source": where.source, "page": where.page, "line": where.line, "field": where.field,
        "label": where.label, "mod11": candidate.mod11, "snippet": _text(where.snippet, reveal),
    }


def _blanket_evidence(mention: BlanketMention, reveal: bool) -> dict[str, Any]:
    where = mention.evidence
    return {
        "code": mention.code, "heading": mention.heading, "reference": mention.reference, "source": where.source,
        "page": where.page, "line": where.line, "field": where.field, "text": _text(where.snippet, reveal),
    }
