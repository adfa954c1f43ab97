"""Signing in through OpenID Connect: to the provider and back (loaded only when web.oidc_issuer is set)."""

from __future__ import annotations

import time

import structlog
from aiohttp import web

from robot.web.context import desk_of, render, see_other
from robot.web.guard import set_session
from robot.web.oidc import PENDING_SECONDS, OidcRefused, Pending
from robot.web.session import new_session, seal_value, unseal_value

log = structlog.get_logger(__name__)


OIDC_COOKIE = "lae_desk_oidc"  # the pending sign-in: SameSite=Lax, as the provider sends the browser back cross-site


async def oidc_start(request: web.Request) -> web.StreamResponse:
    """Send the browser to the provider; keep state, nonce and the PKCE verifier in a signed, short-lived cookie."""
    desk = desk_of(request)
    if desk.oidc is None:
        raise web.HTTPNotFound(reason="Log ind med OpenID Connect er ikke sat op.")
    try:
        location, pending = await desk.oidc.start()
    except OidcRefused as error:
        log.warning("desk_oidc_unavailable", error=str(error))
        return render(request, "login.html", status=502, title="Log ind", oidc=True, oidc_failed=True)
    response = see_other(location)
    response.set_cookie(OIDC_COOKIE, seal_value(pending.as_record(), desk.config.secret, "oidc"), httponly=True,
                        samesite="Lax", secure=desk.config.secure_cookies, path="/login/oidc",
                        max_age=PENDING_SECONDS)
    return response


async def oidc_return(request: web.Request) -> web.StreamResponse:
    """The provider's answer: the code exchanged, the ID token checked, the identity found in the users file. The
    page that follows is reached by a same-site step (a refresh), so the SameSite=Strict session cookie is sent."""
    desk = desk_of(request)
    if desk.oidc is None:
        raise web.HTTPNotFound(reason="Log ind med OpenID Connect er ikke sat op.")
    record = unseal_value(request.cookies.get(OIDC_COOKIE), desk.config.secret, "oidc")
    pending = Pending.from_record(record) if record is not None else None
    try:
        if pending is None:
            raise OidcRefused("no sign-in was started in this browser, or it took too long")
        if "error" in request.query:
            raise OidcRefused(f"the provider said {request.query['error'][:64]}")
        identity = await desk.oidc.finish(pending, request.query.get("state", ""), request.query.get("code", ""))
        user = next((u for u in desk.config.users.values() if u.oidc == identity), None)
        if user is None:
            raise OidcRefused("the identity is in no entry of the users file")
    except OidcRefused as error:
        log.warning("desk_sign_in_refused", via="oidc", error=str(error))
        response = render(request, "login.html", status=401, title="Log ind", oidc=True, oidc_failed=True)
        response.del_cookie(OIDC_COOKIE, path="/login/oidc")
        return response
    desk.services.ledger.audit("desk_signed_in", actor=user.name, role=user.role, via="oidc")
    response = render(request, "signed_in.html", title="Logget ind")
    set_session(response, request, new_session(user.name, time.time(), desk.config.session_seconds))
    response.del_cookie(OIDC_COOKIE, path="/login/oidc")
    return response
