"""Read the text lines and filled form fields of one untrusted PDF given as bytes, with engine fallbacks."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.psexceptions import PSException
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

from robot.extract.active import find_active_content
from robot.extract.spaces import SPACES_AND_DASHES
from robot.model import FormField, PdfContent, PdfFailure, Reason, TextLine

# What pypdf, pdfminer/pdfplumber and pypdfium2 let escape on crafted or broken files. Anything else is a bug
# in this module or a library and is left to propagate (the worker process reports it as unreadable).
PARSER_ERRORS: tuple[type[BaseException], ...] = (
    RecursionError,
    ArithmeticError,  # OverflowError, ZeroDivisionError
    ValueError,  # also UnicodeError, binascii.Error, pdfminer's PDFValueError
    NotImplementedError,
    LookupError,  # KeyError, IndexError
    TypeError,
    AttributeError,
    AssertionError,
    EOFError,
    struct.error,
    zlib.error,
    PyPdfError,  # PdfReadError, PdfStreamError, LimitReachedError, ...
    PSException,  # pdfminer: PDFSyntaxError, PSEOF, PDFNoValidXRef, ...
    pdfium.PdfiumError,
)

_UNWRAPPABLE: tuple[type[BaseException], ...] = (*PARSER_ERRORS, MemoryError)
_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
_PDFIUM_ENCRYPTED = (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
_PDFIUM_ERRORS = {
    getattr(pdfium_c, name): name.removeprefix("FPDF_ERR_").lower()
    for name in ("FPDF_ERR_UNKNOWN", "FPDF_ERR_FILE", "FPDF_ERR_FORMAT", "FPDF_ERR_PASSWORD",
                 "FPDF_ERR_SECURITY", "FPDF_ERR_PAGE", "FPDF_ERR_SUCCESS")
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PDFIUM_JOINED_HYPHEN = "\ufffe"  # pdfium joins "word-<line break>rest" into "word\ufffeRest"
_MAX_FIELD_DEPTH = 32
_MAX_FIELD_NODES = 10_000


class FormTooComplex(ValueError):
    """The AcroForm field tree is deeper or larger than any real form."""


def read_pdf(data: bytes, max_pages: int = 200) -> PdfContent | PdfFailure:
    """Text lines (per page, 1-based, non-empty) and filled form fields of `data`, or the reason it cannot be read.

    pypdfium2 reads the text (pypdf the form fields); if pdfium cannot open the file, pypdf and then pdfplumber
    read it instead. Only the first `max_pages` pages are read; `PdfContent.pages` is the document's page count.
    A document without any text is returned as content with no lines: the caller decides `no_text_layer`.
    Its active content (JavaScript, launch actions, embedded files) is looked for with pypdf, within bounds, and
    never run. Neither the parsers nor this function bound time or memory, and pdfium is not thread-safe: run untrusted
    input through `robot.extract.isolation.ParserPool`.
    """
    if _HEADER not in data[:_HEADER_WINDOW]:
        return PdfFailure(Reason.PDF_UNREADABLE, "not a PDF")
    try:
        return _read_with_fallbacks(data, max_pages)
    except MemoryError:
        return PdfFailure(Reason.PDF_UNREADABLE, "memory limit (limits.pdf_memory_mb)")


# ---------------------------------------------------------------- engines and fallback


Engine = Callable[[bytes, int], "PdfContent | PdfFailure"]


def _read_with_fallbacks(data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    misses: list[str] = []
    for name, engine in _ENGINES:
        try:
            result = engine(data, max_pages)
        except PARSER_ERRORS as exc:
            if _caused_by(exc, MemoryError):
                raise MemoryError from exc
            misses.append(f"{name}: {_describe(exc)}")
            continue
        if isinstance(result, PdfContent) and result.pages == 0:
            misses.append(f"{name}: no pages")
            continue
        if isinstance(result, PdfContent):  # read: what could act when it is opened is looked for, never run
            return replace(result, active=find_active_content(data))
        return result
    return PdfFailure(Reason.PDF_UNREADABLE, "; ".join(misses))


def _read_pdfium(data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    try:
        document = _open_pdfium(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in _PDFIUM_ENCRYPTED:
            return PdfFailure(Reason.PDF_ENCRYPTED, f"password required ({_describe(exc)})")
        raise
    if document is None:
        return PdfContent(pages=0, lines=(), engine="pdfium")
    try:
        pages = len(document)
        texts = [_pdfium_page_text(document, index) for index in range(min(pages, max_pages))]
        has_form = document.get_formtype() != pdfium_c.FORMTYPE_NONE
    finally:
        document.close()
    fields = _pypdf_fields(PdfReader(BytesIO(data), strict=False)) if has_form else ()
    return PdfContent(pages=pages, lines=_lines(texts), fields=fields, engine="pdfium")


def _open_pdfium(data: bytes) -> pdfium.PdfDocument | None:
    """The document, or None when it has no pages. Opened by hand: pypdfium2 5's PdfDocument(bytes) raises without
    closing the document when it has no pages, which leaks it (~the file's size) in a long-lived worker.
    `data` must stay referenced until the document is closed (pdfium reads it in place)."""
    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if not raw:
        raise pdfium.PdfiumError("pdfium could not load the document", err_code=pdfium_c.FPDF_GetLastError())
    if pdfium_c.FPDF_GetPageCount(raw) < 1:
        pdfium_c.FPDF_CloseDocument(raw)
        return None
    return pdfium.PdfDocument(raw)


def _pdfium_page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace(_PDFIUM_JOINED_HYPHEN, "-\n")


def _read_pypdf(data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    reader = PdfReader(BytesIO(data), strict=False)
    try:
        pages = len(reader.pages)
        texts = [reader.pages[index].extract_text() for index in range(min(pages, max_pages))]
    except FileNotDecryptedError:
        return PdfFailure(Reason.PDF_ENCRYPTED, "password required (pypdf)")
    return PdfContent(pages=pages, lines=_lines(texts), fields=_pypdf_fields(reader), engine="pypdf")


def _read_pdfplumber(data: bytes, max_pages: int) -> PdfContent | PdfFailure:
    import pdfplumber  # the last resort: imported when first needed (the worker process preloads it)
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    try:
        with pdfplumber.open(BytesIO(data), pages=range(1, max_pages + 1)) as pdf:  # type: ignore[arg-type]
            texts = [page.extract_text() or "" for page in pdf.pages]
            pages = sum(1 for _ in PDFPage.create_pages(pdf.doc))
            fields = _pdfminer_fields(pdf.doc)
    except (PdfminerException, MalformedPDFException) as exc:
        if _caused_by(exc, PDFEncryptionError):
            return PdfFailure(Reason.PDF_ENCRYPTED, "password required (pdfplumber)")
        raise _unwrap(exc) from exc
    return PdfContent(pages=pages, lines=_lines(texts), fields=fields, engine="pdfplumber")


_ENGINES: tuple[tuple[str, Engine], ...] = (
    ("pdfium", _read_pdfium),
    ("pypdf", _read_pypdf),
    ("pdfplumber", _read_pdfplumber),
)


def _unwrap(exc: Exception) -> BaseException:
    """pdfplumber wraps pdfminer's errors in its own (error as the argument): hand on the one inside if known."""
    inner: object = exc.args[0] if exc.args else None
    if isinstance(inner, _UNWRAPPABLE):
        return inner
    return ValueError(f"{type(exc).__name__}({type(inner).__name__})")


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind) or any(isinstance(arg, kind) for arg in current.args):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _describe(exc: BaseException) -> str:
    """The error's class (and pdfium's error code name): never its message, which may quote the document."""
    if isinstance(exc, pdfium.PdfiumError) and exc.err_code is not None:
        return f"PdfiumError({_PDFIUM_ERRORS.get(exc.err_code, exc.err_code)})"
    return type(exc).__name__


