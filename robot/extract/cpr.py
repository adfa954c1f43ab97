"""Finds the one patient CPR number in a document's text and fields, label first; every other number can only block.

The invariant, in README "How a CPR number is read":

* the patient's number is the value of a CPR label (`CPR-nr.`, `Personnummer` ...) or of a word naming the patient
  (`Patient`, `Borger`, `Vedr.` ...), read in any written form (`robot.extract.cpr_text`);
* a CPR label whose value cannot be read as exactly one valid number blocks;
* when the document has any CPR label, numbers without one never establish the patient: they can only block;
* a number on a line, or in the lines below a line, that names another person is never the patient's and blocks;
* numbers under another number's label (phone, account, document id ...) or inside a longer number never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

from robot.extract.cpr_fields import field_label, field_label_text, joined_part_fields, printed_label_for_field
from robot.extract.cpr_labels import (
    CPR_LABEL,
    NAME_AFTER,
    NAME_BEFORE,
    PATIENT_WORD,
    Label,
    LabelKind,
    Taint,
    has_cpr_label,
    identifier_column,
    label_before,
    names_other_person,
    other_person_lines,
    second_cpr_column,
)
from robot.extract.cpr_text import (
    CPR_DIGITS,
    DigitRun,
    Reading,
    Value,
    digit_runs,
    has_separator,
    joined,
    leading_value,
    normalise,
    readings,
    value_of,
)
from robot.model import CprCandidate, CprResult, CprVerdict, Evidence, FormField, PdfContent, Reason

_MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
_DIGIT = re.compile(r"\d")
_MASK_CHARS = re.compile(r"[*xX•●#]{4}")
# The label of a bank account, whose registration number may end a line and the account start the next.
ACCOUNT_LABEL = re.compile(r"konto|reg\b|reg\.", re.IGNORECASE)
# A CPR label whose value is digits mixed with letters ("cpr.nr. 110BB7-2337"): a number, unreadable.
GARBLED_VALUE = re.compile(rf"(?:{CPR_LABEL.pattern})[\s:.]*((?=[\w\-]*\d[\w\-]*\d[\w\-]*\d[\w\-]*\d)(?=[\w\-]*[A-Za-z])"
                           r"[\w]{2,8}[\-/][\w]{2,6})", re.IGNORECASE)


# A CPR number its printer masked ("150544-****", "150544-xxxx"): someone's number is there, unreadable.
MASKED_CPR = re.compile(r"(?<![\d.*])(\d{6}|[*xX•●#]{6})\s?-?\s?(?:[*xX•●#]{4})(?![\w*])")
# A CPR label's value: a run of at least this many digits is an attempt at a number (fewer: "se side 2").
_VALUE_MIN_DIGITS = 6
# A line this short is a fragment of a wrapped table cell: the label before a number may span it and the line above.
_CELL_FRAGMENT = 12
# A line that labels the number starting the next line is at most this long (or ends in a colon).
_LABEL_LINE = 40
# How many lines below a table's header row the row with its values may take (cells wrap).
HEADER_ROWS = 4
# How many rows below a header row naming an identifier's column ("Prøvenr.") are read as that table's rows.
IDENTIFIER_ROWS = 12


def passes_mod11(digits: str) -> bool:
    """The pre-2007 modulus-11 check; raises confidence, never vetoes."""
    return sum(int(d) * w for d, w in zip(digits, _MOD11_WEIGHTS)) % 11 == 0


def century(year2: int, seventh: int) -> int | None:
    """The century of a birth year from the 7th digit (DOMAIN.md); None where no number is issued."""
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if year2 <= 36 else 1900
    if year2 <= 36:
        return 2000
    if year2 >= 58:
        return 1800
    return None


def birth_date(digits: str, today: date, substitute: bool = False) -> date | None:
    """The birth date a CPR number encodes, or None when it encodes no valid, past date."""
    if len(digits) != 10 or not digits.isdigit():
        return None
    day, month, year2, seventh = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if substitute:
        day -= 60 if day > 60 else 40
    base = century(year2, seventh)
    if base is None:
        return None
    try:
        born = date(base + year2, month, day)
    except ValueError:
        return None
    return born if born <= today else None


def format_cpr(digits: str) -> str:
    """Ten digits as `DDMMYY-SSSS`."""
    return f"{digits[:6]}-{digits[6:]}"


def find_cpr(content: PdfContent, today: date | None = None) -> CprResult:
    """Exactly one distinct accepted CPR and nothing else that may be a person's -> that CPR; else a reason."""
    lines = [(line.page, line.line, normalise(line.text)) for line in content.lines]
    return _find(lines, joined_part_fields(content.fields), today or date.today())


