"""Hostile PDFs as raw bytes: Flate bombs, a looping page tree, deep nesting, an exploding page tree (by hand), and
active content (JavaScript, launch actions, embedded files, action cycles) added to a real PDF with pypdf."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, PdfObject, TextStringObject

_CHUNK = 1 << 20  # 1 MiB of zeros per deflate block


def assemble(objects: Sequence[bytes], root: int = 1) -> bytes:
    """A complete PDF from object bodies numbered 1..n, with a correct xref table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    """A stream object body holding `data` as is, with extra dictionary entries."""
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _page_objects(contents: bytes) -> list[bytes]:
    """Catalog, page tree, one page with Helvetica, and its content stream body (objects 1-5)."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        contents,
    ]


def hello_pdf(text: bytes = b"Hej verden") -> bytes:
    """A minimal valid one-page PDF written by hand (proves `assemble` itself is sound)."""
    return assemble(_page_objects(stream(b"BT /F1 12 Tf 72 760 Td (" + text + b") Tj ET")))


# ---------------------------------------------------------------- (a) decompression bomb


def zeros_deflated(total: int) -> bytes:
    """A valid zlib stream that inflates to `total` zero bytes (a multiple of 1 MiB), built without inflating it.

    After a full flush the compressor state is reset, so every further 1 MiB block compresses to the same bytes;
    the block is repeated and the Adler-32 of n zeros is written directly: A = 1, B = n mod 65521.
    """
    if total % _CHUNK or total <= 0:
        raise ValueError("total must be a positive multiple of 1 MiB")
    compressor = zlib.compressobj(9)
    zero = bytes(_CHUNK)
    first = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)[:-4]
    adler = ((total % 65521) << 16) | 1
    return first + block * (total // _CHUNK - 1) + tail + adler.to_bytes(4, "big")


def flate_bomb_pdf(inflated_gib: int = 4) -> bytes:
    """A page whose content stream is Flate-compressed twice and inflates to `inflated_gib` GiB of zeros.

    The file is a few KB: zeros deflate about 1000:1, and the repeated deflate blocks deflate again just as well.
    """
    inner = zeros_deflated(inflated_gib << 30)
    outer = zlib.compress(inner, 9)
    return assemble(_page_objects(stream(outer, b"/Filter [/FlateDecode /FlateDecode]")))


# ---------------------------------------------------------------- (b) looping page tree


def looping_page_tree_pdf() -> bytes:
    """The root /Pages node's only kid is a /Pages node whose /Kids point back at its parent."""
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


# ---------------------------------------------------------------- (c) deep nesting


def deeply_nested_pdf(depth: int = 100_000) -> bytes:
    """The page tree root is an array nested `depth` levels deep instead of a dictionary."""
    nested = b"[" * depth + b"]" * depth
    return assemble([b"<< /Type /Catalog /Pages 2 0 R >>", nested])


# ---------------------------------------------------------------- (d) exploding page tree


def exploding_page_tree_pdf(levels: int = 12, fanout: int = 10, contents: bytes | None = None) -> bytes:
    """A page tree whose nodes reuse one child `fanout` times per level: fanout**levels leaves, a dozen objects.

    No object is its own ancestor, so loop detection does not stop a walker that visits every leaf. Seen with
    pypdfium2 5.15 / pypdf 7.1 / pdfminer.six 20260107: pdfium refuses the document, pypdf stops at its page-tree
    entry limit, pdfminer visits each object once and reads one page; so it reaches the last fallback.
    `contents` replaces the page's content stream object (default: the text "Hej").
    """
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        child = len(objects) + 2  # the next object: a /Pages node, or at the bottom the /Page
        kids = b" ".join([b"%d 0 R" % child] * fanout)
        objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, fanout ** (levels - level)))
    page = len(objects) + 1
    objects.append(
        b"<< /Type /Page /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
        % (page + 1, page + 2)
    )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects.append(contents or stream(b"BT /F1 12 Tf 72 760 Td (Hej) Tj ET"))
    return assemble(objects)