# ---------------------------------------------------------------- text lines


def _lines(page_texts: Iterable[str]) -> tuple[TextLine, ...]:
    return tuple(line for number, text in enumerate(page_texts, start=1) for line in _page_lines(number, text))


def _page_lines(page: int, text: str) -> list[TextLine]:
    """Non-empty lines, trailing whitespace stripped, NBSP as space, numbered among the page's non-empty lines."""
    cleaned = (raw.translate(SPACES_AND_DASHES).rstrip() for raw in _LINE_BREAK.split(text))
    return [TextLine(page=page, line=number, text=line) for number, line in enumerate(filter(None, cleaned), start=1)]


# ---------------------------------------------------------------- form fields


@dataclass(frozen=True)
class _Syntax:
    """How to read one library's PDF objects: a resolved dictionary entry, resolved array items, a value as text."""

    get: Callable[[Any, str], Any]
    items: Callable[[Any], list[Any]]
    is_dict: Callable[[Any], bool]
    text: Callable[[Any], str | None]


def _pypdf_fields(reader: PdfReader) -> tuple[FormField, ...]:
    form = _pypdf_get(reader.root_object, "AcroForm")
    if not isinstance(form, DictionaryObject):
        return ()
    return _walk_fields(_pypdf_get(form, "Fields"), _PYPDF)


