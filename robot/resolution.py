"""A person's decision on an escalation, for every front (the CLI, the desk): file it into a case, or reject it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from robot.decisions.by_hand import decided_by_hand
from robot.ledger.base import StoredDocument, StoredEscalation
from robot.ledger.records import DocumentOutcome, EscalationState
from robot.ledger.suggestion_record import SuggestionRecord
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, Reason, Retry
from robot.privacy import mask_cpr, mask_cpr_text
from robot.stages.work import Services
from robot.worker import process_message

# How long a running daemon leaves a resolved message to whoever resolved it (who runs the stages on it at once);
# if they die before it is done, the daemon takes the message after this.
HOLD_SECONDS = 600.0


class Refusal(enum.StrEnum):
    """Why a person's decision cannot be carried out (each front says it in its own words)."""

    NOT_OPEN = "not_open"
    NO_DOCUMENT = "no_document"
    RAW_GONE = "raw_gone"
    NOT_A_PDF = "not_a_pdf"
    ARCHIVE_LOOKUP = "archive_lookup"
    NOT_THEIR_CASE = "not_their_case"
    ALREADY_FILED = "already_filed"
    NO_NOTE = "no_note"
    ARCHIVE_AWAY = "archive_away"  # the decision stands; the robot files it when the archive answers
    ARCHIVE_REFUSED = "archive_refused"
    NOT_FILED = "not_filed"
    NO_SUGGESTION = "no_suggestion"  # nothing to accept: OCR suggested no citizen and case


class OperatorError(Exception):
    """What the person asked cannot be done; the message says why (CPR masked), `refusal` names it."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal


@dataclass(frozen=True)
class Resolved:
    """The document is in the case."""

    case_id: str
    document_ref: str | None


def open_escalation(escalation: StoredEscalation) -> StoredEscalation:
    """`escalation` when it is still open; OperatorError otherwise."""
    if escalation.state is not EscalationState.OPEN:
        raise OperatorError(Refusal.NOT_OPEN, f"escalation {escalation.id} is already {escalation.state}")
    return escalation


async def citizen_cases(services: Services, cpr: str) -> list[Case]:
    """The citizen's cases as the archive knows them; OperatorError when it cannot be asked."""
    try:
        return await services.archive.lookup(cpr)
    except (ArchiveUnavailable, ArchiveRejected) as error:
        raise OperatorError(Refusal.ARCHIVE_LOOKUP,
                            f"the archive could not be asked for the citizen's cases: {mask_cpr_text(str(error))}") from None


async def case_for(services: Services, cpr: str | None, case_id: str) -> Case:
    """The named case; when the citizen is known, it must be one of theirs."""
    if cpr is None:
        return Case(case_id=case_id, case_type="manual", status="open")
    cases = await citizen_cases(services, cpr)
    for case in cases:
        if case.case_id == case_id:
            return case
    known = ", ".join(c.case_id for c in cases) or "none"
    raise OperatorError(Refusal.NOT_THEIR_CASE,
                        f"case {case_id} is not one of this citizen's cases ({mask_cpr(cpr)}: {known})")


def fileable_document(services: Services, escalation: StoredEscalation) -> StoredDocument:
    """The escalated document, when it is a PDF whose raw mail is still kept; OperatorError otherwise."""
    ledger = services.ledger
    if escalation.document_id is None:
        raise OperatorError(Refusal.NO_DOCUMENT,
                            "this escalation concerns the mail as a whole; there is no document to file")
    stored = ledger.document(escalation.document_id)
    if ledger.message(escalation.message_id).raw is None:
        raise OperatorError(Refusal.RAW_GONE, "the raw mail is no longer kept; the document cannot be filed from here")
    if stored.sha256 is None:
        raise OperatorError(Refusal.NOT_A_PDF,
                            f"escalation {escalation.id} concerns {Reason(escalation.reason).value} of MIME part "
                            f"{stored.part or '(the mail)'}, which holds no readable PDF to file")
    return stored


