"""Requests to a remote case system: reads retried with capped backoff, writes sent once, answers checked."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import ssl
import stat
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.config import Table
from robot.archive.naming import scrub
from robot.archive.remote.auth import Authenticator, AuthSettings, HandshakeFailed, read_auth
from robot.archive.remote.secrets import SecretSource, secret_source
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable

Sleep = Callable[[float], Awaitable[None]]
_SNIPPET = 160
CONNECTION_KEYS = ("base_url", "timeout_seconds", "retries", "backoff_seconds", "backoff_cap_seconds", "headers",
                   "secret_headers", "auth", "tls")


class WriteUncertain(ArchiveUnavailable):
    """A write was sent and no answer says what became of it (timeout, dropped connection, 5xx): the document may
    be in the case. Never send it again blindly: ask the system first."""


@dataclass(frozen=True)
class TlsSettings:
    """A client certificate (and its key, owner-only) the system wants, and a CA bundle to trust beside the system's
    own (a missing intermediate certificate is a known trap)."""

    cert: Path | None = None
    key: Path | None = None
    ca_file: Path | None = None


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the system is and how to talk to it; secrets are not here, only where to read them."""

    base_url: str
    auth: AuthSettings
    timeout_seconds: float = 30.0
    retries: int = 3  # further attempts after the first, for reads only
    backoff_seconds: float = 0.5
    backoff_cap_seconds: float = 10.0
    headers: tuple[tuple[str, str], ...] = ()
    secret_headers: tuple[tuple[str, SecretSource], ...] = ()  # e.g. Momentum's apikey
    tls: TlsSettings = TlsSettings()


def read_connection(table: Table, base: Path | None = None) -> ConnectionSettings:
    """The connection keys of an adapter's table (CONNECTION_KEYS); the adapter checks its own keys beside them."""
    return ConnectionSettings(
        base_url=read_url(table, "base_url"),
        auth=read_auth(table.sub("auth"), base),
        timeout_seconds=table.number("timeout_seconds", 30.0, minimum=0.001),
        retries=table.integer("retries", 3, minimum=0),
        backoff_seconds=table.number("backoff_seconds", 0.5),
        backoff_cap_seconds=table.number("backoff_cap_seconds", 10.0),
        headers=_headers(table),
        secret_headers=_secret_headers(table, base),
        tls=_tls(table.optional_sub("tls"), base),
    )


def read_url(table: Table, name: str) -> str:
    value = table.string(name)
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(table.key(name), f"an http:// or https:// URL, got {value!r}")
    return value


def _headers(table: Table) -> tuple[tuple[str, str], ...]:
    headers = Table.of(table.raw("headers", {}), table.key("headers") + ".")
    result = []
    for name in headers.data:
        if name.strip().lower() in ("authorization", "proxy-authorization", "cookie", "apikey", "x-api-key"):
            raise ConfigError(headers.key(name), "no credentials in headers: use the auth table or secret_headers")
        result.append((name, headers.string(name)))
    return tuple(result)


def _secret_headers(table: Table, base: Path | None) -> tuple[tuple[str, SecretSource], ...]:
    """`secret_headers = { apikey = { env = "MOMENTUM_APIKEY" } }`: a header whose value is a secret."""
    headers = Table.of(table.raw("secret_headers", {}), table.key("secret_headers") + ".")
    result = []
    for name in headers.data:
        one = headers.sub(name)
        one.only("value_env", "value_file")
        source = secret_source(one, "value", base)
        assert source is not None
        result.append((name, source))
    return tuple(result)


def _tls(table: Table | None, base: Path | None) -> TlsSettings:
    if table is None:
        return TlsSettings()
    table.only("cert", "key", "ca_file")

    def path(name: str) -> Path | None:
        value = table.optional_string(name)
        if value is None:
            return None
        found = Path(value)
        return base / found if base is not None and not found.is_absolute() else found

    settings = TlsSettings(cert=path("cert"), key=path("key"), ca_file=path("ca_file"))
    if (settings.cert is None) != (settings.key is None):
        raise ConfigError(table.key("key" if settings.key is None else "cert"), "cert and key together")
    return settings


