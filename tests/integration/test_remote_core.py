"""The remote adapters' shared core against a real local HTTP server: NTLM, OAuth2 grants, secrets, send-once writes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from robot.archive.config import Table
from robot.archive.remote.client import RemoteClient, WriteUncertain, check, read_connection
from robot.archive.remote.exactly_once import RemoteDocument, Upload, file_once
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata
from tests.ntlm_server import NtlmGate, ntlm_users  # noqa: F401  (a fixture)

PDF = b"%PDF-1.7\nattest\n%%EOF\n"


@dataclass
class Fake:
    """A token endpoint, a read, a write that can fail, and a record of what arrived."""

    writes: int = 0
    write_status: list[int] = field(default_factory=list)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_forms.append(form)
        ok = form.get("grant_type") == "password" and form.get("password") == "pw-1" and form.get("username") == "robot"
        if not ok:
            return web.json_response({"error": "invalid_grant"}, status=401)
        return web.json_response({"access_token": "tok", "expires_in": 300})

    async def read(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        if request.headers.get("Authorization", "Bearer tok") != "Bearer tok":
            return web.json_response({}, status=401)
        return web.json_response({"ok": True})

    async def write(self, request: web.Request) -> web.Response:
        self.writes += 1
        status = self.write_status.pop(0) if self.write_status else 200
        return web.json_response({"stored": self.writes}, status=status)


async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def fake() -> AsyncIterator[tuple[Fake, str]]:
    state = Fake()
    app = web.Application()
    app.router.add_post("/token", state.token)
    app.router.add_get("/read", state.read)
    app.router.add_post("/write", state.write)
    async for base in serve(app):
        yield state, base


def client(table: dict[str, Any], environ: dict[str, str], base: Path | None = None) -> RemoteClient:
    return RemoteClient(read_connection(Table.of(table), base), "test", environ=environ)


# ---------------------------------------------------------------- authentication


async def test_ntlm_logs_in_once_per_connection_as_getorganized_on_premises_wants(
        ntlm_users: dict[str, str]) -> None:  # noqa: F811
    gate = NtlmGate()
    app = web.Application(middlewares=[gate.middleware])
    async def version(request: web.Request) -> web.Response:
        return web.json_response({"Version": "1"})

    app.router.add_get("/_goapi/Administration/GetVersion", version)
    async for base in serve(app):
        remote = client({"base_url": base, "auth": {"type": "ntlm", "username": "KOMMUNE\\lae-robot",
                                                    "password_env": "GO_PASSWORD"}}, {"GO_PASSWORD": "Hemmeligt-1"})
        for _ in range(3):
            response = await remote.read("version", "GET", "_goapi/Administration/GetVersion")
            assert response.json() == {"Version": "1"}
        await remote.close()
        assert gate.logins == ["KOMMUNE\\lae-robot"]  # one handshake, kept on the connection
        wrong = client({"base_url": base, "auth": {"type": "ntlm", "username": "KOMMUNE\\lae-robot",
                                                   "password_env": "GO_PASSWORD"}}, {"GO_PASSWORD": "wrong"})
        response = await wrong.read("version", "GET", "_goapi/Administration/GetVersion")
        await wrong.close()
        with pytest.raises(ArchiveUnavailable, match="authentication refused"):
            check("version", response)
        assert gate.refused == 1 and "wrong" not in str(response.text)


async def test_password_grant_with_extra_parameters_and_a_secret_header(fake: tuple[Fake, str]) -> None:
    state, base = fake
    remote = client({"base_url": base, "auth": {"type": "oauth2", "grant": "password", "token_url": "token",
                                                "client_id": "lae-robot", "username": "robot",
                                                "password_env": "PW", "params": {"resource": "api://momentum"}},
                     "secret_headers": {"apikey": {"value_env": "APIKEY"}}}, {"PW": "pw-1", "APIKEY": "k-42"})
    assert (await remote.read("read", "GET", "read")).status_code == 200
    await remote.close()
    assert state.token_forms == [{"grant_type": "password", "resource": "api://momentum", "username": "robot",
                                  "password": "pw-1", "client_id": "lae-robot"}]
    assert state.headers[0]["apikey"] == "k-42" and state.headers[0]["Authorization"] == "Bearer tok"


# ---------------------------------------------------------------- writes are sent once


async def test_a_write_answered_503_is_uncertain_and_never_repeated(fake: tuple[Fake, str]) -> None:
    state, base = fake
    remote = client({"base_url": base, "retries": 3, "backoff_seconds": 0.001,
                     "auth": {"type": "bearer", "token_env": "T"}}, {"T": "tok"})
    state.write_status = [503]
    with pytest.raises(WriteUncertain, match="sent once, not repeated"):
        await remote.write("upload", "POST", "write")
    state.write_status = [429]
    with pytest.raises(ArchiveUnavailable) as raised:
        await remote.write("upload", "POST", "write")
    assert not isinstance(raised.value, WriteUncertain)  # refused before it was carried out
    await remote.close()
    assert state.writes == 2


async def test_a_write_that_cannot_connect_is_not_uncertain() -> None:
    remote = client({"base_url": "http://127.0.0.1:9/", "auth": {"type": "bearer", "token_env": "T"}}, {"T": "x"})
    with pytest.raises(ArchiveUnavailable) as raised:
        await remote.write("upload", "POST", "write")
    await remote.close()
    assert not isinstance(raised.value, WriteUncertain)


# ---------------------------------------------------------------- secrets


def test_secrets_come_from_the_environment_or_an_owner_only_file(tmp_path: Path) -> None:
    secret = tmp_path / "go-password"
    secret.write_text("Hemmeligt-1\n", encoding="utf-8")
    os.chmod(secret, 0o644)
    table = {"base_url": "https://go.kommune.dk/", "auth": {"type": "ntlm", "username": "KOMMUNE\\lae-robot",
                                                             "password_file": "go-password"}}
    with pytest.raises(ConfigError, match="only its owner can read") as raised:
        client(table, {}, tmp_path)
    assert raised.value.key == "auth.password_file" and "Hemmeligt" not in str(raised.value)
    os.chmod(secret, 0o600)
    assert client(table, {}, tmp_path).name == "test"
    with pytest.raises(ConfigError, match="no secret in the configuration file"):
        read_connection(Table.of({**table, "auth": {"type": "ntlm", "username": "K\\u", "password": "x"}}))
    with pytest.raises(ConfigError, match="GO_PW to be set") as missing:
        client({**table, "auth": {"type": "ntlm", "username": "K\\u", "password_env": "GO_PW"}}, {})
    assert missing.value.key == "auth.password_env"


@pytest.mark.parametrize(("auth", "key", "expected"), [
    ({"type": "oauth2", "grant": "password", "token_url": "t", "client_id": "c", "password_env": "P"},
     "auth.username", "the user"),
    ({"type": "oauth2", "token_url": "t", "client_id": "c", "client_secret_env": "S", "username": "u"},
     "auth.grant", '"password"'),
    ({"type": "ntlm", "username": "lae-robot", "password_env": "P"}, "auth.username", "DOMAIN\\user"),
    ({"type": "oauth2", "token_url": "t", "client_id": "c", "client_secret_env": "S", "params": {"scope": "x"}},
     "auth.params.scope", "does not set itself"),
])
def test_auth_settings_errors_name_the_key(auth: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_connection(Table.of({"base_url": "https://x.kommune.dk/", "auth": auth}))
    assert raised.value.key == key and expected in raised.value.expected


# ---------------------------------------------------------------- filing exactly once


@dataclass
class Remembering:
    """A system that stores what it is sent and can lose an answer or fail its last step (the flow's unit test)."""

    name: str = "memory"
    stored: dict[str, bool] = field(default_factory=dict)  # sha256 -> finished
    uploads: int = 0
    lose_answer: bool = False
    fail_finish: int = 0

    async def find(self, upload: Upload) -> RemoteDocument | None:
        if upload.sha256 not in self.stored:
            return None
        return RemoteDocument(upload.sha256[:8], self.stored[upload.sha256])

    async def upload(self, upload: Upload) -> RemoteDocument:
        self.uploads += 1
        self.stored[upload.sha256] = False
        if self.lose_answer:
            raise WriteUncertain("upload: timed out; sent once, not repeated")
        return RemoteDocument(upload.sha256[:8], False)

    async def finish(self, upload: Upload, document: RemoteDocument) -> None:
        if self.fail_finish:
            self.fail_finish -= 1
            raise ArchiveRejected("finalise: refused with HTTP 500")
        self.stored[upload.sha256] = True


def upload_of(document: bytes = PDF) -> Upload:
    sha = hashlib.sha256(document).hexdigest()
    metadata = FilingMetadata(datetime(2026, 12, 6, tzinfo=UTC), "psyk@rn.dk", "<m@rn.dk>", "LÆ 125", "Statusattest",
                              sha, "a.pdf", "rule", {}, "0.1")
    return Upload("SAG-1", document, f"x_{sha[:8]}.pdf", sha, metadata)


CASE = Case("SAG-1", "sygedagpenge", "open")


async def test_a_lost_upload_answer_is_asked_about_and_never_sent_twice() -> None:
    system = Remembering(lose_answer=True)
    receipt = await file_once(system, CASE, upload_of())
    assert system.uploads == 1 and system.stored == {upload_of().sha256: True} and not receipt.already_filed
    again = await file_once(system, CASE, upload_of())
    assert again.already_filed and system.uploads == 1


async def test_a_failed_last_step_is_repeated_alone_on_the_next_attempt() -> None:
    system = Remembering(fail_finish=1)
    with pytest.raises(ArchiveRejected):
        await file_once(system, CASE, upload_of())
    receipt = await file_once(system, CASE, upload_of())
    assert system.uploads == 1 and system.stored[upload_of().sha256] and receipt.already_filed


async def test_a_lost_answer_for_a_document_that_did_not_arrive_is_retried_later() -> None:
    class Losing(Remembering):
        async def upload(self, upload: Upload) -> RemoteDocument:
            self.uploads += 1
            raise WriteUncertain("upload: HTTP 502; sent once, not repeated")

    system = Losing()
    with pytest.raises(ArchiveUnavailable, match="not in the case, so it will be sent again later"):
        await file_once(system, CASE, upload_of())
    assert system.uploads == 1


async def test_a_broken_ntlm_handshake_is_a_named_failure_not_a_traceback() -> None:
    """A 401 that answers the first NTLM message without a challenge made httpx-ntlm raise KeyError (seen when a
    /healthz check raced the daemon's lookups): it is now a refused login, for reads, writes and the health check."""
    async def refuse(request: web.Request) -> web.Response:
        challenge = {} if "Authorization" in request.headers else {"WWW-Authenticate": "NTLM"}
        return web.Response(status=401, headers=challenge)

    app = web.Application()
    app.router.add_post("/_goapi/Cases/FindByCaseProperties", refuse)
    async for base in serve(app):
        remote = client({"base_url": base, "retries": 0, "auth": {"type": "ntlm", "username": "KOMMUNE\\lae-robot",
                                                                  "password_env": "P"}}, {"P": "x"})
        with pytest.raises(ArchiveUnavailable, match="login handshake failed") as raised:
            await remote.read("search", "POST", "_goapi/Cases/FindByCaseProperties")
        with pytest.raises(ArchiveUnavailable) as written:
            await remote.write("upload", "POST", "_goapi/Cases/FindByCaseProperties")
        health = await remote.health("search", "POST", "_goapi/Cases/FindByCaseProperties")
        await remote.close()
    assert not isinstance(written.value, WriteUncertain)  # refused at the door: nothing was carried out
    assert not health.ok and "login handshake failed" in health.detail and "KeyError" in str(raised.value)
