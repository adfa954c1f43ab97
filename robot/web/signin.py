"""Signing in with a name and password from the users file, and signing out."""

from __future__ import annotations

import asyncio
import time

import structlog
from aiohttp import web

from robot.web.context import desk_of, render, see_other, session_of
from robot.web.guard import ANONYMOUS_SECONDS, set_session
from robot.web.passwords import hash_password, verify_password
from robot.web.session import new_session

log = structlog.get_logger(__name__)
# checked when the name is unknown, so a wrong name costs the same time as a wrong password
_UNKNOWN_USER_HASH = hash_password("no such user")


async def login_form(request: web.Request) -> web.StreamResponse:
    return render(request, "login.html", title="Log ind", oidc=desk_of(request).config.oidc is not None)


async def login(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    form = await request.post()
    name = str(form.get("brugernavn", "")).strip().lower()
    password = str(form.get("adgangskode", ""))
    user = desk.config.users.get(name)
    stored = user.password_hash if user and user.password_hash else _UNKNOWN_USER_HASH
    ok = await asyncio.to_thread(verify_password, password, stored)
    if user is None or user.password_hash is None or not ok:
        log.warning("desk_sign_in_refused", known_user=user is not None)
        return render(request, "login.html", status=401, title="Log ind", failed=True,
                      oidc=desk.config.oidc is not None)
    desk.services.ledger.audit("desk_signed_in", actor=user.name, role=user.role)
    response = see_other("/koe")
    set_session(response, request, new_session(user.name, time.time(), desk.config.session_seconds))
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    desk = desk_of(request)
    session = session_of(request)
    if session.user:
        desk.services.ledger.audit("desk_signed_out", actor=session.user)
    response = see_other("/login")
    set_session(response, request, new_session(None, time.time(), ANONYMOUS_SECONDS))
    return response

