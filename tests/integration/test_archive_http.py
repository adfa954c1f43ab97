"""HttpArchive against a real local HTTP server emulating SBSYS, GetOrganized and Momentum endpoints with OAuth2."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import typedefs as web_typedefs
from aiohttp import web

from robot.archive.http import HttpArchive
from robot.archive.http_config import HttpArchiveConfig
from robot.archive.registry import build_archive
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata

CITIZEN = "0101901017"
SAME_BIRTHDAY = "0101901025"  # another citizen a fuzzy person search also returns
UNKNOWN = "0303703033"
FULL_CPR = re.compile(r"\d{6}[ \-]?\d{4}")
CLIENT_SECRET = "s3cr3t-client-secret"
STATIC_TOKEN = "static-bearer-token-xyz"
ENVIRON = {"GO_CLIENT_SECRET": CLIENT_SECRET, "SBSYS_TOKEN": STATIC_TOKEN}
PDF = b"%PDF-1.7\n" + b"statusattest " * 100 + b"\n%%EOF\n"
RECEIVED = datetime(2024, 3, 1, 9, 15, tzinfo=timezone.utc)
NAME = re.compile(r"2024-03-01_LAE125_[0-9a-f]{8}\.pdf")


def metadata(document: bytes = PDF) -> FilingMetadata:
    return FilingMetadata(
        received=RECEIVED,
        sender="psyk@rn.dk",
        message_id="<m1@rn.dk>",
        form="LÆ 125",
        form_title="Statusattest",
        document_sha256=hashlib.sha256(document).hexdigest(),
        attachment_name=f"../attest {CITIZEN}.pdf",
        rule="rn-psykiatri",
        evidence={},
        robot_version="0.1.0",
    )


# ---------------------------------------------------------------- the emulated case systems


@dataclass
class FakeCaseSystem:
    """SBSYS-, GetOrganized-, Momentum-style endpoints, an OAuth2 token endpoint, and fault injection per path."""

    token_requests: int = 0
    token_expires_in: int = 3600
    tokens: set[str] = field(default_factory=set)
    hits: dict[str, int] = field(default_factory=dict)
    faults: dict[str, list[Any]] = field(default_factory=dict)  # path -> queued: status, (status, headers), "sleep"
    broken: dict[str, int] = field(default_factory=dict)  # path -> status answered for ever
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    finalized: list[Any] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    conflict_names_document: bool = True  # a 409 on a repeated upload names the document already there

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_and_auth])
        app.router.add_post("/oauth/token", self.token)
        app.router.add_post("/sbsys/api/person/search", self.person_search)
        app.router.add_post("/sbsys/api/sag/search", self.sag_search)
        app.router.add_post("/go/_goapi/Cases/FindCases", self.find_cases)
        app.router.add_post("/go/_goapi/Documents/AddToDocumentLibrary", self.add_document)
        app.router.add_post("/go/_goapi/Documents/Finalize/ByDocumentId", self.finalize)
        app.router.add_post("/mp/cases/{case_id}/documents", self.multipart_upload)
        app.router.add_get("/momentum/citizens/find", self.momentum_find)
        app.router.add_get("/health", self.health)
        return app

    @web.middleware
    async def _faults_and_auth(self, request: web.Request, handler: web_typedefs.Handler) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path in self.broken:
            return web.json_response({"error": "down"}, status=self.broken[path])
        queued = self.faults.get(path)
        if queued:
            fault = queued.pop(0)
            if fault == "sleep":
                await _quietly(asyncio.wait_for(self.release.wait(), 5))
            elif isinstance(fault, tuple):
                return web.json_response({"error": "busy"}, status=fault[0], headers=fault[1])
            else:
                return web.json_response({"error": "fault", "echo": request.query_string}, status=fault)
        if path != "/oauth/token":
            authorization = request.headers.get("Authorization", "")
            if authorization.removeprefix("Bearer ") not in self.tokens:
                return web.json_response({"error": "invalid_token"}, status=401)
        return await handler(request)

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "archive.write":
            return web.json_response({"error": "invalid_request"}, status=400)
        if (form.get("client_id"), form.get("client_secret")) != ("robot", CLIENT_SECRET):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"tok-{self.token_requests}"
        self.tokens.add(token)
        return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": self.token_expires_in})

    async def person_search(self, request: web.Request) -> web.Response:
        cpr = (await request.json())["cprNummer"]
        people: list[dict[str, Any]] = [
            {"id": 17, "cpr": f"{CITIZEN[:6]}-{CITIZEN[6:]}", "navn": "A"},
            {"id": 23, "cpr": SAME_BIRTHDAY, "navn": "B"},
        ]
        return web.json_response([p for p in people if p["cpr"].startswith(cpr[:6])])  # a birthday search

    async def sag_search(self, request: web.Request) -> web.Response:
        person_id = (await request.json())["filter"]["personId"]
        assert isinstance(person_id, int)  # the exact "{person_id}" template kept the number a number
        cases = {
            17: [
                {"sagsnummer": "27.12.08-G01-1234-22", "sagstype": "Sygedagpenge", "status": "Aktiv",
                 "behandler": {"email": "anna@kommune.dk"}, "team": "Team Syd", "titel": "Sygedagpenge 2024"},
                {"sagsnummer": "27.12.08-G01-0999-19", "sagstype": "Jobafklaring", "status": "Afsluttet",
                 "behandler": None},
            ],
            23: [{"sagsnummer": "27.12.08-G01-7777-23", "sagstype": "Fleksjob", "status": "Aktiv"}],
        }  # fmt: skip
        return web.json_response({"data": {"cases": cases.get(person_id, [])}})

    async def find_cases(self, request: web.Request) -> web.Response:
        cpr = (await request.json())["Cpr"]
        if cpr != CITIZEN:
            return web.json_response({"Cases": []})
        return web.json_response({"Cases": [{"CaseID": "GEO-2024-000123", "Status": "Åben", "CaseType": "Sygedagpenge",
                                             "Owner": {"Email": "bo@kommune.dk"}, "CprNumber": CITIZEN,
                                             "Borger": {"Navn": "Birgitte Østergaard"}}]})  # fmt: skip

    async def add_document(self, request: web.Request) -> web.Response:
        body = await request.json()
        data = base64.b64decode(body["Bytes"])
        in_case = {d["sha256"]: int(key) for key, d in self.documents.items() if d["case"] == body["CaseId"]}
        if hashlib.sha256(data).hexdigest() in in_case:
            answer = {"Message": "A file with that name already exists"}
            if self.conflict_names_document:
                answer["DocumentId"] = in_case[hashlib.sha256(data).hexdigest()]
            return web.json_response(answer, status=409)
        if not NAME.fullmatch(body["FileName"]):
            return web.json_response({"Message": "bad name"}, status=400)
        document_id = 4711 + len(self.documents)
        self.documents[str(document_id)] = {"case": body["CaseId"], "sha256": hashlib.sha256(data).hexdigest(),
                                            "name": body["FileName"], "metadata": body["Metadata"]}  # fmt: skip
        return web.json_response({"DocumentId": document_id})

    async def finalize(self, request: web.Request) -> web.Response:
        body = await request.json()
        if str(body["DocumentId"]) not in self.documents:
            return web.json_response({"Message": "no such document"}, status=404)
        self.finalized.append(body["DocumentId"])
        return web.json_response({})

    async def multipart_upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["fil"]
        assert isinstance(upload, web.FileField)
        data = upload.file.read()
        self.documents[f"MP-{len(self.documents) + 1}"] = {
            "case": request.match_info["case_id"], "sha256": hashlib.sha256(data).hexdigest(), "name": upload.filename,
            "content_type": upload.content_type, "titel": form["titel"], "modtaget": form["modtaget"],
        }  # fmt: skip
        return web.json_response({"document": {"id": f"MP-{len(self.documents)}"}}, status=201)

    async def momentum_find(self, request: web.Request) -> web.Response:
        if request.query.get("cpr") != CITIZEN:
            return web.json_response({"error": "citizen not found"}, status=404)
        cases = [{"id": "c0ffee-1", "type": "Sygedagpenge", "active": True},
                 {"id": "c0ffee-2", "type": "Ledighed", "active": False}]  # fmt: skip
        return web.json_response({"citizen": {"cases": cases}})

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


async def _quietly(waiting: Any) -> None:
    try:
        await waiting
    except TimeoutError:
        return


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeCaseSystem, str]]:
    fake = FakeCaseSystem()
    runner = web.AppRunner(fake.app(), access_log=None)  # aiohttp's access log would show ?cpr= in clear
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield fake, f"http://{host}:{port}"
    fake.release.set()
    await runner.cleanup()


@pytest.fixture(autouse=True)
def nothing_secret_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[MutableMapping[str, Any]]]:
    """Every test: no CPR, client secret or bearer token in any stdlib or structlog log record."""
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        yield logs
    text = caplog.text + json.dumps(logs, default=str)
    assert not FULL_CPR.search(text), text
    assert CLIENT_SECRET not in text and STATIC_TOKEN not in text and "tok-" not in text


def assert_clean(error: BaseException) -> None:
    text = str(error)
    assert not FULL_CPR.search(text) and CLIENT_SECRET not in text and STATIC_TOKEN not in text, text
    assert error.__cause__ is None or not FULL_CPR.search(str(error.__cause__))


# ---------------------------------------------------------------- configurations, as they would come from TOML


def oauth(base: str) -> dict[str, Any]:
    return {"type": "oauth2", "token_url": f"{base}/oauth/token", "client_id": "robot",
            "client_secret_env": "GO_CLIENT_SECRET", "scope": "archive.write"}  # fmt: skip


def common(base: str, prefix: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": f"{base}{prefix}", "timeout_seconds": 2, "retries": 3, "backoff_seconds": 0.01,
            "backoff_cap_seconds": 0.05, "auth": oauth(base), "health": {"method": "GET", "path": "../health"},
            **extra}  # fmt: skip


def sbsys(base: str, **extra: Any) -> dict[str, Any]:
    return common(base, "/sbsys/", lookup={
        "person": {"method": "POST", "path": "api/person/search", "body": {"cprNummer": "{cpr}"},
                   "results": "", "id": "id", "cpr": "cpr"},
        "method": "POST", "path": "api/sag/search", "body": {"filter": {"personId": "{person_id}"}},
        "results": "data.cases",
        "fields": {"case_id": "sagsnummer", "case_type": "sagstype", "status": "status",
                   "caseworker_email": "behandler.email", "team": "team", "title": "titel"},
        "status_open_values": ["Aktiv", "Åben"],
    }, upload={"method": "POST", "path": "api/sag/{case_id}/dokument", "mode": "json_base64",
               "body": {"fil": "{document_base64}"}}, **extra)  # fmt: skip


def getorganized(base: str, **extra: Any) -> dict[str, Any]:
    return common(base, "/go", lookup={
        "method": "POST", "path": "/_goapi/Cases/FindCases", "body": {"Cpr": "{cpr}"}, "results": "Cases",
        "fields": {"case_id": "CaseID", "case_type": "CaseType", "status": "Status",
                   "caseworker_email": "Owner.Email", "cpr": "CprNumber"},
        "status_open_values": ["Åben"],
    }, upload={
        "method": "POST", "path": "/_goapi/Documents/AddToDocumentLibrary", "mode": "json_base64",
        "body": {"CaseId": "{case_id}", "ListName": "Dokumenter", "FolderPath": "", "FileName": "{filename}",
                 "Bytes": "{document_base64}", "Overwrite": False,
                 "Metadata": "<z:row ows_Title='{form} {form_title}' ows_Modtaget='{received}'/>"},
        "document_ref": "DocumentId", "exists_status": [409],
        "then": {"method": "POST", "path": "/_goapi/Documents/Finalize/ByDocumentId",
                 "body": {"DocumentId": "{document_ref}"}},
    }, **extra)  # fmt: skip


def multipart(base: str) -> dict[str, Any]:
    config = getorganized(base)
    config["upload"] = {"method": "POST", "path": "../mp/cases/{case_id}/documents", "mode": "multipart",
                        "file_field": "fil", "fields": {"titel": "{form} {form_title}", "modtaget": "{received}"},
                        "document_ref": "document.id"}  # fmt: skip
    return config


def momentum(base: str) -> dict[str, Any]:
    config = getorganized(base)
    config["base_url"] = f"{base}/momentum/"
    config["lookup"] = {"method": "GET", "path": "citizens/find?cpr={cpr}", "results": "citizen.cases",
                        "fields": {"case_id": "id", "case_type": "type", "status": "active"},
                        "status_open_values": [True]}  # fmt: skip
    return config


def archive(config: dict[str, Any], **options: Any) -> HttpArchive:
    return HttpArchive(HttpArchiveConfig.from_dict(config), environ=ENVIRON, **options)


# ---------------------------------------------------------------- lookup


async def test_sbsys_lookup_via_person_search_maps_fields(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    cases = await (store := archive(sbsys(base))).lookup(f"{CITIZEN[:6]}-{CITIZEN[6:]}")
    await store.close()
    assert cases == [
        Case("27.12.08-G01-1234-22", "Sygedagpenge", "open", "anna@kommune.dk", "Team Syd", "Sygedagpenge 2024"),
        Case("27.12.08-G01-0999-19", "Jobafklaring", "closed", None, None, None),
    ]  # the other citizen born the same day is dropped by the cpr check, never searched for cases
    assert fake.hits["/sbsys/api/sag/search"] == 1


async def test_getorganized_lookup_and_unknown_citizen(server: tuple[FakeCaseSystem, str]) -> None:
    _, base = server
    store = archive(getorganized(base))
    assert await store.lookup(CITIZEN) == [Case("GEO-2024-000123", "Sygedagpenge", "open", "bo@kommune.dk")]
    assert await store.lookup(UNKNOWN) == []
    await store.close()


async def test_a_mapped_name_field_turns_the_name_check_on(server: tuple[FakeCaseSystem, str]) -> None:
    _, base = server
    plain = archive(getorganized(base))
    assert plain.name_source() is None
    await plain.close()
    config = getorganized(base)
    config["lookup"]["fields"]["name"] = "Borger.Navn"
    store = archive(config)
    assert store.name_source() == "the lookup's name field 'Borger.Navn'"
    (case,) = await store.lookup(CITIZEN)
    assert case.citizen_name == "Birgitte Østergaard"
    await store.close()


async def test_momentum_get_with_cpr_in_query_and_404_means_no_cases(
    server: tuple[FakeCaseSystem, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, base = server
    store = archive(momentum(base))
    cases = await store.lookup(CITIZEN)
    assert [(c.case_id, c.is_open) for c in cases] == [("c0ffee-1", True), ("c0ffee-2", False)]
    assert await store.lookup(UNKNOWN) == []
    await store.close()
    assert "citizens/find?cpr=010190-xxxx" in caplog.text  # httpx logged the URL, masked


# ---------------------------------------------------------------- upload


async def test_getorganized_upload_json_base64_then_finalize(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    store = archive(getorganized(base))
    case = (await store.lookup(CITIZEN))[0]
    receipt = await store.file(case, PDF, metadata())
    await store.close()
    assert receipt.case_id == "GEO-2024-000123" and receipt.document_ref == "4711" and not receipt.already_filed
    assert receipt.sha256 == hashlib.sha256(PDF).hexdigest()
    stored = fake.documents["4711"]
    assert stored["sha256"] == receipt.sha256 and NAME.fullmatch(stored["name"])  # generated, not the mail's name
    assert stored["metadata"] == f"<z:row ows_Title='LÆ 125 Statusattest' ows_Modtaget='{RECEIVED.isoformat()}'/>"
    assert fake.finalized == ["4711"]


async def test_refiling_answered_409_is_already_filed_and_finished_again(server: tuple[FakeCaseSystem, str]) -> None:
    """A finalise that failed after the upload is done on the next attempt: the 409 names the document."""
    fake, base = server
    store = archive(getorganized(base))
    case = Case("GEO-2024-000123", "Sygedagpenge", "open")
    fake.faults["/go/_goapi/Documents/Finalize/ByDocumentId"] = [400]
    with pytest.raises(ArchiveRejected, match="Finalize"):
        await store.file(case, PDF, metadata())
    assert len(fake.documents) == 1 and fake.finalized == []  # stored, not finalised
    again = await store.file(case, PDF, metadata())
    await store.close()
    assert again.already_filed and again.document_ref == "4711"
    assert len(fake.documents) == 1 and fake.finalized == ["4711"]


async def test_409_without_the_document_id_is_for_a_person_when_a_step_follows(
        server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.conflict_names_document = False
    store = archive(getorganized(base))
    case = Case("GEO-2024-000123", "Sygedagpenge", "open")
    await store.file(case, PDF, metadata())
    with pytest.raises(ArchiveRejected, match="cannot make sure") as raised:
        await store.file(case, PDF, metadata())
    await store.close()
    assert len(fake.documents) == 1 and fake.finalized == ["4711"]
    assert_clean(raised.value)


@pytest.mark.parametrize("fault", [503, "sleep"], ids=["503", "timeout"])
async def test_an_upload_whose_answer_is_lost_is_never_sent_again(server: tuple[FakeCaseSystem, str],
                                                                   fault: Any) -> None:
    """The generic adapter cannot ask the system whether the document arrived: a person must look."""
    fake, base = server
    fake.faults["/go/_goapi/Documents/AddToDocumentLibrary"] = [fault]
    store = archive(getorganized(base, timeout_seconds=0.3))
    with pytest.raises(ArchiveRejected, match="sent once, not repeated.*a person must look") as raised:
        await store.file(Case("GEO-2024-000123", "Sygedagpenge", "open"), PDF, metadata())
    await store.close()
    assert fake.hits["/go/_goapi/Documents/AddToDocumentLibrary"] == 1
    assert_clean(raised.value)


async def test_multipart_upload_sends_generated_name_and_fields(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    store = archive(multipart(base))
    receipt = await store.file(Case("GEO/2024 7", "Sygedagpenge", "open"), PDF, metadata())
    await store.close()
    assert receipt.document_ref == "MP-1"
    stored = fake.documents["MP-1"]
    assert stored["case"] == "GEO/2024 7"  # percent-encoded into one path segment, decoded by the server
    assert NAME.fullmatch(stored["name"]) and stored["content_type"] == "application/pdf"
    assert stored["sha256"] == receipt.sha256 and stored["titel"] == "LÆ 125 Statusattest"
    assert stored["modtaget"] == RECEIVED.isoformat()


async def test_hash_that_does_not_match_is_rejected_before_any_request(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    store = archive(getorganized(base))
    with pytest.raises(ArchiveRejected):
        await store.file(Case("GEO-1", "x", "open"), PDF + b"x", metadata())
    await store.close()
    assert fake.hits == {}


# ---------------------------------------------------------------- failures and retries


def recording_sleep(delays: list[float]) -> Any:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(seconds)

    return sleep


async def test_503_then_success_is_retried_with_backoff(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.faults["/go/_goapi/Cases/FindCases"] = [503, 502]
    delays: list[float] = []
    store = archive(getorganized(base), sleep=recording_sleep(delays))
    assert [c.case_id for c in await store.lookup(CITIZEN)] == ["GEO-2024-000123"]
    await store.close()
    assert fake.hits["/go/_goapi/Cases/FindCases"] == 3 and delays == [0.01, 0.02]


async def test_503_forever_is_unavailable_after_capped_retries(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.broken["/go/_goapi/Cases/FindCases"] = 503
    delays: list[float] = []
    store = archive(getorganized(base, retries=4), sleep=recording_sleep(delays))
    started = time.monotonic()
    with pytest.raises(ArchiveUnavailable) as raised:
        await store.lookup(CITIZEN)
    await store.close()
    assert time.monotonic() - started < 1.0
    assert fake.hits["/go/_goapi/Cases/FindCases"] == 5 and delays == [0.01, 0.02, 0.04, 0.05]  # capped at 0.05
    assert "HTTP 503 after 5 attempt(s)" in str(raised.value) and "FindCases" in str(raised.value)
    assert_clean(raised.value)


async def test_429_honours_retry_after_within_the_cap_and_gives_up_beyond(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    path = "/go/_goapi/Cases/FindCases"
    delays: list[float] = []
    store = archive(getorganized(base, backoff_cap_seconds=1.5), sleep=recording_sleep(delays))
    fake.faults[path] = [(429, {"Retry-After": "0"}), (503, {"Retry-After": "1"})]
    await store.lookup(CITIZEN)
    assert delays == [0.01, 1.0]  # Retry-After 0 never shortens the backoff; 1 s lengthens it
    fake.faults[path] = [(429, {"Retry-After": "120"})]
    with pytest.raises(ArchiveUnavailable, match="asks to wait 120 s") as raised:
        await store.lookup(CITIZEN)
    await store.close()
    assert delays == [0.01, 1.0] and fake.hits[path] == 4  # gave up at once, no sleep
    assert_clean(raised.value)


async def test_timeout_is_unavailable(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.faults["/go/_goapi/Cases/FindCases"] = ["sleep", "sleep"]
    store = archive(getorganized(base, timeout_seconds=0.2, retries=1))
    started = time.monotonic()
    with pytest.raises(ArchiveUnavailable, match="timed out after 2 attempt") as raised:
        await store.lookup(CITIZEN)
    await store.close()
    assert time.monotonic() - started < 1.5
    assert_clean(raised.value)


async def test_connection_refused_is_unavailable() -> None:
    config = getorganized("http://127.0.0.1:9", retries=1)  # the discard port: nothing listens
    store = archive(config)
    with pytest.raises(ArchiveUnavailable) as raised:
        await store.lookup(CITIZEN)
    assert "ConnectError" in str(raised.value)
    assert_clean(raised.value)
    health = await store.health()
    assert not health.ok
    await store.close()


@pytest.mark.parametrize("status", [400, 403, 422])
async def test_client_errors_are_rejected_without_echoing_the_cpr(
    server: tuple[FakeCaseSystem, str], status: int
) -> None:
    fake, base = server
    fake.faults["/momentum/citizens/find"] = [status]  # the fault body echoes the query string, CPR and all
    store = archive(momentum(base))
    with pytest.raises(ArchiveRejected) as raised:
        await store.lookup(CITIZEN)
    await store.close()
    assert f"HTTP {status}" in str(raised.value) and "010190-xxxx" in str(raised.value)
    assert fake.hits["/momentum/citizens/find"] == 1  # not retried
    assert_clean(raised.value)


async def test_upload_rejected_with_400_is_not_retried(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.faults["/go/_goapi/Documents/AddToDocumentLibrary"] = [400]
    store = archive(getorganized(base))
    with pytest.raises(ArchiveRejected, match="HTTP 400"):
        await store.file(Case("GEO-1", "x", "open"), PDF, metadata())
    await store.close()
    assert fake.hits["/go/_goapi/Documents/AddToDocumentLibrary"] == 1 and fake.finalized == []


# ---------------------------------------------------------------- authentication


async def test_oauth2_token_is_cached_and_renewed_before_expiry(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    fake.token_expires_in = 600
    now = [1000.0]
    store = archive(getorganized(base), clock=lambda: now[0])
    await store.lookup(CITIZEN)
    await store.file(Case("GEO-2024-000123", "x", "open"), PDF, metadata())
    await store.lookup(UNKNOWN)
    assert (await store.health()).ok
    assert fake.token_requests == 1
    now[0] += 600 - 61  # just over a minute before expiry: still the cached token
    await store.lookup(CITIZEN)
    assert fake.token_requests == 1
    now[0] += 2  # within the last minute: renewed before the server would refuse it
    await store.lookup(CITIZEN)
    await store.close()
    assert fake.token_requests == 2


async def test_401_once_refreshes_the_token_and_succeeds(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    store = archive(getorganized(base))
    await store.lookup(CITIZEN)
    fake.tokens.clear()  # the server forgot every token (restart, key rotation)
    assert [c.case_id for c in await store.lookup(CITIZEN)] == ["GEO-2024-000123"]
    await store.close()
    assert fake.token_requests == 2 and fake.hits["/go/_goapi/Cases/FindCases"] == 3


async def test_bad_client_secret_is_unavailable_and_secret_never_shown(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    config = HttpArchiveConfig.from_dict(getorganized(base))
    store = HttpArchive(config, environ={"GO_CLIENT_SECRET": "wrong-secret"})
    with pytest.raises(ArchiveUnavailable, match="HTTP 401 \\(invalid_client\\)") as raised:
        await store.lookup(CITIZEN)
    assert "wrong-secret" not in str(raised.value)
    health = await store.health()
    await store.close()
    assert not health.ok and "invalid_client" in health.detail and fake.token_requests == 2


async def test_static_bearer_token_refused_is_unavailable(server: tuple[FakeCaseSystem, str]) -> None:
    fake, base = server
    config = getorganized(base)
    config["auth"] = {"type": "bearer", "token_env": "SBSYS_TOKEN"}
    store = archive(config)
    with pytest.raises(ArchiveUnavailable, match="authentication refused") as raised:
        await store.lookup(CITIZEN)  # the fake knows only OAuth2 tokens
    assert_clean(raised.value)
    fake.tokens.add(STATIC_TOKEN)
    assert [c.case_id for c in await store.lookup(CITIZEN)] == ["GEO-2024-000123"]
    await store.close()
    assert fake.token_requests == 0


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (lambda c: c.pop("base_url"), "base_url", "required"),
        (lambda c: c.update(base_url="ftp://x"), "base_url", "http:// or https://"),
        (lambda c: c.update(retries=-1), "retries", "at least 0"),
        (lambda c: c.update(retries=10**20), "retries", "at most"),
        (lambda c: c.update(timeout_seconds=float("nan")), "timeout_seconds", "at most"),
        (lambda c: c.update(backoff_cap_seconds=float("inf")), "backoff_cap_seconds", "at most"),
        (lambda c: c.update(timeout="3"), "timeout", "no such key"),
        (lambda c: c["auth"].update(type="kerberos"), "auth.type", "'bearer', 'oauth2', 'ntlm'"),
        (lambda c: c["auth"].pop("client_id"), "auth.client_id", "required"),
        (lambda c: c["lookup"].update(method="DELETE"), "lookup.method", "one of"),
        (lambda c: c["lookup"].update(path="cases?cpr={cprnr}"), "lookup.path", "{cpr}"),
        (lambda c: c["lookup"]["fields"].pop("case_id"), "lookup.fields.case_id", "required"),
        (lambda c: c["lookup"].update(status_open_values=[]), "lookup.status_open_values", "non-empty list"),
        (lambda c: c["upload"].update(mode="xml"), "upload.mode", "'json_base64', 'multipart'"),
        (lambda c: c["upload"]["body"].pop("Bytes"), "upload.body", "{document_base64}"),
        (lambda c: c["upload"].update(path="docs/{cpr}"), "upload.path", "only the placeholders"),
        (lambda c: c["upload"].pop("document_ref"), "upload.document_ref", "then"),
        (lambda c: c["upload"].update(exists_status="409"), "upload.exists_status", "whole numbers"),
        (lambda c: c.update(headers={"Authorization": "Basic x"}), "headers.Authorization", "auth table"),
        (lambda c: c.pop("health"), "health", "required"),
    ],
)
def test_config_errors_name_the_key_and_expectation(change: Any, key: str, expected: str) -> None:
    config = getorganized("http://127.0.0.1:1")
    change(config)
    with pytest.raises(ConfigError) as raised:
        HttpArchiveConfig.from_dict(config)
    assert raised.value.key == key and expected in raised.value.expected, str(raised.value)


def test_missing_secret_variable_is_a_config_error() -> None:
    config = HttpArchiveConfig.from_dict(getorganized("http://127.0.0.1:1"))
    with pytest.raises(ConfigError) as raised:
        HttpArchive(config, environ={})
    assert raised.value.key == "auth.client_secret_env" and "GO_CLIENT_SECRET" in raised.value.expected


async def test_registry_builds_http_archive(
    server: tuple[FakeCaseSystem, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, base = server
    monkeypatch.setenv("GO_CLIENT_SECRET", CLIENT_SECRET)
    store = build_archive("http", getorganized(base), Path("."))
    assert store.name == "http" and (await store.health()).ok
    await store.close()
