"""Archive names for a filed document, built only from checked values: case id, received date, form code and hash."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from robot.model import ArchiveRejected, FilingMetadata
from robot.privacy import mask_cpr_text

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SAFE_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
CASE_ID_RULE = "letters, digits, '.', '_' or '-', a letter or digit first, at most 100 characters"
_FORM = re.compile(r"\s*L\s*(?:Æ|AE)\s*[-\s]?\s*(\d{3})\s*", re.IGNORECASE)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LONG_DIGITS = re.compile(r"\d(?:[ \-]?\d){9,}")


def scrub(text: str) -> str:
    """`text` safe for a message: CPR-shaped numbers masked, and any longer digit run (which may hide a CPR)
    cut to its first six characters."""
    return _LONG_DIGITS.sub(lambda match: match.group()[:6] + "…", mask_cpr_text(text))


def shown(value: str, limit: int = 60) -> str:
    """A value from outside (case id, form), quoted, shortened and scrubbed for an error message."""
    return scrub(repr(value if len(value) <= limit else value[:limit] + "…"))


def cpr_digits(cpr: str) -> str:
    """Ten digits from a CPR written with or without dash or space; ArchiveRejected (masked) for anything else."""
    digits = re.sub(r"[\s-]", "", cpr)
    if not re.fullmatch(r"\d{10}", digits):
        raise ArchiveRejected(f"lookup needs a CPR of ten digits, got {len(digits)} characters")
    return digits


def is_safe_case_id(case_id: str) -> bool:
    """Whether `case_id` can be used as one folder name (no separator, no dot folder, nothing hidden)."""
    return SAFE_CASE_ID.fullmatch(case_id) is not None


def checked_case_id(case_id: str) -> str:
    """`case_id` itself, or ArchiveRejected when it cannot be a folder name."""
    if not is_safe_case_id(case_id):
        raise ArchiveRejected(f"case id {shown(case_id, 120)} cannot be a folder name ({CASE_ID_RULE})")
    return case_id


def form_slug(form: str) -> str:
    """'LÆ 125' (or 'LAE125', 'Læ-125') -> 'LAE125'; ArchiveRejected for anything that is not an LÆ form code."""
    match = _FORM.fullmatch(form)
    if match is None:
        raise ArchiveRejected(f"form {shown(form, 40)} is not an LÆ form code such as 'LÆ 125'")
    return f"LAE{match.group(1)}"


def received_day(received: datetime) -> str:
    """The received date as yyyy-mm-dd in Europe/Copenhagen; a naive datetime is taken as UTC."""
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return received.astimezone(COPENHAGEN).date().isoformat()


def verified_sha256(document: bytes, metadata: FilingMetadata) -> str:
    """The document's SHA-256 in lower-case hex, or ArchiveRejected when the metadata names other bytes."""
    actual = hashlib.sha256(document).hexdigest()
    claimed = metadata.document_sha256.strip().lower()
    if not _SHA256.fullmatch(claimed):
        raise ArchiveRejected("metadata.document_sha256 is not 64 hexadecimal digits")
    if claimed != actual:
        raise ArchiveRejected(f"document_sha256 {claimed[:8]}… does not match the document ({actual[:8]}…)")
    return actual


def document_stem(metadata: FilingMetadata, sha256: str) -> str:
    """`<yyyy-mm-dd>_<LAE125>_<sha8>`: the archive name of a document without its extension."""
    return f"{received_day(metadata.received)}_{form_slug(metadata.form)}_{sha256[:8]}"
