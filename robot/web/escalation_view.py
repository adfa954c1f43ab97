"""One escalation: the document's pages and evidence, the citizen's cases as one-click choices, file or reject."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from robot.extract.cpr import format_cpr
from robot.ledger.base import StoredEscalation
from robot.model import Case, Extraction, PageImages
from robot.notify.reasons import NO_SUGGESTION_WORDS
from robot.privacy import mask_cpr
from robot.resolution import OperatorError, Refusal, Resolved, accept_suggestion, citizen_cases, reject, resolve
from robot.web.access import may_see, teams_of
from robot.web.context import Desk, desk_of, render, see_other, user_of
from robot.web.documents import ReadDocument
from robot.web.request_view import citizen_requests
from robot.web.words import VERDICTS, local_time, reason_words, state_words

REFUSALS = {
    Refusal.NOT_OPEN: "Eskaleringen er allerede lukket.",
    Refusal.NO_DOCUMENT: "Eskaleringen gælder hele mailen; der er intet dokument at arkivere. Afvis den med en note.",
    Refusal.RAW_GONE: "Den rå mail er slettet (opbevaringstiden er udløbet); dokumentet kan ikke arkiveres herfra.",
    Refusal.NOT_A_PDF: "Eskaleringen gælder en del af mailen uden en læsbar PDF. Afvis den med en note.",
    Refusal.ARCHIVE_LOOKUP: "Sagsarkivet kunne ikke spørges om borgerens sager. Prøv igen om lidt.",
    Refusal.NOT_THEIR_CASE: "Sagen er ikke en af borgerens sager.",
    Refusal.ALREADY_FILED: "Dokumentet ligger allerede i den sag. Afvis eskaleringen med en note.",
    Refusal.NO_NOTE: "En afvisning skal have en note om hvorfor.",
    Refusal.ARCHIVE_AWAY: "Sagsarkivet tog ikke imod dokumentet nu. Beslutningen står, og robotten arkiverer, "
                          "når arkivet svarer.",
    Refusal.ARCHIVE_REFUSED: "Sagsarkivet afviste dokumentet; en ny eskalering er åbnet.",
    Refusal.NOT_FILED: "Dokumentet blev ikke arkiveret.",
    Refusal.NO_SUGGESTION: "Der er intet forslag om borger og sag at godkende. Vælg sagen selv.",
}
_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Revealed:
    """A full CPR number a person asked to see (audited): the one value the desk's masking lets through."""

    text: str

    def __str__(self) -> str:
        return self.text


async def escalation_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, reveal=False)


async def reveal_cpr(request: web.Request) -> web.StreamResponse:
    """The same page with the citizen's full CPR, shown only on this explicit request, which is audited."""
    return await _show(request, reveal=True)