def bomb_for_pdfminer_pdf(inflated_gib: int = 4) -> bytes:
    """The Flate bomb as the page content of the exploding page tree: only pdfminer (no output cap) inflates it."""
    bomb = zlib.compress(zeros_deflated(inflated_gib << 30), 9)
    return exploding_page_tree_pdf(contents=stream(bomb, b"/Filter [/FlateDecode /FlateDecode]"))


# ---------------------------------------------------------------- (e) active content, added to a real PDF with pypdf


def _writer(pdf: bytes) -> PdfWriter:
    return PdfWriter(clone_from=PdfReader(BytesIO(pdf)))


def _written(writer: PdfWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _action(kind: str, **entries: PdfObject) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)})
    action.update({NameObject(f"/{key}"): value for key, value in entries.items()})
    return action


_SCRIPT = TextStringObject("app.alert('Hej');")


def with_javascript_open_action(pdf: bytes) -> bytes:
    """`pdf` with a JavaScript action run when the document opens (/OpenAction)."""
    writer = _writer(pdf)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(_action("/JavaScript", JS=_SCRIPT))
    return _written(writer)


def with_javascript_name_tree(pdf: bytes) -> bytes:
    """`pdf` with document-level JavaScript in the catalog's /Names /JavaScript name tree."""
    writer = _writer(pdf)
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([
        TextStringObject("init"), writer._add_object(_action("/JavaScript", JS=_SCRIPT))])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    return _written(writer)


def with_launch_action(pdf: bytes) -> bytes:
    """`pdf` with a link annotation on page 1 whose action launches a program."""
    writer = _writer(pdf)
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 72, 200, 100)]),
        NameObject("/A"): _action("/Launch", F=TextStringObject("C:\\Windows\\System32\\calc.exe")),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return _written(writer)


def with_form_field_script(pdf: bytes) -> bytes:
    """`pdf` with a text field whose widget runs JavaScript on each keystroke (/AA /K), listed in /AcroForm."""
    writer = _writer(pdf)
    widget = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("belob"),
        NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (72, 72, 200, 100)]),
        NameObject("/AA"): DictionaryObject({NameObject("/K"): _action("/JavaScript", JS=_SCRIPT)}),
    }))
    writer.pages[0][NameObject("/Annots")] = ArrayObject([widget])
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([widget])})
    return _written(writer)


def with_embedded_file(pdf: bytes) -> bytes:
    """`pdf` with a file inside it (the catalog's /Names /EmbeddedFiles)."""
    writer = _writer(pdf)
    writer.add_attachment("faktura.exe", b"MZ\x90\x00 not really a program")
    return _written(writer)


def with_action_cycle(pdf: bytes, javascript_at_the_end: bool = True) -> bytes:
    """`pdf` whose /OpenAction starts a chain of actions that /Next back to each other (a reference cycle), with
    a JavaScript action hanging off the cycle's far side when asked."""
    writer = _writer(pdf)
    first = writer._add_object(_action("/Named", N=NameObject("/NextPage")))
    second = writer._add_object(_action("/Named", N=NameObject("/PrevPage")))
    tail: list[PdfObject] = [first]
    if javascript_at_the_end:
        tail.append(writer._add_object(_action("/JavaScript", JS=_SCRIPT)))
    first.get_object()[NameObject("/Next")] = second
    second.get_object()[NameObject("/Next")] = ArrayObject(tail)
    writer._root_object[NameObject("/OpenAction")] = first
    return _written(writer)


def reference_loop_pdf() -> bytes:
    """A hand-made page whose /AA entry is object 6, which is only a reference to object 7, which is a reference
    back to 6."""
    objects = _page_objects(stream(b"BT /F1 12 Tf 72 760 Td (Hej) Tj ET"))
    objects[2] = objects[2].replace(b" /Contents 5 0 R >>", b" /Contents 5 0 R /AA 6 0 R >>")
    return assemble([*objects, b"7 0 R", b"6 0 R"])


def with_junk_after_the_end(pdf: bytes, junk_bytes: int = 16 << 20) -> bytes:
    """`pdf` followed by megabytes of random bytes after its %%EOF: pdfium reads it at once, pypdf hunts for the
    marker line by line from the end."""
    return pdf + b"%" + random.Random(0).randbytes(junk_bytes) + b"\n"