def find_cpr_in_text(texts: Sequence[str], today: date | None = None) -> CprResult:
    """The same reading of short texts that are no document (a mail's subject, body lines, file name parts), each
    text one line."""
    lines = [(1, number, normalise(text)) for number, text in enumerate(texts, start=1)]
    return _find(lines, (), today or date.today())


def _find(lines: list[tuple[int, int, str]], fields: Sequence[FormField], today: date) -> CprResult:
    labelled = any(has_cpr_label(text) for _, _, text in lines) or any(
        has_cpr_label(field_label_text(f)) or has_cpr_label(normalise(f.value)) for f in fields)
    scan = _Scan(today=today, labelled_document=labelled)
    taints = other_person_lines([text for _, _, text in lines])  # a block may run on over a page break
    paired = printed_label_for_field(lines, taints, fields) if labelled else None
    candidates = (*scan.lines(lines, taints), *scan.fields(fields, paired))
    return judge(candidates)


def judge(candidates: tuple[CprCandidate, ...]) -> CprResult:
    """The verdict over all candidates. Anything that may be a second person blocks."""
    accepted = {c.digits for c in candidates if c.verdict is CprVerdict.ACCEPTED}
    others = {c.digits for c in candidates if c.verdict is CprVerdict.OTHER_PERSON}
    blocking = {c.digits for c in candidates if c.verdict in (CprVerdict.DOUBTFUL, CprVerdict.INVALID)} - accepted
    # a masked number ("DDMMYY-xxxx") is the accepted one printed masked when the dates agree; else it blocks
    blocking = {d for d in blocking if not (d.endswith("????") and d[:6].isdigit() and
                                            any(a[:6] == d[:6] for a in accepted))}
    invalid = {c.digits for c in candidates if c.verdict is CprVerdict.INVALID}
    if len(accepted) == 1 and not blocking and not others:
        return CprResult(cpr=next(iter(accepted)), reason=None, candidates=candidates)
    if others:
        return CprResult(None, Reason.AMBIGUOUS_CPR, candidates,
                         "a CPR number stands where the document names another person (a relative, a guardian, "
                         "a doctor): the patient cannot be told with certainty")
    if len(accepted) + len(blocking) >= 2:
        return CprResult(None, Reason.AMBIGUOUS_CPR, candidates,
                         "more than one person's CPR number (a relative, a second patient?)")
    if invalid:
        return CprResult(None, Reason.INVALID_CPR, candidates,
                         "a CPR label's value cannot be read as exactly one valid CPR number")
    if blocking:
        return CprResult(None, Reason.NO_CPR, candidates,
                         "no CPR label holds a number; a number without one cannot name the patient")
    return CprResult(None, Reason.NO_CPR, candidates, "no CPR number that can be trusted")


# ---------------------------------------------------------------- the scan


@dataclass(frozen=True)
class _Run:
    """A run of digit groups with what stands around it."""

    run: DigitRun
    label: Label | None
    taint: Taint | None  # what makes its line about another person
    before: str  # the text before it on its line (or the end of the line above, when it starts its line)
    evidence: Evidence
    after: str = ""  # the text after it on its line
    starts_line: bool = False  # nothing but spaces before it on its line