async def page_image(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    escalation = await _visible(request)
    number = int(request.match_info["page"])
    revealed = request.query.get("cpr") == "vis"  # asked for on the page that shows the full CPR: audited as such
    document = await _read(desk, escalation)
    pages = await desk.documents.pages(desk.services, document, desk.config.max_pages,
                                       revealed=revealed) if document else None
    if not isinstance(pages, PageImages) or not 1 <= number <= len(pages.images):
        raise web.HTTPNotFound(reason="Siden findes ikke.")
    desk.services.ledger.audit("desk_revealed_page" if revealed else "desk_viewed_page", actor=user_of(request).name,
                               message_id=escalation.message_id, document_id=escalation.document_id,
                               escalation_id=escalation.id, page=number)
    return web.Response(body=pages.images[number - 1], content_type="image/png")


async def file_into_case(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    escalation = await _visible(request)
    form = await request.post()
    case_id = str(form.get("sag", "")).strip()
    if not case_id:
        return await _show(request, reveal=False, problem="Skriv et sagsnummer.", status=400)
    return await _filed_by_hand(request, desk, escalation,
                                resolve(desk.services, escalation.id, case_id, user_of(request).name))


async def accept_suggested(request: web.Request) -> web.StreamResponse:
    """"Godkend forslaget": the scan filed into the citizen's case OCR suggested, on the same road as any filing by
    hand (robot.resolution), under the signed-in name."""
    desk = desk_of(request)
    escalation = await _visible(request)
    return await _filed_by_hand(request, desk, escalation,
                                accept_suggestion(desk.services, escalation.id, user_of(request).name))


async def _filed_by_hand(request: web.Request, desk: Desk, escalation: StoredEscalation,
                         filing: Awaitable[Resolved]) -> web.StreamResponse:
    """Carry out a person's filing; a refusal shows the page again with the reason, success goes on to the trail
    (an operator) or the queue (a caseworker). The outbox is woken for the notice either way."""
    try:
        resolved = await filing
    except OperatorError as error:
        return await _show(request, reveal=False, problem=REFUSALS[error.refusal], status=409)
    finally:
        desk.wake_outbox()
    if user_of(request).role == "operator":
        return see_other(f"/spor/{escalation.message_id}?arkiveret={resolved.case_id}")
    return see_other(f"/koe?arkiveret={resolved.case_id}")


async def reject_escalation(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    escalation = await _visible(request)
    form = await request.post()
    note = str(form.get("note", ""))[:_NOTE_CHARS]
    try:
        reject(desk.services, escalation.id, note, user_of(request).name)
    except OperatorError as error:
        return await _show(request, reveal=False, problem=REFUSALS[error.refusal], status=409)
    return see_other("/koe?afvist=1")


async def _visible(request: web.Request) -> StoredEscalation:
    """The escalation in the path, when this user may see it: 404 for an unknown id, 403 for another team's."""
    desk = desk_of(request)
    try:
        escalation = desk.services.ledger.escalation(int(request.match_info["id"]))
    except ValueError:
        raise web.HTTPNotFound(reason="Eskaleringen findes ikke.") from None
    user = user_of(request)
    if not may_see(user, await teams_of(desk.services, escalation, {})):
        desk.services.ledger.audit("desk_refused", actor=user.name, message_id=escalation.message_id,
                                   escalation_id=escalation.id, team=user.team)
        raise web.HTTPForbidden(reason="Eskaleringen hører til et andet team.")
    return escalation


async def _read(desk: Desk, escalation: StoredEscalation) -> ReadDocument | None:
    if escalation.document_id is None:
        return None
    document = desk.services.ledger.document(escalation.document_id)
    return await desk.documents.read(desk.services, escalation.message_id, document.part)


async def _show(request: web.Request, *, reveal: bool, problem: str | None = None, status: int = 200) -> web.Response:
    desk = desk_of(request)
    user = user_of(request)
    escalation = await _visible(request)
    ledger = desk.services.ledger
    message = ledger.message(escalation.message_id)
    stored = ledger.document(escalation.document_id) if escalation.document_id is not None else None
    read = await _read(desk, escalation)
    pages = await desk.documents.pages(desk.services, read, desk.config.max_pages) if read else None
    ledger.audit("desk_revealed_cpr" if reveal else "desk_viewed_escalation", actor=user.name,
                 message_id=escalation.message_id, document_id=escalation.document_id, escalation_id=escalation.id)
    cases: list[Case] = []
    case_problem = None
    if stored is not None and stored.cpr:
        try:
            cases = await citizen_cases(desk.services, stored.cpr)
        except OperatorError as error:
            case_problem = REFUSALS[error.refusal]
    decision = stored.decision if stored else None
    suggestion = decision.suggestion if decision else None
    requests = citizen_requests(ledger, stored.cpr, desk.services.clock().date()) if stored and stored.cpr else []
    letter = read.letter if read else None
    noted = desk.trail.noted(message.id)
    return render(
        request, "escalation.html", status=status, title=f"Eskalering {escalation.id}", escalation=escalation,
        state=state_words(escalation.state), reason_text=reason_words(escalation.reason), message=message,
        received=local_time(message.received_at), document=stored,
        sender=(letter.sender if letter else None) or noted.get("sender") or message.envelope_sender,
        subject=letter.subject if letter else noted.get("subject"),
        header_message_id=letter.message_id if letter else noted.get("header_message_id"),
        cpr=_cpr(stored.cpr if stored else None, reveal), revealed=reveal,
        page_count=len(pages.images) if isinstance(pages, PageImages) else 0,
        total_pages=pages.pages if isinstance(pages, PageImages) else 0,
        withheld=pages.withheld if isinstance(pages, PageImages) and not reveal else (),
        pages_problem=None if pages is None or isinstance(pages, PageImages) else pages.detail,
        evidence=_evidence(read.extraction if read else None), decision=decision,
        open_cases=[c for c in cases if c.is_open], closed_cases=[c for c in cases if not c.is_open],
        case_problem=case_problem, problem=problem, requests=requests, may_file=escalation.state == "open" and stored is not None
        and stored.sha256 is not None and message.raw is not None, is_open=escalation.state == "open",
        user_may_trail=user.role == "operator", suggestion=suggestion.to_json() if suggestion else None,
        suggestion_acceptable=suggestion is not None and suggestion.acceptable,
        suggestion_missing=[NO_SUGGESTION_WORDS.get(r.value, r.value) for r in suggestion.missing] if suggestion else [])


def _cpr(cpr: str | None, reveal: bool) -> str | Revealed | None:
    if cpr is None:
        return None
    return Revealed(format_cpr(cpr)) if reveal else mask_cpr(cpr)


def _evidence(extraction: Extraction | None) -> dict[str, Any]:
    """The reading's evidence for people: each CPR-shaped number, where, and the verdict in words (values masked by
    the templates like everything else), and each form code found."""
    if extraction is None:
        return {"cpr": [], "forms": [], "status": None, "detail": None}
    candidates = extraction.cpr.candidates if extraction.cpr else ()
    mentions = extraction.blanket.mentions if extraction.blanket else ()
    return {
        "status": "ok" if extraction.ok else reason_words(extraction.status), "detail": extraction.detail,
        "form_rule": extraction.blanket.why if extraction.blanket else None, "pages": extraction.pages,
        "cpr": [{"value": mask_cpr(c.digits), "verdict": VERDICTS.get(c.verdict, c.verdict.value), "why": c.why,
                 "accepted": c.accepted, "where": _where(c.evidence.page, c.evidence.line, c.evidence.field,
                                                         c.evidence.source),
                 "label": c.evidence.label, "snippet": c.evidence.snippet} for c in candidates],
        "forms": [{"code": f"LÆ {m.code}" if m.code else "(titel)", "where": _where(m.evidence.page, m.evidence.line,
                                                                                    m.evidence.field, m.evidence.source),
                   "heading": m.heading, "reference": m.reference, "text": m.evidence.snippet} for m in mentions],
    }


def _where(page: int | None, line: int | None, field: str | None, source: str) -> str:
    if field:
        return f"formularfelt {field}"
    if page is not None:
        return f"side {page}, linje {line}" if line is not None else f"side {page}"
    return {"subject": "mailens emne", "filename": "filnavnet", "body": "mailens tekst"}.get(source, source)
