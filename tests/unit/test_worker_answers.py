"""What a parser process may send back: only the allowed records of robot.model, in the shape the stages expect."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from robot.extract.answers import DOCUMENT_ANSWER, MAIL_ANSWER, OCR_ANSWER, PDF_ANSWER, load_answer
from robot.extract.document import read_people
from robot.extract.isolation import _parse_one
from robot.extract.letter import with_mentioned_cprs
from robot.mail.parse import parse_letter
from robot.model import (
    Attachment,
    CprResult,
    DocumentReading,
    Extraction,
    Letter,
    Limits,
    OcrReading,
    PdfContent,
    PdfFailure,
    PersonFindings,
    Reason,
    TextLine,
)
from tests.content import pages
from tests.mail_factory import mail_with_pdfs

CERTIFICATE_LINES = ("Lægeattest LÆ 125", "Patientens navn: Jens Hansen", "CPR-nr.: 030365-1038")

SAMPLES = sorted((Path(__file__).parents[2] / "samples" / "mail").glob("*.eml"))
LETTER = parse_letter(mail_with_pdfs("attest.pdf"), Limits())
CALLS: list[str] = []


def record_call() -> str:
    """What a smuggled class would run on loading; a refused answer never gets this far."""
    CALLS.append("called")
    return "called"


class Smuggled:
    """Pickles as a call of record_call: what a subverted worker could send instead of a string."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return record_call, ()


