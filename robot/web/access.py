"""Who may see what: an operator everything, a caseworker the escalations of their team (the citizen's cases)."""

from __future__ import annotations

from robot.desk_config import DeskUser
from robot.ledger.base import StoredEscalation
from robot.model import ArchiveRejected, ArchiveUnavailable
from robot.stages.work import Services


async def teams_of(services: Services, escalation: StoredEscalation, known: dict[str, frozenset[str]]) -> frozenset[str]:
    """The teams of the citizen's cases (by the document's CPR), and of the case a decision named; `known` caches
    the archive's answers by CPR for one request. No CPR known: no team (operators only)."""
    teams: set[str] = set()
    if escalation.document_id is not None:
        document = services.ledger.document(escalation.document_id)
        if document.cpr:
            if document.cpr not in known:
                try:
                    cases = await services.archive.lookup(document.cpr)
                except (ArchiveUnavailable, ArchiveRejected):
                    cases = []  # the archive away: the team is unknown, so caseworkers do not see it now
                known[document.cpr] = frozenset(case.team for case in cases if case.team)
            teams |= known[document.cpr]
    return frozenset(teams)


def may_see(user: DeskUser, teams: frozenset[str]) -> bool:
    return user.role == "operator" or (user.team is not None and user.team in teams)
