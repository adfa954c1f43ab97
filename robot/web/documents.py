"""An escalated document read again for a person: the mail parsed, the PDF's evidence and its page images, all in
the isolated parser processes; the last few kept in memory, never on disk."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from robot.model import Attachment, Extraction, Letter, PageImages, PdfFailure
from robot.stages.work import Services

_KEPT = 8  # documents kept read, for the page images that follow a page view


@dataclass
class ReadDocument:
    """One escalated document as the desk shows it; `pages` drawn on first asking."""

    letter: Letter
    attachment: Attachment | None
    extraction: Extraction | None
    pages: PageImages | PdfFailure | None = None  # CPR serials painted over
    revealed_pages: PageImages | PdfFailure | None = None  # as printed: only on a person's explicit request


class DocumentCache:
    """The last few documents read, by (ledger message id, MIME part); reading happens in the parser processes."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[int, str], ReadDocument] = OrderedDict()
        self._lock = asyncio.Lock()

    async def read(self, services: Services, message_id: int, part: str) -> ReadDocument | None:
        """The document at `part` of the mail, None when the raw mail is no longer kept."""
        key = (message_id, part)
        async with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        raw = services.ledger.message(message_id).raw
        if raw is None:
            return None
        letter = await asyncio.to_thread(services.reader.read_mail, raw)
        attachment = next((a for a in letter.attachments if a.part == part), None)
        # the evidence only: a scan's OCR suggestion is in the ledger already, and OCR costs seconds a page
        extraction = (await asyncio.to_thread(services.reader.extract, attachment.data, with_ocr=False)
                      if attachment else None)
        document = ReadDocument(letter, attachment, extraction)
        async with self._lock:
            self._kept[key] = document
            while len(self._kept) > _KEPT:
                self._kept.popitem(last=False)
        return document

    async def pages(self, services: Services, document: ReadDocument, max_pages: int, *,
                    revealed: bool = False) -> PageImages | PdfFailure | None:
        """The document's pages as PNG images, drawn once in a parser process; CPR serials painted over unless
        `revealed`."""
        if document.attachment is None:
            return None
        data = document.attachment.data
        if revealed:
            if document.revealed_pages is None:
                document.revealed_pages = await asyncio.to_thread(services.reader.render_pages, data, max_pages,
                                                                  redact=False)
            return document.revealed_pages
        if document.pages is None:
            document.pages = await asyncio.to_thread(services.reader.render_pages, data, max_pages)
        return document.pages