async def resolve(services: Services, escalation_id: int, case_id: str, operator: str) -> Resolved:
    """The person's decision: the escalated document goes into the case they name. The decision is committed, and
    the message takes the daemon's road again (process_message): the file and notify stages place the document and
    queue the caseworker's notice as for any decision, each step audited. OperatorError when it is not filed now."""
    ledger = services.ledger
    escalation = open_escalation(ledger.escalation(escalation_id))
    stored = fileable_document(services, escalation)
    case = await case_for(services, stored.cpr, case_id)
    return await _file_by_hand(services, escalation_id, stored, case, operator)


async def accept_suggestion(services: Services, escalation_id: int, operator: str) -> Resolved:
    """The person confirms what OCR read on a scan: the document goes into the suggested case of the suggested
    citizen, asked of the archive again now (the case must still be one of theirs, and open), on the same road as
    `resolve`. OperatorError when there is no citizen and case to accept or it is not filed now."""
    escalation = open_escalation(services.ledger.escalation(escalation_id))
    stored = fileable_document(services, escalation)
    suggestion = stored.decision.suggestion if stored.decision else None
    if suggestion is None or suggestion.cpr is None or suggestion.case_id is None:
        raise OperatorError(Refusal.NO_SUGGESTION,
                            f"escalation {escalation_id} has no suggested citizen and case to accept; file it with: "
                            f"lae-robot escalations resolve {escalation_id} --case SAGSNUMMER")
    case = await case_for(services, suggestion.cpr, suggestion.case_id)
    if not case.is_open:
        raise OperatorError(Refusal.NOT_THEIR_CASE, f"the suggested case {case.case_id} is {case.status} now")
    return await _file_by_hand(services, escalation_id, stored, case, operator, accepted=suggestion)


async def _file_by_hand(services: Services, escalation_id: int, stored: StoredDocument, case: Case, operator: str,
                        accepted: SuggestionRecord | None = None) -> Resolved:
    ledger = services.ledger
    assert stored.sha256 is not None
    earlier = ledger.filing_of(case.case_id, stored.sha256)
    if earlier is not None:
        raise OperatorError(Refusal.ALREADY_FILED,
                            f"this document is already filed in case {case.case_id} (document {earlier.id}); "
                            f"close the escalation with: lae-robot escalations reject {escalation_id} --note ...")
    decision = decided_by_hand(stored, case, operator, services.rules().catalogue, accepted=accepted)
    held_until = services.clock() + timedelta(seconds=HOLD_SECONDS)  # a running daemon leaves it to us meanwhile
    message_id = ledger.decide_by_hand(escalation_id, decision, actor=operator, held_until=held_until)
    work = await process_message(message_id, services)
    placed = ledger.document(stored.id)
    if placed.outcome is DocumentOutcome.FILED:
        return Resolved(case.case_id, placed.document_ref)
    retry = next((d.outcome for d in work.documents if d.stored.id == stored.id and isinstance(d.outcome, Retry)),
                 None)
    if retry is not None:  # the archive is away: the message is deferred and the robot files it later
        raise OperatorError(Refusal.ARCHIVE_AWAY,
                            f"the archive did not take the document now ({mask_cpr_text(retry.detail)}); the "
                            "decision stands and the robot files it when the archive answers")
    if placed.outcome is DocumentOutcome.ESCALATED:
        raise OperatorError(Refusal.ARCHIVE_REFUSED,
                            f"the archive did not take the document: {placed.detail}; a new escalation is open")
    raise OperatorError(Refusal.NOT_FILED, f"the document was not filed: it is {placed.state.value} in the ledger")


def reject(services: Services, escalation_id: int, note: str, operator: str) -> None:
    """Close the escalation without filing, with the person's note (CPR masked) in the audit."""
    if not note.strip():
        raise OperatorError(Refusal.NO_NOTE, "a rejection needs a --note saying why")
    ledger = services.ledger
    open_escalation(ledger.escalation(escalation_id))
    ledger.close_escalation(escalation_id, EscalationState.REJECTED, actor=operator, note=mask_cpr_text(note))
