"""The desk's middleware: the session from its signed cookie, sign-in required, CSRF on every POST, strict headers,
and an access log that names the path only (never a query string, never a CPR)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from robot.ledger.base import LedgerError
from robot.web.context import SESSION, USER, desk_of, render, see_other
from robot.web.session import COOKIE, Session, csrf_matches, new_session, seal, unseal

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC = frozenset({"/login", "/login/oidc", "/login/oidc/svar", "/static/desk.css"})
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
ANONYMOUS_SECONDS = 3600  # a session that has not signed in yet: only its CSRF token for the sign-in form
_MAX_FORM_BYTES = 64 * 1024


def set_session(response: web.StreamResponse, request: web.Request, session: Session) -> None:
    """Send the session as a signed cookie: HttpOnly, SameSite=Strict, Secure when the desk is served over TLS."""
    desk = desk_of(request)
    response.set_cookie(COOKIE, seal(session, desk.config.secret), httponly=True, samesite="Strict",
                        secure=desk.config.secure_cookies, path="/", max_age=max(0, session.expires - int(time.time())))


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.monotonic()
    desk = desk_of(request)
    session = unseal(request.cookies.get(COOKIE), desk.config.secret, time.time())
    fresh = session is None
    if session is None:
        session = new_session(None, time.time(), ANONYMOUS_SECONDS)
    request[SESSION] = session
    user = desk.config.users.get(session.user) if session.user else None
    if user is not None:
        request[USER] = user
    response: web.StreamResponse
    try:
        if request.method not in ("GET", "HEAD", "POST"):
            response = web.Response(status=405, text="metoden er ikke tilladt\n")
        elif request.method == "POST" and not await _csrf_ok(request, session):
            log.warning("desk_csrf_refused", path=request.path, user=session.user)
            response = render(request, "error.html", status=403, title="Afvist",
                              message="Formularen var forældet eller ikke sendt fra skrivebordet. Prøv igen.")
        elif user is None and request.path not in PUBLIC:
            response = _to_login(request)
        else:
            response = await handler(request)
    except web.HTTPException as exception:
        if exception.status >= 400:
            response = render(request, "error.html", status=exception.status, title="Ikke fundet"
                              if exception.status == 404 else "Afvist", message=exception.reason)
        else:
            response = see_other(exception.headers.get("Location", "/"))
    except LedgerError:
        response = render(request, "error.html", status=404, title="Ikke fundet", message="Det findes ikke i ledgeren.")
    for name, value in HEADERS.items():
        response.headers[name] = value
    if desk.config.oidc is not None:  # the sign-in form's answer is a redirect to the provider
        issuer = urlsplit(desk.config.oidc.issuer)
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {issuer.scheme}://{issuer.netloc}")
    if fresh:
        set_session(response, request, session)
    log.info("desk_request", method=request.method, path=request.path, status=response.status,
             user=user.name if user else None, ms=round((time.monotonic() - started) * 1000, 1))
    return response


def _to_login(request: web.Request) -> web.StreamResponse:
    if request.method == "GET" and request.path in ("/", "/koe"):
        return see_other("/login")
    return render(request, "error.html", status=401, title="Log ind først",
                  message="Du skal være logget ind for at se denne side.", login_link=True)


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    if request.content_length is not None and request.content_length > _MAX_FORM_BYTES:
        return False
    form = await request.post()
    token = form.get("csrf")
    return isinstance(token, str) and csrf_matches(session, token)
