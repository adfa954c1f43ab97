"""Prepares a PDF's form fields for the CPR reader: a number typed one box (or one part) per field is joined, and a
field whose only label is printed on the page beside it gets that label."""

from __future__ import annotations

import re
from collections.abc import Sequence

from robot.extract.cpr_labels import (
    CPR_LABEL,
    GENERIC_LABEL,
    OTHER_LABEL,
    PATIENT_WORD,
    Label,
    LabelKind,
    has_cpr_label,
)
from robot.extract.cpr_text import digit_runs, normalise, value_of
from robot.model import FormField

# A field holding part of a CPR number (one box of a form, the date or the serial).
_PART_VALUE = re.compile(r"^[\d .\-/]{1,8}$")
# "Tekstfelt12_3", "cpr.4", "box[7]": a field numbered within a row of fields.
_NUMBERED = re.compile(r"^(.*?)[_.\-\[]?(\d{1,2})\]?$")


def field_label_text(form_field: FormField) -> str:
    """A field's name (`patient.cpr_nr` reads as `patient cpr nr`) and tooltip, as label text."""
    name = re.sub(r"[._\[\]0-9]+", " ", form_field.name)
    return normalise(" ".join(filter(None, (name, form_field.label))))


def field_label(label_text: str) -> Label | None:
    """What a field's own name and tooltip say its value is."""
    text = label_text.strip()
    if has_cpr_label(text):
        return Label(LabelKind.CPR, text)
    if OTHER_LABEL.search(text):
        return Label(LabelKind.OTHER, text)
    if GENERIC_LABEL.search(text):
        return Label(LabelKind.OTHER, text, generic=True)
    if PATIENT_WORD.search(text):
        return Label(LabelKind.PATIENT, text)
    return None


def joined_part_fields(fields: Sequence[FormField]) -> list[FormField]:
    """Consecutive fields that each hold a part of one number become one field with the parts joined: fields with a
    CPR label ("cpr_dato", "cpr_loebenr"), or fields numbered in a row ("Tekstfelt12_1" ... "Tekstfelt12_10")."""
    joined: list[FormField] = []
    parts: list[FormField] = []

    def flush() -> None:
        if len(parts) > 1:
            joined.append(FormField(parts[0].name, parts[0].label, "".join(p.value.strip() for p in parts)))
        else:
            joined.extend(parts)
        parts.clear()

    for form_field in fields:
        if _PART_VALUE.match(form_field.value.strip()) and (not parts or _same_row(parts[-1], form_field)):
            parts.append(form_field)
            continue
        flush()
        if _PART_VALUE.match(form_field.value.strip()):
            parts.append(form_field)
        else:
            joined.append(form_field)
    flush()
    return joined


def _same_row(previous: FormField, current: FormField) -> bool:
    """Two fields that hold parts of one number: both CPR-labelled, or numbered in sequence under one name."""
    if has_cpr_label(field_label_text(previous)) and has_cpr_label(field_label_text(current)):
        return True
    a, b = _NUMBERED.match(previous.name), _NUMBERED.match(current.name)
    return bool(a and b and a.group(1) == b.group(1) and int(b.group(2)) == int(a.group(2)) + 1)


def printed_label_for_field(lines: Sequence[tuple[int, int, str]], taints: Sequence[object | None],
                            fields: Sequence[FormField]) -> tuple[int, Label] | None:
    """The field a printed CPR label belongs to, when the page prints the label with no value beside it ("CPR-nr."
    and an empty box) and the value is in a form field named nothing useful ("Text3"). Paired only when there is
    exactly one such label, it is not about another person, and exactly one unlabelled field holds a number that
    reads as one CPR: anything less certain leaves the field unlabelled (and so it only blocks)."""
    valueless: list[tuple[str, bool]] = []
    for index, (_, _, text) in enumerate(lines):
        match = CPR_LABEL.search(text)  # one label a line: "Personnummer (CPR)" is one label
        if match is None:
            continue
        following = lines[index + 1][2] if index + 1 < len(lines) else ""
        if not any(ch.isdigit() for ch in text[match.end():]) and not following.lstrip()[:1].isdigit():
            valueless.append((match.group(0).strip(), taints[index] is not None))
    if len(valueless) != 1 or valueless[0][1]:
        return None
    candidates = [index for index, form_field in enumerate(fields)
                  if field_label(field_label_text(form_field)) is None and _holds_one_number(form_field)]
    if len(candidates) != 1:
        return None
    return candidates[0], Label(LabelKind.CPR, f"{valueless[0][0]} (printed beside the field)")


def _holds_one_number(form_field: FormField) -> bool:
    runs = [run for line in normalise(form_field.value).splitlines() for run in digit_runs(line)]
    return len(runs) == 1 and value_of(runs[0]) is not None
