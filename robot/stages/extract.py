"""Stage 2: each pending PDF is read in an isolated parser process, and the mail's text around it, into findings."""

from __future__ import annotations

from robot.extract.mail_text import read_mail_text
from robot.form import form_of
from robot.ledger.base import DocumentState
from robot.stages.work import MessageWork, Services


async def extract(work: MessageWork, services: Services) -> None:
    for document in work.documents:
        if not document.pending or document.attachment is None:
            continue
        extraction = await services.reader.extract_async(document.attachment.data)
        document.extraction = extraction
        assert work.letter is not None
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
