"""Learns the requests the case system exported (the folder archive's requests CSV, the HTTP archive's requests
call) into the request register; rows it cannot use are told to the operators once, by file and line or by call
and result, never with a CPR."""

from __future__ import annotations

import hashlib

import structlog

from robot.archive.folder import RegisterError
from robot.archive.request_export import ExportedRequest, ExportRowError
from robot.decisions.rulebook import Rulebook
from robot.ledger.records import NoticeKind
from robot.ledger.request_records import NewRequest, RequestSource
from robot.model import ArchiveRejected, ArchiveUnavailable
from robot.privacy import mask_cpr_text
from robot.stages.work import Services

log = structlog.get_logger(__name__)


async def import_requests(services: Services) -> int:
    """Record every exported request not yet in the register; the number learnt."""
    export = services.request_export
    if export is None:
        return 0
    try:
        rows = await export.sent_requests()
    except (RegisterError, ExportRowError, ArchiveRejected) as error:
        _tell_operators(services, [str(error)])
        return 0
    except ArchiveUnavailable as error:  # the case system is down or busy: the next run asks again
        log.warning("request_export_unavailable", error=mask_cpr_text(str(error)))
        return 0
    rules = services.rules()
    problems: list[str] = []
    learnt = 0
    for row in rows:
        key = f"import:{row.request_id}"
        if services.ledger.requests.find(key) is not None:
            continue
        request = await _new_request(services, rules, row, key, problems)
        if request is not None:
            services.ledger.requests.register(request)
            learnt += 1
    if problems:
        _tell_operators(services, problems)
    if learnt:
        log.info("requests_imported", count=learnt)
    return learnt


async def _new_request(services: Services, rules: Rulebook, row: ExportedRequest, key: str,
                       problems: list[str]) -> NewRequest | None:
    answer = rules.catalogue.request_pairs().get(row.form)
    if answer is None:
        problems.append(f"request {row.request_id}: LÆ {row.form} is no request form with an 'answer' in "
                        "blankets.toml")
        return None
    addressee = next((o.name for o in rules.senders.organisations
                      if row.addressee and o.name.lower() == row.addressee.lower()), row.addressee)
    deadline = row.deadline
    if deadline is None:
        rule = rules.requests.deadline_for(row.form, addressee)
        if rule is None:
            problems.append(f"request {row.request_id}: LÆ {row.form} has no deadline in requests.toml")
            return None
        deadline = rule.due(row.sent_on)
    notify_to = (row.caseworker_email,) if row.caseworker_email else await _caseworker(services, row)
    return NewRequest(key=key, cpr=row.cpr, case_id=row.case_id, request_form=row.form, answer_form=answer,
                      addressee=addressee, sent_on=row.sent_on, deadline=deadline, source=RequestSource.IMPORT,
                      notify_to=notify_to)


async def _caseworker(services: Services, row: ExportedRequest) -> tuple[str, ...]:
    """The caseworker of the request's case, by the case archive (none when it cannot say)."""
    try:
        cases = await services.archive.lookup(row.cpr)
    except (ArchiveUnavailable, ArchiveRejected):
        return ()
    case = next((c for c in cases if c.case_id == row.case_id), None)
    address = case.caseworker_email or (case.team if case.team and "@" in case.team else None) if case else None
    return (address,) if address else ()


def _tell_operators(services: Services, problems: list[str]) -> None:
    text = "\n".join(mask_cpr_text(problem) for problem in problems)
    log.warning("request_export_unusable", problems=text)
    key = "request-export:" + hashlib.sha256(text.encode()).hexdigest()[:16]
    body = ("Lægerobotten kan ikke bruge alle rækker i sagssystemets eksport af sendte anmodninger. De øvrige "
            f"anmodninger er registreret.\n\n{text}\n\nRet eksporten; den læses igen ved næste kørsel.\n")
    services.ledger.enqueue_notice(key, NoticeKind.IMPORT, services.operators,
                                   "Lægerobotten: eksporten af anmodninger kan ikke bruges", body)
