"""The HTTP archive: a case system's REST API (SBSYS, GetOrganized, KMD Momentum, ...) driven by HttpArchiveConfig."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from robot.archive.base import Health
from robot.archive.config import scalar_text
from robot.archive.http_config import BearerAuth, Call, CaseFields, HttpArchiveConfig, OAuth2Auth, PersonStep
from robot.archive.naming import cpr_digits, document_stem, scrub, shown, verified_sha256
from robot.archive.templates import MISSING, dig, fill_json, fill_path, fill_text
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata, Receipt

__all__ = ["HttpArchive", "HttpArchiveConfig"]

Sleep = Callable[[float], Awaitable[None]]
_TOKEN_MARGIN_SECONDS = 60.0
_DEFAULT_TOKEN_SECONDS = 300.0
_SNIPPET = 160


class _MaskCprInRecord(logging.Filter):
    """httpx logs every request URL at INFO; a Momentum lookup URL holds ?cpr=, so mask it before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        return True


def _mask_httpx_log() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskCprInRecord) for f in logger.filters):
        logger.addFilter(_MaskCprInRecord())


@dataclass
class _Token:
    value: str
    expires: float  # on the monotonic clock


class HttpArchive:
    """Looks up cases and uploads documents over REST as the config describes. Retries connection errors,
    timeouts, 429 and 5xx with capped exponential backoff; refreshes an OAuth2 token once on a 401."""

    name = "http"

    def __init__(
        self,
        config: HttpArchiveConfig,
        *,
        environ: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Any = None,
    ) -> None:
        self._config = config
        self._secret = _secret(config, os.environ if environ is None else environ)
        self._own_client = client is None
        self._client = client if client is not None else _client(config)
        self._sleep, self._clock = sleep, clock
        self._log = log if log is not None else structlog.get_logger("robot.archive.http")
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()
        _mask_httpx_log()

    # -- the CaseArchive protocol

    def name_source(self) -> str | None:
        path = self._config.lookup.fields.name
        return f"the lookup's name field {path!r}" if path else None

    async def lookup(self, cpr: str) -> list[Case]:
        digits = cpr_digits(cpr)
        person = self._config.lookup.person
        if person is None:
            return await self._cases({"cpr": digits}, digits)
        cases: dict[str, Case] = {}
        for person_id in await self._persons(person, digits):
            for case in await self._cases({"cpr": digits, "person_id": person_id}, digits):
                cases.setdefault(case.case_id, case)
        return list(cases.values())

    async def file(self, case: Case, document: bytes, metadata: FilingMetadata) -> Receipt:
        case_id = _remote_case_id(case.case_id)
        sha256 = verified_sha256(document, metadata)
        filename = document_stem(metadata, sha256) + ".pdf"
        values = _metadata_values(case_id, sha256, filename, metadata)
        upload = self._config.upload
        what = _what("upload", upload.call)
        response = await self._send(what, upload.call.method, fill_path(upload.call.path, values),
                                    **self._upload_content(document, values))  # fmt: skip
        if response.status_code in upload.exists_status:
            ref = self._document_ref(response, required=False) or filename
            self._log.info("document already in archive", archive=self.name, case_id=case_id, document_ref=ref)
            return Receipt(case_id=case_id, document_ref=ref, sha256=sha256, already_filed=True)
        _check(what, response)
        ref = self._document_ref(response, required=True) or filename
        if upload.then is not None:
            await self._then(upload.then, {**values, "document_ref": ref})
        self._log.info("document filed", archive=self.name, case_id=case_id, document_ref=ref)
        return Receipt(case_id=case_id, document_ref=ref, sha256=sha256)

    async def health(self) -> Health:
        call = self._config.health
        what = _what("health", call)
        try:
            headers = await self._auth_headers()
            async with asyncio.timeout(self._config.timeout_seconds):
                response = await self._client.request(call.method, call.path, headers=headers)
        except ArchiveUnavailable as error:
            return Health(False, str(error))
        except (httpx.HTTPError, TimeoutError) as error:
            return Health(False, f"{what}: {_transport_failure(error)}")
        return Health(response.status_code < 400, f"{what}: HTTP {response.status_code}")

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- lookup

    async def _persons(self, step: PersonStep, digits: str) -> list[Any]:
        what = _what("person search", step.call)
        items = await self._search(what, step.call, step.results, {"cpr": digits})
        ids = []
        for index, item in enumerate(items):
            if step.cpr is not None and not _same_cpr(dig(item, step.cpr), digits):
                self._log.warning("archive result for another citizen ignored", request=what, result=index)
                continue
            person_id = dig(item, step.id)
            if not isinstance(person_id, (str, int)) or isinstance(person_id, bool) or str(person_id) == "":
                raise ArchiveRejected(f"{what}: result {index} has no person id at {step.id!r}")
            ids.append(person_id)
        return ids

    async def _cases(self, values: Mapping[str, Any], digits: str) -> list[Case]:
        lookup = self._config.lookup
        what = _what("lookup", lookup.call)
        cases = []
        for index, item in enumerate(await self._search(what, lookup.call, lookup.results, values)):
            if lookup.fields.cpr is not None and not _same_cpr(dig(item, lookup.fields.cpr), digits):
                self._log.warning("archive result for another citizen ignored", request=what, result=index)
                continue
            cases.append(_case(what, index, item, lookup.fields, lookup.status_open_values))
        return cases

    async def _search(self, what: str, call: Call, results: str, values: Mapping[str, Any]) -> list[Any]:
        body = fill_json(call.body, values) if call.body is not None else None
        response = await self._send(what, call.method, fill_path(call.path, values), json=body)
        if response.status_code == 404:
            return []
        _check(what, response)
        found = dig(_json(what, response), results)
        if found is MISSING:
            raise ArchiveRejected(f"{what}: the answer has nothing at {results!r}")
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    # -- upload

    def _upload_content(self, document: bytes, values: Mapping[str, Any]) -> dict[str, Any]:
        upload = self._config.upload
        if upload.mode == "json_base64":
            encoded = base64.b64encode(document).decode("ascii")
            return {"json": fill_json(upload.call.body, {**values, "document_base64": encoded})}
        files = {upload.file_field: (values["filename"], document, "application/pdf")}
        data = {name: fill_text(template, values) for name, template in upload.form_fields}
        return {"files": files, "data": data}

    def _document_ref(self, response: httpx.Response, *, required: bool) -> str | None:
        path = self._config.upload.document_ref
        if path is None:
            location: str | None = response.headers.get("location")
            return location
        what = _what("upload", self._config.upload.call)
        try:
            value = dig(response.json(), path) if response.content else MISSING
        except ValueError:
            value = MISSING
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
        if required:
            raise ArchiveRejected(f"{what}: stored, but the answer has no document id at {path!r}; a human must look")
        return None

    async def _then(self, call: Call, values: Mapping[str, Any]) -> None:
        what = _what("then", call)
        body = fill_json(call.body, values) if call.body is not None else None
        response = await self._send(what, call.method, fill_path(call.path, values), json=body)
        _check(what, response)

    # -- sending, retrying, authenticating

    async def _send(
        self, what: str, method: str, url: str, *, authenticate: bool = True, **content: Any
    ) -> httpx.Response:
        """The first answer that is not worth retrying; ArchiveUnavailable when the retries are spent."""
        refreshed = False
        attempt = 0
        while True:
            headers = await self._auth_headers() if authenticate else {}
            try:
                async with asyncio.timeout(self._config.timeout_seconds):
                    response = await self._client.request(method, url, headers=headers, **content)
            except (httpx.HTTPError, TimeoutError) as error:
                failure, wait = _transport_failure(error), None
            else:
                if response.status_code == 401 and authenticate and not refreshed and self._can_refresh():
                    refreshed = True
                    self._forget_token(headers)
                    continue
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure, wait = f"HTTP {response.status_code}", _retry_after(response)
            await self._pause(what, failure, attempt, wait)
            attempt += 1

    async def _pause(self, what: str, failure: str, attempt: int, retry_after: float | None) -> None:
        """Sleep before the next attempt, or raise ArchiveUnavailable when none is left or the wait is too long."""
        config = self._config
        if attempt >= config.retries:
            raise ArchiveUnavailable(f"{what}: {failure} after {attempt + 1} attempt(s)")
        delay = min(config.backoff_cap_seconds, config.backoff_seconds * 2**attempt)
        if retry_after is not None:
            if retry_after > config.backoff_cap_seconds:
                raise ArchiveUnavailable(f"{what}: {failure}; the server asks to wait {retry_after:g} s, "
                                         f"more than the cap of {config.backoff_cap_seconds:g} s")  # fmt: skip
            delay = max(delay, retry_after)
        self._log.warning("archive request failed; retrying", archive=self.name, request=what, failure=failure,
                          attempt=attempt + 1, delay=delay)  # fmt: skip
        await self._sleep(delay)

    def _can_refresh(self) -> bool:
        return isinstance(self._config.auth, OAuth2Auth)

    async def _auth_headers(self) -> dict[str, str]:
        auth = self._config.auth
        if isinstance(auth, BearerAuth):
            return {"Authorization": f"Bearer {self._secret}"}
        async with self._token_lock:
            if self._token is None or self._clock() >= self._token.expires:
                self._token = await self._fetch_token(auth)
            return {"Authorization": f"Bearer {self._token.value}"}

    def _forget_token(self, used: Mapping[str, str]) -> None:
        if self._token is not None and used.get("Authorization") == f"Bearer {self._token.value}":
            self._token = None

    async def _fetch_token(self, auth: OAuth2Auth) -> _Token:
        what = f"token request (POST {auth.token_url})"
        form = {"grant_type": "client_credentials"}
        if auth.scope:
            form["scope"] = auth.scope
        content: dict[str, Any] = {"data": form}
        if auth.client_auth == "basic":
            content["auth"] = httpx.BasicAuth(auth.client_id, self._secret)
        else:
            form.update(client_id=auth.client_id, client_secret=self._secret)
        response = await self._send(what, "POST", auth.token_url, authenticate=False, **content)
        if response.status_code != 200:
            raise ArchiveUnavailable(f"{what}: refused with HTTP {response.status_code}{_oauth_error(response)}")
        answer = _json(what, response)
        value = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise ArchiveUnavailable(f"{what}: the answer has no access_token")
        lifetime = answer.get("expires_in", _DEFAULT_TOKEN_SECONDS)
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) else 0.0
        seconds = seconds if seconds > 0 else _DEFAULT_TOKEN_SECONDS
        self._log.info("archive token fetched", archive=self.name, expires_in=seconds)
        return _Token(value, self._clock() + seconds - min(_TOKEN_MARGIN_SECONDS, seconds / 10))


