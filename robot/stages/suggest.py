"""Completes a scan's OCR suggestion with the one case the rules would file it into: a suggestion, never a filing."""

from __future__ import annotations

from dataclasses import replace

from robot.decisions.decide import choose_case, plan
from robot.decisions.trust import SenderVerdict
from robot.ledger.suggestion_record import SuggestionRecord
from robot.model import ArchiveRejected, ArchiveUnavailable, Extraction, MailText, NoSuggestion, Suggestion
from robot.privacy import case_title
from robot.stages.work import Services


async def suggestion_for(extraction: Extraction, mail_text: MailText, sender: SenderVerdict, mailbox: str | None,
                         services: Services) -> SuggestionRecord | None:
    """The scan's suggestion as the ledger keeps it, with a case when the OCR text, decided as if it were the PDF's
    own (sender trust, the mail's CPRs, the routes, the name check), files into exactly one case. A mail naming
    another person withdraws the CPR; an archive that cannot be asked leaves the case out (no retry for a hint)."""
    suggestion = extraction.suggestion
    if suggestion is None:
        return None
    if suggestion.cpr is not None and extraction.ocr is not None:
        suggestion = await _with_case(suggestion, extraction.ocr, mail_text, sender, mailbox, services)
    blanket = services.rules().catalogue.blankets.get(suggestion.form) if suggestion.form else None
    return SuggestionRecord.of(suggestion, blanket.title if blanket else None)


async def _with_case(suggestion: Suggestion, ocr: Extraction, mail_text: MailText, sender: SenderVerdict,
                     mailbox: str | None, services: Services) -> Suggestion:
    if mail_text.cprs - {suggestion.cpr}:  # the mail names someone else, whoever sent it: whose scan is it?
        return Suggestion(form=suggestion.form, form_confidence=suggestion.form_confidence,
                          missing=(NoSuggestion.TWO_PEOPLE, NoSuggestion.NO_CASE))
    planned = plan(mail_text, ocr, sender, services.rules(), mailbox)
    if planned.reason is not None or planned.cpr is None or planned.cpr != suggestion.cpr:
        return suggestion
    try:
        cases = await services.archive.lookup(planned.cpr)
    except (ArchiveUnavailable, ArchiveRejected):
        return suggestion
    decision = choose_case(planned, cases, ocr.content, ocr.patient_names)
    if not decision.files or decision.case is None:
        return suggestion
    missing = tuple(reason for reason in suggestion.missing if reason is not NoSuggestion.NO_CASE)
    form = suggestion.form or (planned.form.code if planned.form else None)
    return replace(suggestion, case_id=decision.case.case_id, case_title=case_title(decision.case), form=form,
                   missing=tuple(r for r in missing if not (form and r is NoSuggestion.NO_FORM)))
