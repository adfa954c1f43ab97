"""Reads untrusted input in isolated worker processes: a raw mail into a Letter, one PDF's bytes into an Extraction
or into page images."""

from __future__ import annotations

from collections.abc import Callable

from robot.extract.document import combine
from robot.extract.isolation import ParserPool
from robot.model import Extraction, Letter, PageImages, PdfFailure
from robot.rules.catalogue import Catalogue


class DocumentReader:
    """The parse and extraction steps: untrusted bytes in, a Letter or a checked Extraction out; never raises for
    bad input."""

    def __init__(self, pool: ParserPool, catalogue: Callable[[], Catalogue]):
        self._pool = pool
        self._catalogue = catalogue  # the catalogue in force now: the rules reload

    def read_mail(self, raw: bytes) -> Letter:
        """The mail parsed in a worker under the pool's Limits; a mail past its limits is a Letter naming that."""
        return self._pool.parse_mail(raw)

    def read_bundle(self, raw: bytes) -> Letter:
        """A FHIR Bundle handed over as a file, read in a worker under the pool's Limits into a Letter."""
        return self._pool.parse_bundle(raw)

    def extract(self, data: bytes) -> Extraction:
        """The PDF and whom it is about read in a worker; its form read here, by the catalogue in force now."""
        reading = self._pool.read_document(data)
        return combine(reading.content, reading.people, self._catalogue())

    def render_pages(self, data: bytes, max_pages: int, *, redact: bool = True) -> PageImages | PdfFailure:
        """The PDF's first pages as PNG images, drawn in a worker under the pool's Limits; CPR serials painted over
        unless not `redact`."""
        return self._pool.render_pages(data, max_pages, redact=redact)