# ---------------------------------------------------------------- helpers


def _secret(config: HttpArchiveConfig, environ: Mapping[str, str]) -> str:
    auth = config.auth
    if isinstance(auth, BearerAuth):
        name, key = auth.token_env, "auth.token_env"
    else:
        name, key = auth.client_secret_env, "auth.client_secret_env"
    value = environ.get(name, "")
    if not value.strip():
        raise ConfigError(key, f"the environment variable {name} to be set")
    return value.strip()


def _client(config: HttpArchiveConfig) -> httpx.AsyncClient:
    timeout = httpx.Timeout(config.timeout_seconds)
    headers = {"Accept": "application/json", **dict(config.headers)}
    return httpx.AsyncClient(base_url=config.base_url, timeout=timeout, headers=headers, follow_redirects=False)


def _what(step: str, call: Call) -> str:
    """A request named by its template, which holds placeholders and never a CPR."""
    return f"http archive {step} ({call.method} {call.path})"


def _metadata_values(case_id: str, sha256: str, filename: str, metadata: FilingMetadata) -> dict[str, Any]:
    received = metadata.received if metadata.received.tzinfo else metadata.received.replace(tzinfo=UTC)
    return {
        "case_id": case_id,
        "sha256": sha256,
        "filename": filename,
        "form": metadata.form,
        "form_title": metadata.form_title,
        "received": received.isoformat(),
        "sender": metadata.sender or "",
    }


