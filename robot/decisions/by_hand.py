"""A decision made by a person: an escalated document goes into the case an operator names."""

from __future__ import annotations

from robot.ledger.base import StoredDocument
from robot.ledger.records import Action, DecisionRecord
from robot.ledger.suggestion_record import SuggestionRecord
from robot.model import Case
from robot.privacy import case_title, mask_cpr
from robot.rules.catalogue import Catalogue


def decided_by_hand(document: StoredDocument, case: Case, operator: str, catalogue: Catalogue, *,
                    accepted: SuggestionRecord | None = None) -> DecisionRecord:
    """The operator's decision to file `document` into `case`, as the ledger keeps any decision: the form read from
    the document (or the `accepted` OCR suggestion's), the caseworker to tell, and what the robot decided before
    (CPR masked)."""
    earlier = document.decision
    form = document.blanket or (accepted.form if accepted else None) or (earlier.form if earlier else None)
    blanket = catalogue.blankets.get(form.code) if form else None
    return DecisionRecord(
        action=Action.FILE, rule=f"manual:{operator}",
        organisation=earlier.organisation if earlier else None,
        cpr=mask_cpr(document.cpr) if document.cpr else (accepted.masked_cpr if accepted else None)
        or (earlier.cpr if earlier else None),
        form=form, form_title=blanket.title if blanket else None,
        kind=document.kind or (blanket.kind if blanket else None),
        case_id=case.case_id, case_type=case.case_type, case_title=case_title(case),
        notify_to=(case.caseworker_email,) if case.caseworker_email else (),
        explanation=(*(earlier.explanation if earlier else ()),
                     f"filed by {operator}, accepting the OCR suggestion (citizen read with {accepted.cpr_confidence} % "
                     "confidence)" if accepted else f"filed by {operator}"),
        decided_by=operator, active_content=earlier.active_content if earlier else (),
    )