def _pypdf_get(node: Any, key: str) -> Any:
    value = node.get("/" + key)
    return None if value is None else value.get_object()


def _pypdf_items(value: Any) -> list[Any]:
    return [item.get_object() for item in value] if isinstance(value, ArrayObject) else []


def _pypdf_text(value: Any) -> str | None:
    if isinstance(value, NameObject):  # checkbox and radio states such as /Yes and /Off
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):  # a string pypdf could not decode as PDFDocEncoding or UTF-16
        return value.decode("latin-1")
    return None


_PYPDF = _Syntax(
    get=_pypdf_get, items=_pypdf_items, is_dict=lambda value: isinstance(value, DictionaryObject), text=_pypdf_text
)


def _pdfminer_fields(document: Any) -> tuple[FormField, ...]:
    form = _pdfminer_get(document.catalog, "AcroForm")
    if not isinstance(form, dict):
        return ()
    return _walk_fields(_pdfminer_get(form, "Fields"), _PDFMINER)


def _pdfminer_get(node: Any, key: str) -> Any:
    from pdfminer.pdftypes import resolve1

    return resolve1(node.get(key))


def _pdfminer_items(value: Any) -> list[Any]:
    from pdfminer.pdftypes import resolve1

    return [resolve1(item) for item in value] if isinstance(value, list) else []


def _pdfminer_text(value: Any) -> str | None:
    from pdfminer.utils import decode_text

    if isinstance(value, bytes):
        return decode_text(value)
    return value if isinstance(value, str) else None  # names are PSLiteral objects: skipped


_PDFMINER = _Syntax(
    get=_pdfminer_get, items=_pdfminer_items, is_dict=lambda value: isinstance(value, dict), text=_pdfminer_text
)


def _walk_fields(fields: Any, syntax: _Syntax) -> tuple[FormField, ...]:
    """Fields with a text value, in document order, named by fully qualified name (parent.child), depth-first."""
    found: list[FormField] = []
    visited: list[Any] = []  # keeps the nodes alive so their id() stays unique
    seen: set[int] = set()
    todo = [(node, "", 0) for node in reversed(syntax.items(fields))]
    while todo:
        node, parent, depth = todo.pop()
        if not syntax.is_dict(node) or id(node) in seen:
            continue
        _check_form_size(depth, len(visited))
        visited.append(node)
        seen.add(id(node))
        partial = syntax.text(syntax.get(node, "T"))
        name = f"{parent}.{partial}" if parent and partial is not None else (partial or parent)
        field = _form_field(node, name, syntax) if partial is not None else None
        if field is not None:
            found.append(field)
        todo.extend((kid, name, depth + 1) for kid in reversed(syntax.items(syntax.get(node, "Kids"))))
    return tuple(found)


def _check_form_size(depth: int, nodes: int) -> None:
    if depth > _MAX_FIELD_DEPTH or nodes >= _MAX_FIELD_NODES:
        raise FormTooComplex(f"form field tree beyond depth {_MAX_FIELD_DEPTH} or {_MAX_FIELD_NODES} nodes")


def _form_field(node: Any, name: str, syntax: _Syntax) -> FormField | None:
    value = _field_value(syntax.get(node, "V"), syntax)
    if not value:
        return None
    label = syntax.text(syntax.get(node, "TU"))
    return FormField(name=name, label=_clean_value(label or "") or None, value=value)


def _field_value(raw: Any, syntax: _Syntax) -> str:
    """The value as one string: a text string, or the selected options of a list box joined by ", "."""
    items = syntax.items(raw)
    texts = (syntax.text(item) for item in items) if items else iter([syntax.text(raw)])
    cleaned = (_clean_value(text) for text in texts if text is not None)
    return ", ".join(filter(None, cleaned))


def _clean_value(text: str) -> str:
    """NBSP as space, line breaks as "\\n", outer whitespace stripped; a multi-line value stays one string."""
    return "\n".join(_LINE_BREAK.split(text.translate(SPACES_AND_DASHES))).strip()
