"""Stage 2: each pending PDF is read in an isolated parser process, and the mail's text around it, into findings."""

from __future__ import annotations

import asyncio

from robot.extract.mail_text import read_mail_text
from robot.form import form_of
from robot.ledger.base import DocumentState
from robot.stages.work import DocumentWork, MessageWork, Services


async def extract(work: MessageWork, services: Services) -> None:
    for document in work.documents:
        if document.pending and document.attachment is not None:
            await asyncio.to_thread(_extract_one, work, document, services)  # the loop stays free for intake


def _extract_one(work: MessageWork, document: DocumentWork, services: Services) -> None:
    """The PDF read in a parser process, the mail's text read here, and the findings recorded in the ledger."""
    assert work.letter is not None and document.attachment is not None
    extraction = services.reader.extract(document.attachment.data)
    document.extraction = extraction
    document.mail_text = read_mail_text(work.letter, document.attachment, services.rules().catalogue)
    if document.stored.state is DocumentState.RECEIVED:
        blanket = extraction.blanket
        services.ledger.advance(
            document.stored.id, DocumentState.EXTRACTED,
            cpr=extraction.cpr.cpr if extraction.cpr else None,
            blanket=form_of(blanket.code) if blanket else None,
            kind=blanket.kind if blanket else None,
            reason=extraction.reason.value if extraction.reason else None,
        )