@dataclass(frozen=True)
class _Scan:
    """Reads every digit run of one document with the label before it and the person its line is about."""

    today: date
    labelled_document: bool  # the document has a CPR label somewhere: unlabelled numbers only block

    def lines(self, lines: Sequence[tuple[int, int, str]], taints: Sequence[Taint | None]) -> Iterator[CprCandidate]:
        """Line by line, page by page; a number broken over a line end ("29 09" / "60-4021") is read whole, and a
        table's header row naming a CPR column labels the one number in the row below it (however that row wraps)."""
        carry: _Run | None = None
        header: _Header | None = None
        identifiers: _IdentifierColumn | None = None
        previous = above = ""
        for (page, number, text), taint in zip(lines, taints):
            # a page break is read like a line break: a label (or half a number) at the foot of a page may have
            # its value (or its other half) at the top of the next
            runs = list(digit_runs(text))
            contexts = [_across_lines(above, text[: run.start]) for run in runs]
            # a run too short to be a number or half of one split at the line's end needs no label (dates, times)
            labels = [None if run.digit_count < _VALUE_MIN_DIGITS and index < len(runs) - 1 else
                      label_before(context) if text[: run.start].strip() else _label_above(above, label_before(context))
                      for index, (run, context) in enumerate(zip(runs, contexts))]
            found = [_Run(run, label, (taint if taint is None or taint.taints(run.end) else None) or
                          second_cpr_column(text, run.start), context,
                          Evidence(source="text", snippet=text.strip()[:160], page=page, line=number,
                                   label=label.text if label else None), text[run.end :],
                          not text[: run.start].strip())
                     for run, label, context in zip(runs, labels, contexts)]
            if carry is not None:
                # joined only when the two halves make exactly one number: a date range broken after its dash
                # ("03.01.25-" / "17.01.25") is two dates, not a CPR
                both = (joined(carry.run, found[0].run)
                        if found and not text[: found[0].run.start].strip(" -./") else None)
                if both is not None and value_of(both) is not None:
                    second = found.pop(0)
                    snippet = f"{carry.evidence.snippet}{text.strip()}"[:160]  # one number again, and so maskable
                    carry = _Run(both, carry.label, carry.taint or taint, carry.before,
                                 replace(carry.evidence, snippet=snippet), second.after)
                    if carry.label is None and header is not None:
                        carry, header = header.labels(carry), None
                elif (found and not text[: found[0].run.start].strip() and carry.label is not None
                      and carry.run.digit_count == 4 and ACCOUNT_LABEL.search(carry.label.text)
                      and found[0].label is None):
                    # an account wrapped after its registration number ("Reg.nr./kontonr.: 7229" / "<ten digits>");
                    # only that: a phone number ending the line above labels nothing below it
                    found[0] = replace(found[0], label=carry.label)
                yield from self._run(carry)
                carry = None
            if header is not None:
                header, found = header.take(found)
            if identifiers is not None:
                identifiers, found = identifiers.take(text, found)
            identifiers = identifiers or (None if runs else _IdentifierColumn.heading(text))  # a header has no digits
            header_text = f"{previous} {text}" if len(text.strip()) <= _CELL_FRAGMENT else text  # a wrapped cell
            if not _DIGIT.search(header_text) and (match := CPR_LABEL.search(header_text)):
                header = _Header(Label(LabelKind.CPR, f"{match.group(0).strip()} (table header above)"))
            for garbled in GARBLED_VALUE.finditer(text) if CPR_LABEL.search(text) else ():
                digits = re.sub(r"\D", "", garbled.group(1))
                yield _candidate(digits, Evidence(source="text", snippet=text.strip()[:160], page=page, line=number,
                                                  label=garbled.group(0).split()[0]), CprVerdict.INVALID, True,
                                 "a CPR label's value mixes digits and letters: it cannot be read")
            for masked in MASKED_CPR.finditer(text) if _MASK_CHARS.search(text) else ():
                date_part = masked.group(1) if masked.group(1) and masked.group(1).isdigit() else "??????"
                yield _candidate(date_part + "????", Evidence(source="text", snippet=text.strip()[:160], page=page,
                                                             line=number), CprVerdict.DOUBTFUL, False,
                                 "a CPR number printed masked: whose it is cannot be read")
            for index, item in enumerate(found):
                ends_line = not text[item.run.end:].strip(" .-/")
                if index == len(found) - 1 and ends_line and item.run.digit_count < CPR_DIGITS:
                    carry = item  # perhaps the first half of a number the line break split
                else:
                    yield from self._run(item)
            # a label wrapped in a narrow table cell ("Person" / "nr." / value) is read from both lines
            above = f"{previous} {text}" if len(text.strip()) <= _CELL_FRAGMENT else text
            previous = text
        if carry is not None:
            yield from self._run(carry)

    def fields(self, fields: Sequence[FormField], paired: tuple[int, Label] | None) -> Iterator[CprCandidate]:
        for index, form_field in enumerate(fields):
            label_text = field_label_text(form_field)
            own_label = field_label(label_text)
            if own_label is None and paired is not None and paired[0] == index:
                own_label = paired[1]
            field_taint = names_other_person(label_text)
            for value_line in normalise(form_field.value).splitlines():
                word = field_taint or names_other_person(value_line)
                line_taint = Taint(word, True) if word else None
                for run in digit_runs(value_line):
                    before = value_line[: run.start]
                    label = label_before(before) if before.strip() else own_label
                    evidence = Evidence(source="field", snippet=value_line.strip()[:160], field=form_field.name,
                                        label=label.text if label else None)
                    yield from self._run(_Run(run, label, line_taint, before, evidence))

    def _run(self, item: _Run) -> Iterator[CprCandidate]:
        label = item.label
        if label is not None and label.kind in (LabelKind.CPR, LabelKind.PATIENT) and value_of(item.run) is None:
            leading = leading_value(item.run)
            if leading is not None:  # "010388-1234 37 år": the value, then the rest read on its own
                head, rest = leading
                yield from self._run(replace(item, run=head))
                yield from self._run(replace(item, run=rest, label=None, before=""))
                return
        if label is not None and label.kind is LabelKind.CPR and item.run.digit_count >= _VALUE_MIN_DIGITS:
            yield self._cpr_value(item, label)
            return
        if label is not None and label.kind is LabelKind.PATIENT:
            value = value_of(item.run)
            if value is not None and self._born(value) is not None:
                yield self._patient_value(item, value, label)
                return
        full = value_of(item.run)
        if full is not None and full.full_year is not None:  # "(01.02.2000-1234)": the date with its full year
            yield self._unlabelled_number(item, full.digits, whole=True, glued=False, separated=True,
                                          full_year=full.full_year)
        for reading in readings(item.run):
            yield self._unlabelled(item, reading)

    def _born(self, value: Value) -> date | None:
        """The birth date of a value, None when invalid; a printed four-digit year must agree with the century."""
        born = birth_date(value.digits, self.today)
        if born is not None and value.full_year is not None and born.year != value.full_year:
            return None
        return born

    def _cpr_value(self, item: _Run, label: Label) -> CprCandidate:
        """The value of a CPR label: exactly one valid number, or a block."""
        value = value_of(item.run)
        if value is None:
            digits = "".join(item.run.groups)
            return _candidate(digits, item.evidence, CprVerdict.INVALID, True,
                              f"labelled {label.text} but its value has {item.run.digit_count} digits, "
                              "not one CPR number")
        born, substitute = self._born(value), False
        if born is None and value.full_year is None and 41 <= int(value.digits[:2]) <= 91:
            born = birth_date(value.digits, self.today, substitute=True)
            substitute = born is not None
        if born is None:
            why = "the printed year disagrees with the century digit" if value.full_year else "no valid birth date"
            return _candidate(value.digits, item.evidence, CprVerdict.INVALID, True, f"labelled {label.text} but {why}")
        if item.taint:
            return _candidate(value.digits, item.evidence, CprVerdict.OTHER_PERSON, True,
                              f"labelled {label.text}, where the document names another person ({item.taint})",
                              born, substitute)
        why = f"the value of {label.text}, valid {'substitute number' if substitute else 'birth date'}"
        return _candidate(value.digits, item.evidence, CprVerdict.ACCEPTED, True, why, born, substitute)

    def _patient_value(self, item: _Run, value: Value, label: Label) -> CprCandidate:
        born = self._born(value)
        if item.taint:
            return _candidate(value.digits, item.evidence, CprVerdict.OTHER_PERSON, True,
                              f"after {label.text}, where the document names another person ({item.taint})", born)
        return _candidate(value.digits, item.evidence, CprVerdict.ACCEPTED, True,
                          f"after {label.text}, naming the patient; valid birth date", born)

    def _unlabelled(self, item: _Run, reading: Reading) -> CprCandidate:
        return self._unlabelled_number(item, reading.digits, whole=reading.whole, glued=reading.glued,
                                       separated=has_separator(reading))

    def _unlabelled_number(self, item: _Run, digits: str, *, whole: bool, glued: bool, separated: bool,
                           full_year: int | None = None) -> CprCandidate:
        label, evidence = item.label, item.evidence
        born = self._born(Value(digits, full_year))
        if born is None:
            return _candidate(digits, evidence, CprVerdict.REJECTED, False, "not a valid birth date")
        if label is not None and label.kind is LabelKind.OTHER and not (label.generic and item.taint and
                                                                         item.taint.own_line):
            return _candidate(digits, evidence, CprVerdict.REJECTED, False, f"labelled as another number ({label.text})")
        if item.taint:
            return _candidate(digits, evidence, CprVerdict.OTHER_PERSON, False,
                              f"a valid birth date where the document names another person ({item.taint})", born)
        if glued:
            return _candidate(digits, evidence, CprVerdict.DOUBTFUL, False,
                              "a valid birth date inside a longer number: may be a CPR", born)
        if self.labelled_document:
            return _candidate(digits, evidence, CprVerdict.DOUBTFUL, False,
                              "a valid birth date without a CPR label, in a document with CPR labels", born)
        if whole and separated and (NAME_BEFORE.search(item.before) or
                                    (item.starts_line and NAME_AFTER.match(item.after))):
            return _candidate(digits, evidence, CprVerdict.ACCEPTED, False,
                              "written as a CPR number beside a person's name; the document has no CPR label", born)
        return _candidate(digits, evidence, CprVerdict.DOUBTFUL, False,
                          "a valid birth date without a label or a name before it", born)