def _remote_case_id(case_id: str) -> str:
    if not case_id.strip() or case_id in (".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in case_id):
        raise ArchiveRejected(f"case id {shown(case_id, 120)} cannot be sent to the archive")
    return case_id


def _case(what: str, index: int, item: Any, fields: CaseFields, open_values: tuple[str, ...]) -> Case:
    case_id = dig(item, fields.case_id)
    if isinstance(case_id, bool) or not isinstance(case_id, (str, int)) or not str(case_id).strip():
        raise ArchiveRejected(f"{what}: result {index} has no case id at {fields.case_id!r}")
    status = dig(item, fields.status)
    if status is MISSING:
        raise ArchiveRejected(f"{what}: result {index} has no status at {fields.status!r}")
    is_open = status is not None and scalar_text(status) in open_values
    return Case(
        case_id=str(case_id).strip(),
        case_type=_text(item, fields.case_type) or "",
        status="open" if is_open else "closed",
        caseworker_email=_text(item, fields.caseworker_email),
        team=_text(item, fields.team),
        title=_text(item, fields.title),
        citizen_name=_text(item, fields.name),
    )


def _text(item: Any, path: str | None) -> str | None:
    if path is None:
        return None
    value = dig(item, path)
    if value is MISSING or value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip() or None


def _same_cpr(value: Any, digits: str) -> bool:
    return isinstance(value, (str, int)) and re.sub(r"\D", "", str(value)).zfill(10) == digits


def _json(what: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise ArchiveUnavailable(f"{what}: HTTP {response.status_code} answered with no JSON ({kind})") from None


def _check(what: str, response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 401:
        raise ArchiveUnavailable(f"{what}: authentication refused (HTTP 401); check the credentials")
    raise ArchiveRejected(f"{what}: refused with HTTP {status}{_snippet(response)}")


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    if not text:
        return ""
    return ": " + scrub(text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""))


def _oauth_error(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    error = answer.get("error") if isinstance(answer, dict) else None
    return f" ({scrub(error[:60])})" if isinstance(error, str) else ""


def _transport_failure(error: Exception) -> str:
    if isinstance(error, (TimeoutError, httpx.TimeoutException)):
        return "timed out"
    return scrub(f"{type(error).__name__}: {error}")[:200]


def _retry_after(response: httpx.Response) -> float | None:
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
