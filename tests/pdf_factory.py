"""Build small, real PDFs inside tests: plain text, form-only, encrypted, corrupt and non-PDF bytes."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

Page = Sequence[str]

SIMPLE_PAGES: tuple[Page, ...] = (
    ("Lægeerklæring LÆ 125", "", "CPR-nr.: 010190-1234", "Navn:\u00a0Jens Hansen"),
    ("Side 2", "Dato: 01.02.2025"),
)


def text_pdf(pages: Sequence[Page] = SIMPLE_PAGES) -> bytes:
    """A reportlab PDF with one text line per entry; an empty entry leaves a blank line."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    for page in pages:
        _draw_lines(canvas, page)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_lines(canvas: Canvas, lines: Page) -> None:
    y = A4[1] - 72
    for line in lines:
        if line:
            canvas.setFont("Helvetica", 11)
            canvas.drawString(72, y, line)
        y -= 16


def many_pages_pdf(pages: int, lines_per_page: int = 40) -> bytes:
    """A large but legitimate reportlab PDF: many pages of many short lines."""
    page = tuple(f"Linje {n} med lidt tekst om ingenting i særdeleshed" for n in range(lines_per_page))
    return text_pdf([page] * pages)


# ---------------------------------------------------------------- forms

FormSpec = tuple[str, str | None, str]  # (partial name, tooltip, value)


def form_only_pdf(
    fields: Sequence[FormSpec] = (
        ("cpr", "CPR-nummer", "010190-1234"),
        ("blanket", None, "LÆ 125"),
        ("bemaerkning", "Bemærkninger", "Første linje\nAnden linje"),
    ),
    parent: str | None = "patient",
    checkbox: str = "/Yes",
) -> bytes:
    """A one-page PDF with no page text whose text lives only in AcroForm field values (/NeedAppearances, no /AP).

    Text fields hang under a non-terminal field `parent` (so names are qualified: "patient.cpr") when one is given;
    a checkbox `samtykke` with value `checkbox` (a name object such as /Yes or /Off) sits at the top level.
    """
    writer = PdfWriter()
    page = writer.add_blank_page(width=A4[0], height=A4[1])
    widgets = [_text_widget(name, label, value, index) for index, (name, label, value) in enumerate(fields)]
    widgets.append(_checkbox_widget("samtykke", checkbox))
    refs = [writer._add_object(widget) for widget in widgets]
    page[NameObject("/Annots")] = ArrayObject(refs)
    top = _attach_parent(writer, refs[: len(fields)], parent) + refs[len(fields) :]
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(top),
            NameObject("/NeedAppearances"): BooleanObject(True),
            NameObject("/DA"): TextStringObject("/Helv 0 Tf 0 g"),
        }
    )
    return _write(writer)


def _attach_parent(writer: PdfWriter, kids: list[IndirectObject], parent: str | None) -> list[IndirectObject]:
    if parent is None:
        return kids
    node = DictionaryObject({NameObject("/T"): TextStringObject(parent), NameObject("/Kids"): ArrayObject(kids)})
    node_ref = writer._add_object(node)
    for kid in kids:
        widget = kid.get_object()
        assert isinstance(widget, DictionaryObject)
        widget[NameObject("/Parent")] = node_ref
    return [node_ref]


def _widget(name: str, index: int) -> DictionaryObject:
    y = 700 - 40 * index
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/T"): TextStringObject(name),
            NameObject("/Rect"): ArrayObject([FloatObject(72), FloatObject(y), FloatObject(400), FloatObject(y + 20)]),
            NameObject("/F"): NumberObject(4),
        }
    )


def _text_widget(name: str, label: str | None, value: str, index: int) -> DictionaryObject:
    widget = _widget(name, index)
    widget[NameObject("/FT")] = NameObject("/Tx")
    widget[NameObject("/V")] = TextStringObject(value)
    widget[NameObject("/DA")] = TextStringObject("/Helv 10 Tf 0 g")
    if "\n" in value:
        widget[NameObject("/Ff")] = NumberObject(4096)  # multiline
    if label is not None:
        widget[NameObject("/TU")] = TextStringObject(label)
    return widget


def _checkbox_widget(name: str, value: str) -> DictionaryObject:
    widget = _widget(name, 10)
    widget[NameObject("/FT")] = NameObject("/Btn")
    widget[NameObject("/V")] = NameObject(value)
    widget[NameObject("/AS")] = NameObject(value)
    return widget


# ---------------------------------------------------------------- encryption


def encrypted_pdf(
    user_password: str = "hemmelig", owner_password: str = "ejer", algorithm: str = "AES-128", source: bytes = b""
) -> bytes:
    """`source` (default `text_pdf()`) encrypted; an empty `user_password` opens without asking for one."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(source or text_pdf())))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    return _write(writer)


def _write(writer: PdfWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- broken input


def truncated_pdf() -> bytes:
    """The first few bytes of a real PDF: a header and not one whole object."""
    return text_pdf()[:40]


def garbage_pdf() -> bytes:
    """A valid header followed by deterministic noise (no objects, no xref)."""
    noise = bytes((i * 7919 + 13) % 251 for i in range(4096))
    return b"%PDF-1.7\n" + noise


def not_a_pdf() -> bytes:
    """A PNG signature and some text: not a PDF at all."""
    return b"\x89PNG\r\n\x1a\n" + b"this is no PDF " * 100
