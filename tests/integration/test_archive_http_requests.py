"""The HTTP archive's `requests` call: the case system's list of LÆ requests sent, fetched from a real local HTTP
server, checked as the CSV export's rows are, and learnt by the request import job of the wired robot."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from robot.app import open_robot
from robot.archive.http import HttpArchive
from robot.archive.http_config import HttpArchiveConfig
from robot.archive.registry import build_archive, request_export
from robot.archive.request_export import ExportedRequest, ExportRowError
from robot.config_error import ConfigError
from robot.ledger.request_records import RequestSource, RequestState
from robot.model import ArchiveRejected, ArchiveUnavailable
from robot.request_import import import_requests
from robot.settings import ArchiveSettings, LedgerSettings, NotifySettings, RulesSettings, Settings
from robot.worker import process_message
from tests.cpr_scanner import FULL_CPR
from tests.e2e import reason_mails as mails

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "requests-bearer-token"
ENVIRON = {"CASE_SYSTEM_TOKEN": TOKEN}
TWO_CASES = mails.TWO_OPEN_CASES.replace("-", "")  # SD-1010 and JA-2010, both open and eligible
RESSOURCEFORLOEB = mails.RESSOURCEFORLOEB.replace("-", "")


def sent(request_id: Any, cpr: Any, case: str, form: str, when: str, **more: Any) -> dict[str, Any]:
    """One request as the emulated case system lists it: nested, in its own field names."""
    return {"id": request_id, "borger": {"cpr": cpr}, "sag": {"nummer": case}, "blanket": form, "sendt": when,
            **more}


@dataclass
class CaseSystem:
    """A case system with a list of requests sent, a case search, a JSON upload and a health check."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    refusal: int | None = None  # the list asked for is refused with this status
    hits: dict[str, int] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)  # document id -> case

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_and_faults])
        app.router.add_get("/api/requests", self.list_requests)
        app.router.add_post("/api/cases/search", self.search)
        app.router.add_post("/api/cases/{case_id}/documents", self.upload)
        app.router.add_get("/health", self.health)
        return app

    @web.middleware
    async def _auth_and_faults(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        if self.down:
            return web.json_response({"error": "maintenance"}, status=503)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "invalid_token"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def list_requests(self, request: web.Request) -> web.Response:
        if self.refusal is not None:
            return web.json_response({"error": "forbidden"}, status=self.refusal)
        return web.json_response({"data": {"items": self.requests}})

    async def search(self, request: web.Request) -> web.Response:
        cpr = (await request.json())["cpr"]
        cases = {TWO_CASES: [
            {"id": "SD-1010", "type": "sygedagpenge", "status": "open", "owner": "bo.lund@kommune.example"},
            {"id": "JA-2010", "type": "jobafklaring", "status": "open", "owner": "carla.berg@kommune.example"},
        ]}  # fmt: skip
        return web.json_response({"cases": cases.get(cpr, [])})

    async def upload(self, request: web.Request) -> web.Response:
        document_id = f"doc-{len(self.documents) + 1}"
        self.documents[document_id] = request.match_info["case_id"]
        return web.json_response({"id": document_id}, status=201)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


@pytest.fixture
async def server() -> AsyncIterator[tuple[CaseSystem, str]]:
    fake = CaseSystem()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield fake, f"http://{host}:{port}"
    await runner.cleanup()


def table(base: str, *, listed: bool = True, **requests: Any) -> dict[str, Any]:
    """The [archive.http] table as config.toml would give it, with a `requests` call (`requests` changes its keys)
    unless not `listed`."""
    call = {"method": "GET", "path": "api/requests", "results": "data.items",
            "fields": {"request_id": "id", "cpr": "borger.cpr", "case_id": "sag.nummer", "form": "blanket",
                       "sent": "sendt", "addressee": "modtager", "caseworker_email": "sagsbehandler.email",
                       "deadline": "frist"}}  # fmt: skip
    call.update(requests)
    return {"base_url": f"{base}/", "timeout_seconds": 2, "retries": 1, "backoff_seconds": 0.01,
            "backoff_cap_seconds": 0.02, "auth": {"type": "bearer", "token_env": "CASE_SYSTEM_TOKEN"},
            "health": {"method": "GET", "path": "health"},
            "lookup": {"method": "POST", "path": "api/cases/search", "body": {"cpr": "{cpr}"}, "results": "cases",
                       "fields": {"case_id": "id", "case_type": "type", "status": "status",
                                  "caseworker_email": "owner"}},
            "upload": {"method": "POST", "path": "api/cases/{case_id}/documents", "mode": "json_base64",
                       "body": {"file": "{document_base64}", "name": "{filename}"}, "document_ref": "id"},
            **({"requests": call} if listed else {})}  # fmt: skip


def archive(config: dict[str, Any]) -> HttpArchive:
    return HttpArchive(HttpArchiveConfig.from_dict(config), environ=ENVIRON)


async def test_the_list_of_requests_sent_is_read_and_mapped(server: tuple[CaseSystem, str]) -> None:
    fake, base = server
    fake.requests = [
        sent(7, TWO_CASES, "JA-2010", "LÆ 121", "2036-11-20", modtager="Region Nordjylland",
             sagsbehandler={"email": "carla.berg@kommune.example"}, frist="2036-12-31"),
        # a number-typed CPR lost its leading zero; a UTC timestamp late in the evening is the next day in Denmark
        sent("R-8", int(RESSOURCEFORLOEB), "RF-3001", "141", "2036-11-20T23:30:00Z", frist=None),
    ]
    store = archive(table(base))
    assert store.exports_requests
    requests = await store.sent_requests()
    await store.close()
    assert requests == [
        ExportedRequest(request_id="7", cpr=TWO_CASES, case_id="JA-2010", form="121", sent_on=date(2036, 11, 20),
                        addressee="Region Nordjylland", caseworker_email="carla.berg@kommune.example",
                        deadline=date(2036, 12, 31)),
        ExportedRequest(request_id="R-8", cpr=RESSOURCEFORLOEB, case_id="RF-3001", form="141",
                        sent_on=date(2036, 11, 21)),
    ]


@pytest.mark.parametrize(("bad", "expected"), [
    (sent("R-2", TWO_CASES, "JA-2010", "121", "mandag"), "result 1: expected a date in column sent"),
    ({"id": "R-2", "sag": {"nummer": "JA-2010"}, "blanket": "121", "sendt": "2036-11-20"},
     "result 1: expected a CPR in column cpr"),
    (sent("R-1", TWO_CASES, "SD-1010", "121", "2036-11-20"), "result 1: expected each request_id once"),
    (sent("R-2", TWO_CASES, "../JA-2010", "121", "2036-11-20"), "result 1: expected a case_id of the case register"),
])  # fmt: skip
async def test_a_bad_result_is_named_by_call_and_index_without_a_cpr(
    server: tuple[CaseSystem, str], bad: dict[str, Any], expected: str
) -> None:
    fake, base = server
    fake.requests = [sent("R-1", TWO_CASES, "JA-2010", "121", "2036-11-20"), bad]
    store = archive(table(base))
    with pytest.raises(ExportRowError) as raised:
        await store.sent_requests()
    await store.close()
    assert str(raised.value).startswith(f"http archive requests (GET api/requests): {expected}"), raised.value
    assert not FULL_CPR.search(str(raised.value))


async def test_a_case_system_that_cannot_be_reached_is_unavailable(server: tuple[CaseSystem, str]) -> None:
    fake, base = server
    fake.down = True
    store = archive(table(base))
    with pytest.raises(ArchiveUnavailable):
        await store.sent_requests()
    assert fake.hits["/api/requests"] == 2  # read through the retrying client: the first try and one retry
    await store.close()
    refused = archive(table("http://127.0.0.1:9"))  # the discard port: nothing listens
    with pytest.raises(ArchiveUnavailable):
        await refused.sent_requests()
    await refused.close()


async def test_an_answer_refused_or_without_the_list_is_rejected(server: tuple[CaseSystem, str]) -> None:
    fake, base = server
    fake.requests = [sent("R-1", TWO_CASES, "JA-2010", "121", "2036-11-20")]
    misplaced = archive(table(base, results="data.anmodninger"))
    with pytest.raises(ArchiveRejected, match="the answer has nothing at 'data.anmodninger'"):
        await misplaced.sent_requests()
    await misplaced.close()
    fake.refusal = 403  # the robot's user may not see the list
    refused = archive(table(base))
    with pytest.raises(ArchiveRejected, match="HTTP 403"):
        await refused.sent_requests()
    await refused.close()
    assert fake.hits["/api/requests"] == 2  # a refusal is not retried


async def test_the_requests_call_is_optional_and_its_keys_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASE_SYSTEM_TOKEN", TOKEN)
    without, with_call = table("http://cases.example", listed=False), table("http://cases.example")
    plain, listing = build_archive("http", without, Path(".")), build_archive("http", with_call, Path("."))
    assert request_export("http", without, Path("."), plain) is None
    assert request_export("http", with_call, Path("."), listing) is listing
    await plain.close()
    await listing.close()
    with pytest.raises(ConfigError) as missing:
        HttpArchiveConfig.from_dict(table("http://cases.example", fields={"request_id": "id"}))
    assert "requests.fields.cpr" in str(missing.value)
    with pytest.raises(ConfigError) as unknown:
        HttpArchiveConfig.from_dict(table("http://cases.example", path="api/requests?since={sent}"))
    assert "requests.path" in str(unknown.value) and "{sent}" in str(unknown.value)


def test_the_example_block_in_config_example_toml_is_a_working_requests_call() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    block = text[text.index("# [archive.http.requests]"):text.index("# getorganized:")]
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ") and not line.startswith("# #")]
    example = tomllib.loads("\n".join(lines))["archive"]["http"]["requests"]
    config = HttpArchiveConfig.from_dict({**table("http://cases.example"), "requests": example}).requests
    assert config is not None and (config.call.method, config.call.path, config.results) == (
        "GET", "api/anmodninger?status=sendt", "data.items")
    assert config.fields.paths() == {
        "request_id": "id", "cpr": "borger.cpr", "case_id": "sag.nummer", "form": "blanket", "sent": "afsendt",
        "addressee": "modtager.navn", "caseworker_email": "sagsbehandler.email", "deadline": "frist"}


# ---------------------------------------------------------------- through the wired robot


def settings_in(folder: Path, base: str) -> Settings:
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return Settings(rules=RulesSettings(dir=rules), ledger=LedgerSettings(path=folder / "ledger.sqlite3"),
                    archive=ArchiveSettings(adapter="http", http=table(base)),
                    notify=NotifySettings(outbox_dir=folder / "outbox"), base_dir=folder)


async def test_a_request_the_case_system_lists_is_learnt_once_and_answered(
    server: tuple[CaseSystem, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, base = server
    monkeypatch.setenv("CASE_SYSTEM_TOKEN", TOKEN)
    fake.requests = [sent("R-1", TWO_CASES, "JA-2010", "LÆ 121", "2036-11-20", modtager="Region Nordjylland")]
    async with open_robot(settings_in(tmp_path, base)) as robot:
        services = robot.services
        assert services.request_export is services.archive  # one connection, closed with the archive
        fake.down = True
        assert await import_requests(services) == 0  # the case system is down: nothing told, asked again next run
        assert not [n for n in services.ledger.due_notices() if n.kind == "import"]
        fake.down = False
        assert await import_requests(services) == 1
        assert await import_requests(services) == 0  # asked at every run: nothing learnt twice
        [request] = services.ledger.requests.all()
        assert (request.key, request.source, request.request_form, request.answer_form, request.case_id,
                request.addressee, request.notify_to) == (
            "import:R-1", RequestSource.IMPORT, "121", "125", "JA-2010", "Region Nordjylland",
            ("carla.berg@kommune.example",))  # the caseworker, by the archive's lookup of the case
        # the certificate answering it goes to the request's case, not ambiguous between the citizen's two
        answer = services.ledger.accept(mails.mail(("attest.pdf", mails.certificate(cpr=mails.TWO_OPEN_CASES))),
                                        source="smtp")
        await process_message(answer.message_id, services)
        assert [(d.outcome, d.case_id) for d in services.ledger.documents(answer.message_id)] == [
            ("filed", "JA-2010")]
        assert list(fake.documents.values()) == ["JA-2010"]
        assert services.ledger.requests.get(request.id).state is RequestState.ANSWERED
        # a bad result later is told to the operators by call and index, never with the CPR; the rest stays
        fake.requests.append(sent("R-2", TWO_CASES, "SD-1010", "121", "i går"))
        assert await import_requests(services) == 0
        [notice] = [n for n in services.ledger.due_notices() if n.kind == "import"]
        assert "http archive requests (GET api/requests): result 1: expected a date in column sent" in notice.body
        assert not FULL_CPR.search(notice.subject + notice.body)
