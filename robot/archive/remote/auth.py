"""How an adapter proves who it is: a fixed token, an OAuth2 grant (client credentials or password), or NTLM."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import structlog

from robot.archive.config import Table
from robot.archive.naming import scrub
from robot.archive.remote.secrets import SecretSource, refuse_inline_secrets, secret_source
from robot.config_error import ConfigError
from robot.model import ArchiveUnavailable

_TOKEN_MARGIN_SECONDS = 60.0
_DEFAULT_TOKEN_SECONDS = 300.0
AUTH_TYPES = ("bearer", "oauth2", "ntlm")
GRANTS = ("client_credentials", "password")


@dataclass(frozen=True)
class BearerToken:
    """A fixed token sent as `Authorization: Bearer`."""

    token: SecretSource


@dataclass(frozen=True)
class OAuth2Grant:
    """A token from an OAuth2 token endpoint: client credentials (KMD Nova, Momentum), or the resource owner's
    password (SBSYS's Keycloak), with any extra form parameters the endpoint wants (Momentum's `resource`)."""

    token_url: str
    client_id: str
    grant: Literal["client_credentials", "password"] = "client_credentials"
    client_secret: SecretSource | None = None
    username: str | None = None
    password: SecretSource | None = None
    scope: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    client_auth: Literal["post", "basic"] = "post"


@dataclass(frozen=True)
class NtlmLogin:
    """Windows (NTLM) login, as on-premises GetOrganized (SharePoint) wants it: `DOMAIN\\user` and a password."""

    username: str
    password: SecretSource


AuthSettings = BearerToken | OAuth2Grant | NtlmLogin


def read_auth(table: Table, base: Path | None = None) -> AuthSettings:
    """The `auth` table: `type` is bearer, oauth2 or ntlm; secrets only as `*_env` or `*_file` keys."""
    refuse_inline_secrets(table, "token", "password", "client_secret")
    kind = table.string("type", choices=AUTH_TYPES)
    if kind == "bearer":
        table.only("type", "token_env", "token_file")
        return BearerToken(_required(secret_source(table, "token", base)))
    if kind == "ntlm":
        table.only("type", "username", "password_env", "password_file")
        username = table.string("username")
        if "\\" not in username and "@" not in username:
            raise ConfigError(table.key("username"), f"DOMAIN\\user or user@domain, got {username!r}")
        return NtlmLogin(username, _required(secret_source(table, "password", base)))
    table.only("type", "token_url", "client_id", "grant", "client_secret_env", "client_secret_file", "username",
               "password_env", "password_file", "scope", "params", "client_auth")
    grant = table.string("grant", "client_credentials", choices=GRANTS)
    client_secret = secret_source(table, "client_secret", base, required=grant == "client_credentials")
    login = table.optional_string("username") if grant == "password" else None
    password = secret_source(table, "password", base, required=grant == "password") if grant == "password" else None
    if grant == "password" and login is None:
        raise ConfigError(table.key("username"), "the user the password grant logs in as")
    if grant != "password" and (table.has("username") or table.has("password_env") or table.has("password_file")):
        raise ConfigError(table.key("grant"), '"password" when a username and password are given')
    params = Table.of(table.raw("params", {}), table.key("params") + ".")
    for name in params.data:
        if name in ("grant_type", "client_id", "client_secret", "username", "password", "scope"):
            raise ConfigError(params.key(name), "a parameter the grant does not set itself")
    return OAuth2Grant(
        token_url=table.string("token_url"),
        client_id=table.string("client_id"),
        grant="password" if grant == "password" else "client_credentials",
        client_secret=client_secret,
        username=login,
        password=password,
        scope=table.optional_string("scope"),
        params=tuple((name, params.string(name)) for name in params.data),
        client_auth="basic" if table.string("client_auth", "post", choices=("post", "basic")) == "basic" else "post",
    )


def _required(source: SecretSource | None) -> SecretSource:
    assert source is not None  # secret_source(required=True) raised otherwise
    return source


@dataclass
class _Token:
    value: str
    expires: float  # on the monotonic clock


# A token request: (what, url, form, basic auth or None) -> the response (retried like any read).
PostForm = Callable[[str, str, dict[str, str], httpx.Auth | None], Awaitable[httpx.Response]]


class Authenticator:
    """The headers (or the httpx Auth flow, for NTLM) each request carries; reads every secret when built, so a
    missing one stops the start with the key named."""

    def __init__(self, settings: AuthSettings, *, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float], log: Any = None) -> None:
        self._settings = settings
        self._clock = clock
        self._log = log if log is not None else structlog.get_logger("robot.archive.remote")
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self._secrets: dict[str, str] = {}
        if isinstance(settings, BearerToken):
            self._secrets["token"] = settings.token.read(environ)
        elif isinstance(settings, NtlmLogin):
            self._secrets["password"] = settings.password.read(environ)
        else:
            if settings.client_secret is not None:
                self._secrets["client_secret"] = settings.client_secret.read(environ)
            if settings.password is not None:
                self._secrets["password"] = settings.password.read(environ)

    def flow(self) -> httpx.Auth | None:
        """The httpx Auth that runs NTLM's challenge and response on the connection; None for header auth."""
        if isinstance(self._settings, NtlmLogin):
            from httpx_ntlm import HttpNtlmAuth  # imported here: only GetOrganized on premises needs it

            return _NamedFailures(HttpNtlmAuth(self._settings.username, self._secrets["password"]))
        return None

    def refreshable(self) -> bool:
        return isinstance(self._settings, OAuth2Grant)

    async def headers(self, post_form: PostForm) -> dict[str, str]:
        settings = self._settings
        if isinstance(settings, BearerToken):
            return {"Authorization": f"Bearer {self._secrets['token']}"}
        if isinstance(settings, NtlmLogin):
            return {}
        async with self._lock:
            if self._token is None or self._clock() >= self._token.expires:
                self._token = await self._fetch(settings, post_form)
            return {"Authorization": f"Bearer {self._token.value}"}

    def forget(self, used: Mapping[str, str]) -> None:
        """Drop the token these headers carried (the server refused it), so the next request fetches a new one."""
        if self._token is not None and used.get("Authorization") == f"Bearer {self._token.value}":
            self._token = None

    async def _fetch(self, grant: OAuth2Grant, post_form: PostForm) -> _Token:
        what = f"token request (POST {grant.token_url})"
        form = {"grant_type": grant.grant, **dict(grant.params)}
        if grant.scope:
            form["scope"] = grant.scope
        if grant.grant == "password":
            assert grant.username is not None
            form.update(username=grant.username, password=self._secrets["password"])
        basic: httpx.Auth | None = None
        secret = self._secrets.get("client_secret")
        if grant.client_auth == "basic" and secret is not None:
            basic = httpx.BasicAuth(grant.client_id, secret)
        else:
            form["client_id"] = grant.client_id
            if secret is not None:
                form["client_secret"] = secret
        response = await post_form(what, grant.token_url, form, basic)
        if response.status_code != 200:
            raise ArchiveUnavailable(f"{what}: refused with HTTP {response.status_code}{_oauth_error(response)}")
        try:
            answer = response.json()
        except ValueError:
            raise ArchiveUnavailable(f"{what}: the answer is no JSON") from None
        value = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise ArchiveUnavailable(f"{what}: the answer has no access_token")
        lifetime = answer.get("expires_in", _DEFAULT_TOKEN_SECONDS)
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 0.0
        seconds = seconds if seconds > 0 else _DEFAULT_TOKEN_SECONDS
        self._log.info("archive token fetched", expires_in=seconds)
        return _Token(value, self._clock() + seconds - min(_TOKEN_MARGIN_SECONDS, seconds / 10))


class HandshakeFailed(httpx.RequestError):
    """The login handshake itself broke (a challenge missing, a malformed token): no request was carried out."""


class _NamedFailures(httpx.Auth):
    """An httpx Auth flow whose own faults (httpx-ntlm raises KeyError when a 401 carries no challenge) end as
    HandshakeFailed, a request error the client names and handles, never an exception nobody expects."""

    def __init__(self, inner: httpx.Auth) -> None:
        self._inner = inner
        self.requires_request_body = inner.requires_request_body
        self.requires_response_body = inner.requires_response_body

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            yield from self._inner.auth_flow(request)
        except httpx.HTTPError:
            raise
        except Exception as error:  # the flow's own fault, on a request the server refused (401)
            raise HandshakeFailed(f"the login handshake failed ({type(error).__name__})", request=request) from None


def _oauth_error(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    error = answer.get("error") if isinstance(answer, dict) else None
    return f" ({scrub(error[:60])})" if isinstance(error, str) else ""