class RemoteClient:
    """One system's HTTP connection. `read` retries connection errors, timeouts, 429 and 5xx with capped backoff;
    `write` sends once and raises WriteUncertain when no answer says what happened; both refresh an OAuth2 token
    once on a 401 (a refused request was not carried out)."""

    def __init__(self, settings: ConnectionSettings, name: str, *, environ: Mapping[str, str] | None = None,
                 client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Any = None) -> None:
        self.name = name
        self._settings = settings
        self._log = log if log is not None else structlog.get_logger(f"robot.archive.{name}")
        self._auth = Authenticator(settings.auth, environ=environ, clock=clock, log=self._log)
        self._secret_headers = {header: source.read(environ) for header, source in settings.secret_headers}
        self._own_client = client is None
        self._client = client if client is not None else _client(settings, self._auth.flow())
        self._sleep = sleep
        _mask_httpx_log()

    async def read(self, what: str, method: str, url: str, **content: Any) -> httpx.Response:
        """The first answer not worth retrying (any 2xx-4xx but 401 and 429); ArchiveUnavailable when the retries are
        spent. Only for requests that change nothing (or change nothing twice)."""
        return await self._send(what, method, url, retry=True, **content)

    async def write(self, what: str, method: str, url: str, **content: Any) -> httpx.Response:
        """Send once. A 4xx answer is returned (the caller judges it); no answer or a 5xx raises WriteUncertain;
        429 raises ArchiveUnavailable (refused before it was carried out)."""
        return await self._send(what, method, url, retry=False, **content)

    async def health(self, what: str, method: str, url: str, **content: Any) -> Health:
        """One attempt, no retry: does the system answer this cheap request with success?"""
        try:
            headers = await self._headers()
            async with asyncio.timeout(self._settings.timeout_seconds):
                response = await self._client.request(method, url, headers=headers, **content)
        except ArchiveUnavailable as error:
            return Health(False, str(error))
        except (httpx.HTTPError, TimeoutError) as error:
            return Health(False, f"{what}: {transport_failure(error)}")
        return Health(response.status_code < 400, f"{what}: HTTP {response.status_code}")

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def _send(self, what: str, method: str, url: str, *, retry: bool, authenticate: bool = True,
                    **content: Any) -> httpx.Response:
        refreshed = False
        attempt = 0
        while True:
            headers = await self._headers() if authenticate else dict(self._secret_headers)
            try:
                async with asyncio.timeout(self._settings.timeout_seconds):
                    response = await self._client.request(method, url, headers=headers, **content)
            except (httpx.HTTPError, TimeoutError) as error:
                failure, wait, uncertain = transport_failure(error), None, not _never_sent(error)
            else:
                if response.status_code == 401 and authenticate and not refreshed and self._auth.refreshable():
                    refreshed = True
                    self._auth.forget(headers)
                    continue
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure, wait = f"HTTP {response.status_code}", retry_after(response)
                uncertain = response.status_code != 429
            if not retry:
                error_type = WriteUncertain if uncertain else ArchiveUnavailable
                raise error_type(f"{what}: {failure}; sent once, not repeated")
            await self._pause(what, failure, attempt, wait)
            attempt += 1

    async def _headers(self) -> dict[str, str]:
        return {**self._secret_headers, **await self._auth.headers(self._post_form)}

    async def _post_form(self, what: str, url: str, form: dict[str, str], basic: httpx.Auth | None) -> httpx.Response:
        content: dict[str, Any] = {"data": form}
        if basic is not None:
            content["auth"] = basic
        return await self._send(what, "POST", url, retry=True, authenticate=False, **content)

    async def _pause(self, what: str, failure: str, attempt: int, wait: float | None) -> None:
        """Sleep before the next attempt, or raise ArchiveUnavailable when none is left or the wait is too long."""
        settings = self._settings
        if attempt >= settings.retries:
            raise ArchiveUnavailable(f"{what}: {failure} after {attempt + 1} attempt(s)")
        delay = min(settings.backoff_cap_seconds, settings.backoff_seconds * 2**attempt)
        if wait is not None:
            if wait > settings.backoff_cap_seconds:
                raise ArchiveUnavailable(f"{what}: {failure}; the server asks to wait {wait:g} s, "
                                         f"more than the cap of {settings.backoff_cap_seconds:g} s")
            delay = max(delay, wait)
        self._log.warning("archive request failed; retrying", archive=self.name, request=what, failure=failure,
                          attempt=attempt + 1, delay=delay)
        await self._sleep(delay)


def _never_sent(error: Exception) -> bool:
    """The request cannot have reached the system: the connection was never made."""
    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, HandshakeFailed))


def _client(settings: ConnectionSettings, flow: httpx.Auth | None) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.timeout_seconds)
    headers = {"Accept": "application/json", **dict(settings.headers)}
    return httpx.AsyncClient(base_url=settings.base_url, timeout=timeout, headers=headers, follow_redirects=False,
                             auth=flow, verify=_tls_context(settings.tls))


def _tls_context(tls: TlsSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if tls.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(tls.ca_file))
        except (OSError, ssl.SSLError) as error:
            raise ConfigError("tls.ca_file", f"a readable PEM CA bundle, got {tls.ca_file} ({error})") from None
    if tls.cert is not None and tls.key is not None:
        try:
            mode = stat.S_IMODE(os.stat(tls.key).st_mode)
        except OSError as error:
            raise ConfigError("tls.key", f"a readable key file, got {tls.key} ({error.strerror})") from None
        if mode & 0o077:
            raise ConfigError("tls.key", f"a key file only its owner can read (chmod 600), got mode {mode:03o}")
        try:
            context.load_cert_chain(str(tls.cert), str(tls.key))
        except (OSError, ssl.SSLError) as error:
            raise ConfigError("tls.cert", f"a PEM certificate matching tls.key, got {tls.cert} ({error})") from None
    return context


# ---------------------------------------------------------------- answers


def check(what: str, response: httpx.Response) -> None:
    """Nothing for 2xx; ArchiveUnavailable for 401 (the credentials); ArchiveRejected for any other refusal."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 401:
        raise ArchiveUnavailable(f"{what}: authentication refused (HTTP 401); check the credentials")
    raise ArchiveRejected(f"{what}: refused with HTTP {status}{snippet(response)}")


def json_of(what: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise ArchiveUnavailable(f"{what}: HTTP {response.status_code} answered with no JSON ({kind})") from None


def snippet(response: httpx.Response) -> str:
    try:
        text = response.text.strip().replace("\n", " ")
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return ""
    if not text:
        return ""
    return ": " + scrub(text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""))


def transport_failure(error: Exception) -> str:
    if isinstance(error, (TimeoutError, httpx.TimeoutException)):
        return "timed out"
    return scrub(f"{type(error).__name__}: {error}")[:200]


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _MaskCprInRecord(logging.Filter):
    """httpx logs every request URL at INFO; a lookup URL may hold ?cpr=, so mask it before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        return True


def _mask_httpx_log() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskCprInRecord) for f in logger.filters):
        logger.addFilter(_MaskCprInRecord())
