"""Reads one PDF's bytes into an Extraction: parsing isolated in worker processes, then analysis."""

from __future__ import annotations

from datetime import date
from typing import Callable

from robot.decisions.catalogue import Catalogue
from robot.extract.document import analyse
from robot.extract.isolation import PdfReaderPool
from robot.model import Extraction


class DocumentReader:
    """The extraction step: untrusted bytes in, a checked Extraction out; never raises for bad input."""

    def __init__(self, pool: PdfReaderPool, catalogue: Callable[[], Catalogue],
                 today: Callable[[], date] = date.today):
        self._pool = pool
        self._catalogue = catalogue  # the catalogue in force now: the rules reload
        self._today = today

    def extract(self, data: bytes) -> Extraction:
        return analyse(self._pool.read(data), self._catalogue(), self._today())
