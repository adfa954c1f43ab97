"""The citizen's open LÆ requests as the escalation page shows them: what was asked of whom, and whether it is late."""

from __future__ import annotations

from datetime import date
from typing import Any

from robot.ledger.base import Ledger


def citizen_requests(ledger: Ledger, cpr: str, today: date) -> list[dict[str, Any]]:
    """Each open request for the citizen, oldest first, in words for the page (no CPR: the page names the citizen)."""
    return [{"id": request.id, "asked": f"LÆ {request.request_form}", "answer": f"LÆ {request.answer_form}",
             "case_id": request.case_id or "ukendt sag", "addressee": request.addressee or "ukendt modtager",
             "sent": request.sent_on.strftime("%d.%m.%Y"), "deadline": request.deadline.strftime("%d.%m.%Y"),
             "late": request.deadline < today}
            for request in ledger.requests.open_for(cpr)]