def dumped(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def test_every_sample_letter_comes_back_as_it_went() -> None:
    assert LETTER.date is not None and LETTER.date.tzinfo is not None
    for path in [*SAMPLES]:
        letter = parse_letter(path.read_bytes(), Limits())
        assert load_answer(dumped(letter), MAIL_ANSWER) == letter, path.name
    assert load_answer(dumped(LETTER), MAIL_ANSWER) == LETTER


def test_a_class_not_on_the_allow_list_is_refused_before_it_runs() -> None:
    with pytest.raises(pickle.UnpicklingError, match="record_call"):
        load_answer(dumped(replace(LETTER, body_text=Smuggled())), MAIL_ANSWER)  # type: ignore[arg-type]
    with pytest.raises(pickle.UnpicklingError, match="record_call"):
        load_answer(dumped(Smuggled()), PDF_ANSWER)
    assert CALLS == []


@pytest.mark.parametrize("value", [
    Extraction(reason=Reason.NO_CPR, cpr=None, blanket=None),  # robot.model, but no part of a mail answer
    replace(LETTER, attachments=(TextLine(1, 1, "a PDF's record in a mail answer"),)),  # type: ignore[arg-type]
    PdfContent(pages=1, lines=()),  # a PDF answer where a mail answer belongs
], ids=["extraction", "pdf-record-inside", "pdf-answer"])
def test_records_of_another_answer_kind_are_refused_in_a_mail_answer(value: object) -> None:
    with pytest.raises(pickle.UnpicklingError):
        load_answer(dumped(value), MAIL_ANSWER)


def test_a_letter_is_refused_in_a_pdf_answer() -> None:
    with pytest.raises(pickle.UnpicklingError, match="Letter"):
        load_answer(dumped(LETTER), PDF_ANSWER)


@pytest.mark.parametrize("letter", [
    replace(LETTER, sender=42),  # type: ignore[arg-type]
    replace(LETTER, recipients=["a@b.dk"]),  # type: ignore[arg-type]
    replace(LETTER, attachments=[*LETTER.attachments]),  # type: ignore[arg-type]
    replace(LETTER, attachments=(replace(LETTER.attachments[0], data="not bytes"),)),  # type: ignore[arg-type]
    replace(LETTER, problems=(Reason.NO_PDF,)),  # type: ignore[arg-type]
], ids=["sender", "recipients-list", "attachments-list", "attachment-data", "problem"])
def test_a_letter_of_the_wrong_shape_is_refused(letter: Letter) -> None:
    with pytest.raises(pickle.UnpicklingError, match="Letter"):
        load_answer(dumped(letter), MAIL_ANSWER)


def test_the_pdf_answer_still_loads_its_records() -> None:
    content = PdfContent(pages=1, lines=(TextLine(1, 1, "Statusattest LÆ 125"),))
    assert load_answer(dumped(content), PDF_ANSWER) == content
    assert isinstance(LETTER.attachments[0], Attachment)


def test_a_document_reading_comes_back_with_whom_it_is_about() -> None:
    content = pages(list(CERTIFICATE_LINES))
    reading = DocumentReading(content, read_people(content, date(2026, 12, 6)))
    assert reading.people is not None and reading.people.cpr.cpr is not None  # the test document names a patient
    assert load_answer(dumped(reading), DOCUMENT_ANSWER) == reading
    failed = DocumentReading(PdfFailure(Reason.PDF_UNREADABLE, "broken"))
    assert load_answer(dumped(failed), DOCUMENT_ANSWER) == failed


@pytest.mark.parametrize("value", [
    DocumentReading(pages(list(CERTIFICATE_LINES))),  # text without its people: an absence is not a finding
    DocumentReading(PdfFailure(Reason.PDF_UNREADABLE, "broken"),
                    PersonFindings(CprResult(None, Reason.NO_CPR, ()), ())),  # people for a PDF never read
    PdfContent(pages=1, lines=()),  # a bare PDF answer where a document reading belongs
    LETTER,
], ids=["text-without-people", "people-without-text", "pdf-answer", "letter"])
def test_a_document_reading_that_does_not_hold_together_is_refused(value: object) -> None:
    with pytest.raises(pickle.UnpicklingError):
        load_answer(dumped(value), DOCUMENT_ANSWER)


def test_a_mail_answer_carries_the_numbers_its_text_names_per_attachment() -> None:
    letter = with_mentioned_cprs(replace(LETTER, subject="Vedr. CPR 030365-1038"))
    assert letter.attachments[0].mentioned_cprs == frozenset({"0303651038"})
    assert load_answer(dumped(letter), MAIL_ANSWER) == letter
    smuggled = replace(letter, attachments=(replace(letter.attachments[0], mentioned_cprs=frozenset({1})),))
    with pytest.raises(pickle.UnpicklingError):
        load_answer(dumped(smuggled), MAIL_ANSWER)


def test_a_mail_parser_that_raises_names_parser_crashed_not_a_traceback() -> None:
    """The isolation boundary inside the worker: parse_letter promises never to raise, but a bug that breaks the
    promise becomes a Letter with the named reason, and the worker goes on."""
    def broken(raw: bytes, limits: Limits) -> Letter:
        raise KeyError("a parser bug")

    letter = _parse_one(broken, b"From: a@b\r\n\r\nbody", Limits())
    assert [(problem.reason, problem.lost) for problem in letter.problems] == [(Reason.PARSER_CRASHED, True)]
    assert "KeyError" in letter.problems[0].detail and letter.attachments == ()


def _ocr_reading() -> OcrReading:
    lines = tuple(TextLine(page=1, line=number, text=text) for number, text in enumerate(CERTIFICATE_LINES, start=1))
    content = PdfContent(pages=1, lines=lines, engine="tesseract")
    return OcrReading(content=content, confidences=tuple((95.0,) * len(line.text.split()) for line in content.lines),
                      people=read_people(content), pages_read=1)


def test_an_ocr_reading_comes_back_with_its_confidences_and_people() -> None:
    reading = _ocr_reading()
    loaded = load_answer(pickle.dumps(reading), OCR_ANSWER)
    assert loaded == reading and loaded.people is not None and loaded.people.cpr.cpr == "0303651038"


@pytest.mark.parametrize("value", [
    replace(_ocr_reading(), confidences=()),  # a confidence row missing for a line
    replace(_ocr_reading(), failure="not_a_reason"),  # a failure that is no NoSuggestion
    OcrReading(failure="ocr_timeout", content=PdfContent(pages=1, lines=())),  # failed, yet with content
    LETTER,
])
def test_an_ocr_reading_that_does_not_hold_together_is_refused(value: object) -> None:
    with pytest.raises(pickle.UnpicklingError):
        load_answer(pickle.dumps(value), OCR_ANSWER)
