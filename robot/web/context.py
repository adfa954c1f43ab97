"""What every desk handler is given: the robot's services, the trail, the users and the templates; and who asks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from jinja2 import Environment

from robot.desk_config import DeskConfig, DeskUser
from robot.ledger.trail import Trail
from robot.stages.work import Services
from robot.web.documents import DocumentCache

if TYPE_CHECKING:
    from robot.web.oidc import OidcClient
from robot.web.session import Session


@dataclass
class Desk:
    """The desk's parts; built once by the server."""

    config: DeskConfig
    services: Services
    trail: Trail
    templates: Environment
    wake_outbox: Callable[[], None]  # the daemon sends the notices a decision queued
    documents: DocumentCache = field(default_factory=DocumentCache)
    oidc: OidcClient | None = None  # sign-in through OpenID Connect, when configured


DESK = web.AppKey("desk", Desk)
SESSION = "lae_session"  # request key: the Session read by the guard
USER = "lae_user"  # request key: the signed-in DeskUser


def desk_of(request: web.Request) -> Desk:
    return request.app[DESK]


def session_of(request: web.Request) -> Session:
    session = request[SESSION]
    assert isinstance(session, Session)
    return session


def user_of(request: web.Request) -> DeskUser:
    """The signed-in user (the guard lets no one else reach a handler that asks)."""
    user = request[USER]
    assert isinstance(user, DeskUser)
    return user


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page from `template`, with the signed-in user (if any) and the CSRF token for its forms."""
    desk = desk_of(request)
    session = session_of(request)
    user = request.get(USER)
    html = desk.templates.get_template(template).render(user=user, csrf=session.csrf, **values)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def see_other(location: str) -> web.Response:
    """A redirect after a form (303: the browser GETs the new page)."""
    return web.Response(status=303, headers={"Location": location})
