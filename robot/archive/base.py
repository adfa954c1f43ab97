"""The one interface every case-archive adapter implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from robot.model import Case, FilingMetadata, Receipt


@dataclass(frozen=True)
class RegisterState:
    """A case register the robot reads itself (the folder archive's CSV): the cases in force (0: none in force,
    nothing can be filed), why the file on disk is not used (None when it is) and when the one in force was read."""

    rows: int
    problem: str | None
    read_at: datetime | None


@dataclass(frozen=True)
class Health:
    """Whether the archive answers, and in words what was checked; a local archive adds its disk's free bytes."""

    ok: bool
    detail: str
    free_bytes: int | None = None  # free space where documents are written (None: not on a local disk)
    register: RegisterState | None = None  # the case register read by the robot (None: the archive answers lookups)


class CaseArchive(Protocol):
    """Looks up a citizen's cases and files documents into one of them.

    Every method may raise ArchiveUnavailable (transient: retry later) or
    ArchiveRejected (permanent: escalate). No method may put a CPR in an
    exception message or a log line.
    """

    name: str

    async def lookup(self, cpr: str) -> list[Case]:
        """All cases of the citizen with this CPR (ten digits), open or not."""
        ...

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        """Put the document into the case. Idempotent by the document's SHA-256: filing the same
        bytes into the same case again returns the first receipt with `already_filed=True`."""
        ...

    async def health(self) -> Health:
        """A cheap check that the archive answers."""
        ...

    def name_source(self) -> str | None:
        """Where the cases' citizen names come from (which turns on the name check), in words; None without."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...