def _candidate(digits: str, evidence: Evidence, verdict: CprVerdict, labelled: bool, why: str,
               born: date | None = None, substitute: bool = False) -> CprCandidate:
    return CprCandidate(digits=digits, evidence=evidence, verdict=verdict, why=why, labelled=labelled,
                        mod11=digits.isdigit() and passes_mod11(digits), birth_date=born, substitute=substitute)


# ---------------------------------------------------------------- context


@dataclass(frozen=True)
class _Header:
    """A table's header row naming a CPR column ("Navn  CPR-nr.  Adresse", also wrapped: "Personnummer/CPR-" /
    "nr."): the one number without a label of its own in the next HEADER_ROWS lines that reads as a CPR (ten
    digits, or ten then more after a space) is that column's value. Two such numbers in a line, and none is taken
    (they stay unlabelled, and block)."""

    label: Label
    lines_left: int = HEADER_ROWS

    def labels(self, item: _Run) -> _Run:
        return replace(item, label=self.label, evidence=replace(item.evidence, label=self.label.text))

    def take(self, found: list[_Run]) -> tuple[_Header | None, list[_Run]]:
        """The header still waiting after this line, and the line's runs with the column's value labelled."""
        if any(item.label is not None and item.label.kind is LabelKind.CPR for item in found):
            return None, found  # the column's value already stands under its own label ("CPR-nr.:" / value)
        values = [index for index, item in enumerate(found) if item.label is None and (
            value_of(item.run) is not None or leading_value(item.run) is not None)]
        if len(values) == 1:
            found = [self.labels(item) if index == values[0] else item for index, item in enumerate(found)]
            return None, found
        if values or self.lines_left <= 1:
            return None, found
        return replace(self, lines_left=self.lines_left - 1), found


