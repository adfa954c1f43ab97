"""An archive wrapper for `process --dry-run`: real lookups, filings only pretended."""

from __future__ import annotations

from robot.archive.base import CaseArchive, Health
from robot.model import Case, FilingMetadata, Receipt


class DryRunArchive:
    """Asks the real archive who the citizen's cases are, and files nothing."""

    name = "dry-run"

    def __init__(self, archive: CaseArchive):
        self._archive = archive

    async def lookup(self, cpr: str) -> list[Case]:
        return await self._archive.lookup(cpr)

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        return Receipt(case_id=case.case_id, document_ref="(dry run: not filed)", sha256=metadata.document_sha256)

    async def health(self) -> Health:
        return await self._archive.health()

    def name_source(self) -> str | None:
        return self._archive.name_source()

    async def close(self) -> None:
        await self._archive.close()
