"""Reads untrusted input in isolated worker processes: a raw mail into a Letter, one PDF's bytes into an Extraction
or into page images."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from robot.extract.document import combine
from robot.extract.isolation import ParserPool
from robot.extract.suggestion import suggest
from robot.model import Extraction, Letter, NoSuggestion, PageImages, PdfFailure, Reason, Suggestion
from robot.rules.catalogue import Catalogue


class DocumentReader:
    """The parse and extraction steps: untrusted bytes in, a Letter or a checked Extraction out; never raises for
    bad input."""

    def __init__(self, pool: ParserPool, catalogue: Callable[[], Catalogue], *, ocr: bool = True):
        self._pool = pool
        self._catalogue = catalogue  # the catalogue in force now: the rules reload
        self._ocr = ocr  # extract.ocr: scans are read with Tesseract for a suggestion

    def read_mail(self, raw: bytes) -> Letter:
        """The mail parsed in a worker under the pool's Limits; a mail past its limits is a Letter naming that."""
        return self._pool.parse_mail(raw)

    def read_bundle(self, raw: bytes) -> Letter:
        """A FHIR Bundle handed over as a file, read in a worker under the pool's Limits into a Letter."""
        return self._pool.parse_bundle(raw)

    async def read_mail_async(self, raw: bytes) -> Letter:
        """read_mail, from the event loop without blocking it (no thread hand-off)."""
        return await self._pool.parse_mail_async(raw)

    async def read_bundle_async(self, raw: bytes) -> Letter:
        """read_bundle, from the event loop without blocking it."""
        return await self._pool.parse_bundle_async(raw)

    async def extract_async(self, data: bytes) -> Extraction:
        """extract, from the event loop: the PDF is read without a thread hand-off; a scan's OCR, which takes
        seconds, waits in a thread."""
        reading = await self._pool.read_document_async(data)
        extraction = combine(reading.content, reading.people, self._catalogue())
        if extraction.reason is not Reason.NO_TEXT_LAYER:
            return extraction
        return await asyncio.to_thread(self._with_suggestion, data, extraction)

    def extract(self, data: bytes, *, with_ocr: bool = True) -> Extraction:
        """The PDF and whom it is about read in a worker; its form read here, by the catalogue in force now. A scan
        (no_text_layer) is read by OCR for a suggestion unless not `with_ocr` (or extract.ocr is off)."""
        reading = self._pool.read_document(data)
        extraction = combine(reading.content, reading.people, self._catalogue())
        if extraction.reason is not Reason.NO_TEXT_LAYER or not with_ocr:
            return extraction
        return self._with_suggestion(data, extraction)

    def _with_suggestion(self, data: bytes, extraction: Extraction) -> Extraction:
        """A scan stays no_text_layer; OCR (in a worker) adds what a person may confirm, or says why it does not."""
        if not self._ocr:
            return replace(extraction, suggestion=Suggestion(missing=(NoSuggestion.OCR_OFF,)))
        scan = self._pool.read_scan(data)
        ocr, suggestion = suggest(scan, self._catalogue())
        note = f"; no OCR suggestion: {scan.failure} ({scan.detail})" if scan.failure else ""
        return replace(extraction, ocr=ocr, suggestion=suggestion, detail=extraction.detail + note)

    def render_pages(self, data: bytes, max_pages: int, *, redact: bool = True) -> PageImages | PdfFailure:
        """The PDF's first pages as PNG images, drawn in a worker under the pool's Limits; CPR serials painted over
        unless not `redact`."""
        return self._pool.render_pages(data, max_pages, redact=redact)
