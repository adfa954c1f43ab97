"""Turns what OCR read on a scan into a suggested citizen and form, each with its confidence, or names why not."""

from __future__ import annotations

import re
from statistics import fmean

from robot.extract.document import combine
from robot.model import (
    CprVerdict,
    Evidence,
    Extraction,
    NoSuggestion,
    OcrReading,
    Reason,
    Suggestion,
)
from robot.rules.catalogue import Catalogue

# A CPR number OCR read with less mean word confidence than this is not suggested: a misread digit is another person.
MIN_CPR_CONFIDENCE = 70
_DIGITS = re.compile(r"\d")
_NOTHING_WHEN = {Reason.AMBIGUOUS_CPR: NoSuggestion.TWO_PEOPLE, Reason.INVALID_CPR: NoSuggestion.CPR_INVALID}


def suggest(reading: OcrReading, catalogue: Catalogue) -> tuple[Extraction | None, Suggestion]:
    """What the OCR text would say as an Extraction (for the decide stage to find the case, never to file), and the
    suggestion: the CPR the CPR rules accept, and the form the form finder names. OCR that reads two people, or a CPR
    label whose value fails the date rules, suggests nothing at all. The case is left to the decide stage."""
    if reading.failure is not None or reading.content is None or reading.people is None:
        return None, Suggestion(missing=(NoSuggestion(reading.failure or NoSuggestion.NOTHING_READ.value),))
    cpr = reading.people.cpr
    nothing = _NOTHING_WHEN.get(cpr.reason) if cpr.reason is not None else None
    if nothing is None and any(c.verdict is CprVerdict.OTHER_PERSON for c in cpr.candidates):
        nothing = NoSuggestion.TWO_PEOPLE
    if nothing is not None:
        return None, Suggestion(missing=(nothing,))
    extraction = combine(reading.content, reading.people, catalogue)
    confidence = _Confidence(reading)
    missing: list[NoSuggestion] = []
    digits: str | None = None
    cpr_confidence: int | None = None
    if cpr.cpr is None:
        missing.append(NoSuggestion.NO_CPR)
    else:
        evidence = [c.evidence for c in cpr.candidates if c.accepted and c.digits == cpr.cpr]
        cpr_confidence = confidence.of(evidence, cpr.cpr)
        if cpr_confidence < MIN_CPR_CONFIDENCE:
            missing.append(NoSuggestion.UNSURE_CPR)
        else:
            digits = cpr.cpr
    blanket = extraction.blanket
    form: str | None = None
    form_confidence: int | None = None
    if blanket is not None and blanket.code is not None and blanket.reason is None:
        form = blanket.code
        form_confidence = confidence.of([m.evidence for m in blanket.mentions if m.code == form], form)
    else:
        missing.append(NoSuggestion.NO_FORM)
    missing.append(NoSuggestion.NO_CASE)  # until the decide stage finds exactly one
    suggestion = Suggestion(cpr=digits, cpr_confidence=cpr_confidence if digits else None, form=form,
                            form_confidence=form_confidence, missing=tuple(missing))
    return (extraction if digits else None), suggestion


class _Confidence:
    """The mean confidence of the OCR words a value was read from, by the (page, line) of its evidence."""

    def __init__(self, reading: OcrReading) -> None:
        assert reading.content is not None
        self._lines = {(line.page, line.line): (line.text, confidences)
                       for line, confidences in zip(reading.content.lines, reading.confidences, strict=False)}

    def of(self, evidence: list[Evidence], value: str) -> int:
        """The words holding (part of) `value` on the evidence's lines, or the whole line when none does; 0 when
        the evidence is not on an OCR line."""
        scores: list[float] = []
        for where in evidence:
            text, confidences = self._lines.get((where.page or 0, where.line or 0), ("", ()))
            words = text.split(" ")
            if len(words) != len(confidences):
                scores += confidences
                continue
            holding = [score for word, score in zip(words, confidences, strict=True) if _holds(word, value)]
            scores += holding or confidences
        return round(fmean(scores)) if scores else 0


def _holds(word: str, value: str) -> bool:
    digits = "".join(_DIGITS.findall(word))
    return bool(digits) and digits in value
