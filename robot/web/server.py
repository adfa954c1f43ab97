"""The desk's HTTP server in the daemon's own event loop: routes, templates that mask every value, start and stop."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from robot.desk_config import DeskConfig
from robot.ledger.trail import Trail
from robot.privacy import mask_cpr_text
from robot.stages.work import Services
from robot.web import escalation_view, queue_view, signin, trail_view
from robot.web.context import DESK, Desk, see_other
from robot.web.escalation_view import Revealed
from robot.web.guard import guard

if TYPE_CHECKING:
    from robot.web.oidc import OidcClient

log = structlog.get_logger(__name__)
_STOP_SECONDS = 5.0


def shown(value: object) -> object:
    """Every value a template prints passes here: CPR-shaped numbers are masked, unless a person asked to see the
    citizen's number (Revealed, audited)."""
    if value is None:
        return ""
    if isinstance(value, Revealed):
        return value.text
    return mask_cpr_text(str(value))


def templates() -> Environment:
    return Environment(loader=PackageLoader("robot.web", "templates"), autoescape=select_autoescape(default=True),
                       finalize=shown, trim_blocks=True, lstrip_blocks=True)


def build_app(desk: Desk) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app[DESK] = desk
    css = resources.files("robot.web").joinpath("static/desk.css").read_bytes()

    async def stylesheet(_: web.Request) -> web.StreamResponse:
        return web.Response(body=css, content_type="text/css")

    async def home(_: web.Request) -> web.StreamResponse:
        return see_other("/koe")

    app.add_routes([
        web.get("/", home),
        web.get("/static/desk.css", stylesheet),
        web.get("/login", signin.login_form),
        web.post("/login", signin.login),
        web.post("/logout", signin.logout),

        web.get("/koe", queue_view.queue),
        web.get(r"/eskalering/{id:\d+}", escalation_view.escalation_page),
        web.post(r"/eskalering/{id:\d+}/cpr", escalation_view.reveal_cpr),
        web.get(r"/eskalering/{id:\d+}/side/{page:\d+}.png", escalation_view.page_image),
        web.post(r"/eskalering/{id:\d+}/arkiver", escalation_view.file_into_case),
        web.post(r"/eskalering/{id:\d+}/forslag", escalation_view.accept_suggested),
        web.post(r"/eskalering/{id:\d+}/afvis", escalation_view.reject_escalation),
        web.get("/spor", trail_view.search_form),
        web.post("/spor", trail_view.search),
        web.get(r"/spor/{id:\d+}", trail_view.history),
    ])
    if desk.oidc is not None:
        from robot.web import oidc_signin

        app.add_routes([web.post("/login/oidc", oidc_signin.oidc_start),
                        web.get("/login/oidc/svar", oidc_signin.oidc_return)])
    return app


class DeskServer:
    """Serves the desk on its configured address; `start` binds (OSError when the port is taken), `stop` closes."""

    def __init__(self, config: DeskConfig, services: Services, ledger_path: Path, wake_outbox: Callable[[], None]):
        self._config = config
        self._desk = Desk(config=config, services=services, trail=Trail(ledger_path, services.ledger),
                          templates=templates(), wake_outbox=wake_outbox, oidc=_oidc_client(config))
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def port(self) -> int:
        assert self._site is not None and self._site._server is not None
        sockets = getattr(self._site._server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else self._config.port

    async def start(self) -> None:
        # no aiohttp access log: it would print query strings; the guard logs method, path and status
        self._runner = web.AppRunner(build_app(self._desk), access_log=None, handle_signals=False)
        await self._runner.setup()
        context = None
        if self._config.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self._config.tls)
        self._site = web.TCPSite(self._runner, self._config.host, self._config.port, ssl_context=context,
                                 shutdown_timeout=_STOP_SECONDS)
        try:
            await self._site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        if self._config.secret_is_ephemeral:
            log.warning("desk_secret_ephemeral", note="no web.secret_env or web.secret_file: sign-ins end when the "
                                                      "daemon stops")
        log.info("desk_started", host=self._config.host, port=self._config.port, tls=context is not None,
                 users=len(self._config.users))

    async def stop(self, deadline_seconds: float) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._desk.trail.close()


def _oidc_client(config: DeskConfig) -> OidcClient | None:
    """The OpenID Connect client, imported only when configured (authlib is the optional extra `oidc`)."""
    if config.oidc is None:
        return None
    from robot.web.oidc import OidcClient

    return OidcClient(config.oidc)
