"""What a parser process's answer may be: the classes each kind may name, and the shape it must have."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Generic, TypeGuard, TypeVar

from robot.model import (
    ActiveContent,
    ActiveFinding,
    Attachment,
    CareCommunication,
    CprCandidate,
    CprResult,
    CprVerdict,
    DocumentReading,
    Evidence,
    FormField,
    Letter,
    MailProblem,
    NoSuggestion,
    OcrReading,
    PageImages,
    PdfContent,
    PdfFailure,
    PersonFindings,
    PrintedName,
    Reason,
    TextLine,
)

T = TypeVar("T")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_PAGE_IMAGE_BYTES = 32 << 20


@dataclass(frozen=True)
class AnswerKind(Generic[T]):
    """What one kind of worker answer may hold: the classes it may name (module, name), and the shape it must have."""

    allowed: dict[tuple[str, str], type]
    accepts: Callable[[object], TypeGuard[T]]


class _ResultUnpickler(pickle.Unpickler):
    """Loads only the classes allowed in one kind of answer: a worker that parsed hostile bytes is not trusted."""

    def __init__(self, answer: bytes, allowed: dict[tuple[str, str], type]) -> None:
        super().__init__(io.BytesIO(answer))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> type:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} from a parser process") from None


def load_answer(answer: bytes, kind: AnswerKind[T]) -> T:
    """A worker's pickled answer, when it names only the kind's allowed classes and has its shape; raises
    pickle.UnpicklingError (or what a malformed pickle raises) for anything else."""
    result = _ResultUnpickler(answer, kind.allowed).load()
    if not kind.accepts(result):
        raise pickle.UnpicklingError(f"unexpected {type(result).__name__} from a parser process")
    return result


def _allow(*classes: type) -> dict[tuple[str, str], type]:
    return {(cls.__module__, cls.__name__): cls for cls in classes}


def _is_pdf_result(value: object) -> TypeGuard[PdfContent | PdfFailure]:
    return isinstance(value, (PdfContent, PdfFailure))


def _is_document_reading(value: object) -> TypeGuard[DocumentReading]:
    """A reading whose content is a PDF result, with people exactly when the content has text."""
    if type(value) is not DocumentReading or not _is_pdf_result(value.content):
        return False
    if isinstance(value.content, PdfFailure) or not value.content.has_text:
        return value.people is None
    people = value.people
    return (type(people) is PersonFindings and type(people.cpr) is CprResult
            and _optional(people.cpr.cpr, str) and type(people.cpr.candidates) is tuple
            and all(type(candidate) is CprCandidate for candidate in people.cpr.candidates)
            and type(people.names) is tuple and all(type(name) is PrintedName for name in people.names))


def _is_letter(value: object) -> TypeGuard[Letter]:
    """A Letter whose every field holds what the stages expect, down to its attachments and problems."""
    return (
        type(value) is Letter and _optional(value.sender, str) and _strings(value.recipients)
        and type(value.subject) is str and _optional(value.message_id, str) and _optional(value.date, datetime)
        and type(value.body_text) is str and _strings(value.authentication_results)
        and type(value.from_addresses) is int and _strings(value.smime_notes)
        and type(value.care_communications) is tuple
        and all(_is_care_communication(m) for m in value.care_communications)
        and type(value.attachments) is tuple and all(_is_attachment(a) for a in value.attachments)
        and type(value.problems) is tuple and all(_is_problem(p) for p in value.problems)
    )


def _is_attachment(value: object) -> bool:
    return (type(value) is Attachment and _optional(value.name, str) and type(value.content_type) is str
            and type(value.data) is bytes and type(value.part) is str
            and type(value.mentioned_cprs) is frozenset and all(type(cpr) is str for cpr in value.mentioned_cprs)
            and (value.care_communication is None or _is_care_communication(value.care_communication)))


def _is_care_communication(value: object) -> bool:
    """Every field of a CareCommunication a string, or a tuple of strings, and its PDF count a number."""
    if type(value) is not CareCommunication:
        return False
    fields = [getattr(value, name) for name in value.__dataclass_fields__ if name != "pdfs"]
    return type(value.pdfs) is int and all(type(f) is str or _strings(f) for f in fields)


def _is_problem(value: object) -> bool:
    return (type(value) is MailProblem and type(value.reason) is Reason and type(value.detail) is str
            and _optional(value.part, str) and type(value.lost) is bool)


def _is_page_images(value: object) -> TypeGuard[PageImages | PdfFailure]:
    """Page images that are PNGs of a sane size (or a failure); the count is checked against the request's cap."""
    if type(value) is PdfFailure:
        return type(value.reason) is Reason and type(value.detail) is str
    return (type(value) is PageImages and type(value.pages) is int and value.pages >= 0
            and type(value.images) is tuple and type(value.withheld) is tuple
            and all(type(number) is int and 1 <= number <= len(value.images) for number in value.withheld)
            and all(type(image) is bytes and image.startswith(_PNG_SIGNATURE) and len(image) <= _MAX_PAGE_IMAGE_BYTES
                    for image in value.images))


def _is_ocr_reading(value: object) -> TypeGuard[OcrReading]:
    """A reading with text, one confidence row per line and people; or a named failure with neither."""
    if type(value) is not OcrReading or not _optional(value.failure, str) or type(value.detail) is not str:
        return False
    if value.failure is not None:
        return value.failure in {n.value for n in NoSuggestion} and value.content is None and value.people is None
    content = value.content
    return (type(content) is PdfContent and type(content.lines) is tuple
            and all(type(line) is TextLine and type(line.text) is str for line in content.lines)
            and type(value.confidences) is tuple and len(value.confidences) == len(content.lines)
            and all(type(row) is tuple and all(type(c) is float for c in row) for row in value.confidences)
            and _is_document_reading(DocumentReading(content, value.people)))


def _optional(value: object, kind: type) -> bool:
    return value is None or type(value) is kind


def _strings(value: object) -> bool:
    return type(value) is tuple and all(type(item) is str for item in value)


# What each kind of answer may hold, and nothing else: records of robot.model, and the date of a mail.
PDF_ANSWER = AnswerKind(_allow(PdfContent, PdfFailure, TextLine, FormField, Reason, ActiveContent, ActiveFinding),
                        _is_pdf_result)
DOCUMENT_ANSWER = AnswerKind(
    _allow(DocumentReading, PdfContent, PdfFailure, TextLine, FormField, Reason, ActiveContent, ActiveFinding,
           PersonFindings, CprResult, CprCandidate, CprVerdict, Evidence, PrintedName, date),
    _is_document_reading)
OCR_ANSWER = AnswerKind(
    _allow(OcrReading, PdfContent, TextLine, FormField, ActiveContent, ActiveFinding, Reason, PersonFindings, CprResult,
           CprCandidate, CprVerdict, Evidence, PrintedName, date),
    _is_ocr_reading)
PAGES_ANSWER = AnswerKind(_allow(PageImages, PdfFailure, Reason), _is_page_images)
MAIL_ANSWER = AnswerKind(_allow(Letter, Attachment, CareCommunication, MailProblem, Reason, datetime, timezone,
                                timedelta), _is_letter)