@dataclass(frozen=True)
class _IdentifierColumn:
    """A table's header row naming an identifier's column and no column a person's number could stand in ("Dato
    Analyse  Resultat  Prøvenr.", "Kontakt-ID:  Rekv.nr.  Fravær:"): the numbers without a label of their own in the
    rows below it are that table's identifiers, not CPR numbers. The table ends at a line without digits, at a line
    naming a person (a CPR label, the patient, a relative, a name beside a number) and after IDENTIFIER_ROWS rows.
    A row about another person (a relative's block) keeps its numbers unlabelled: they still block."""

    label: Label
    rows_left: int = IDENTIFIER_ROWS

    @classmethod
    def heading(cls, text: str) -> _IdentifierColumn | None:
        label = identifier_column(text)
        return cls(label) if label is not None else None

    def take(self, text: str, found: list[_Run]) -> tuple[_IdentifierColumn | None, list[_Run]]:
        """The table still running after this line, and the line's runs with the column's label on those without
        one."""
        if not found or has_cpr_label(text) or PATIENT_WORD.search(text) or any(
                NAME_BEFORE.search(text[: item.run.start]) or NAME_AFTER.match(item.after) for item in found):
            return None, found
        labelled = [item if item.label is not None or item.taint is not None else
                    replace(item, label=self.label, evidence=replace(item.evidence, label=self.label.text))
                    for item in found]
        return (replace(self, rows_left=self.rows_left - 1) if self.rows_left > 1 else None), labelled


def _across_lines(previous: str, before: str) -> str:
    """The text before a number, reaching back into the previous line when the number starts its line: table cells
    and labels wrap ("P-" / "nummer <ten digits>", "CPR-nr." / "<DDMMYY-SSSS>")."""
    tail = previous.rstrip()[-60:]
    if tail.endswith("-"):
        return tail + before  # a word broken at its hyphen
    return before if before.strip() or not tail else f"{tail} "


def _label_above(previous: str, label: Label | None) -> Label | None:
    """A label found at the end of the line above a number that starts its line. A label line is short, or ends in
    a colon, or the label is an identifier's ("... Produktionsenhedsnr."); a sentence ending in "... på baggrund af
    journalen." labels nothing below it."""
    if label is None or len(previous.strip()) <= _LABEL_LINE or previous.rstrip().endswith(":"):
        return label
    return label if re.search(r"(?:nr|nummer|id)\.?$", label.text, re.IGNORECASE) else None


