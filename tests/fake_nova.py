"""A fake KMD Nova (and Momentum) on loopback, answering as the public clients show the real ones do, with faults."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CLIENT_ID, CLIENT_SECRET = "lae-robot", "nova-secret-1"
MOMENTUM_RESOURCE, MOMENTUM_APIKEY, MOMENTUM_SECRET = "api://momentum-test", "mom-key-1", "momentum-secret-1"
VERSIONS = ("1.0-Case", "2.0-Case")
STATES = ("Opstaaet", "Oplyst", "Afgjort", "Bestilt", "Udfoert", "Afsluttet")
DOCUMENT_TYPES = ("Indgående", "Udgående", "Internt", "Dagsordenpunkt", "Dagsorden", "Referat", "Andet", "GisKort",
                  "NovaDagsordenspunkt")
SENSITIVITIES = ("Fortrolige", "IkkeFortrolige", "SærligFølsomme", "Følsomme")
IDENTIFICATION_TYPES = ("CprNummer", "CvrNummer", "Frit", "PNummer", "EsrNummer", "BfeNummer")
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CASE_SEARCH_KEYS = {"common", "paging", "caseAttributes", "caseParty", "states", "caseGetOutput", "caseworker", "kle"}
DOCUMENT_LIST_KEYS = {"common", "caseUuid", "caseNumber", "paging", "getOutput", "title", "documentNumber"}
IMPORT_KEYS = {"common", "caseUuid", "title", "sensitivity", "documentDate", "documentType", "description",
               "documentCategoryUuid", "securityUnit", "approved", "accessToDocuments", "acceptReceived", "caseworker",
               "documentParty"}


def nova_case(cpr: str, number: str, *, state: str = "Opstaaet", kle: str = "32.18.08", racf: str | None = "AZX0075",
              caseworker: str = "Anne Holm", name: str = "Test Testesen", role: str = "Primær",
              department: str = "Sygedagpenge Nord", unit: str | None = None) -> dict[str, Any]:
    """A case as Case/GetList holds it (every field a full caseGetOutput asks for)."""
    worker: dict[str, Any] = (
        {"losIdentity": {"novaUnitId": str(uuid.uuid4()), "fullName": unit, "administrativeUnitId": 70528}}
        if unit is not None else
        {"kspIdentity": {"novaUserId": str(uuid.uuid4()), "fullName": caseworker, "racfId": racf}})
    return {
        "common": {"uuid": str(uuid.uuid4())},
        "caseAttributes": {"title": f"Sygedagpenge - {name}", "userFriendlyCaseNumber": number,
                           "caseDate": "2026-05-01T00:00:00"},
        "state": {"activeCode": "Active", "progressState": state},
        "caseParties": [{"index": str(uuid.uuid4()), "identificationType": "CprNummer", "identification": cpr,
                         "participantRole": role, "name": name}],
        "numberOfDocuments": 0,
        "numberOfJournalNotes": 0,
        "caseClassification": {"kleNumber": {"code": kle}, "proceedingFacet": {"code": "G01"}},
        "sensitivity": {"sensitivity": "Følsomme"},
        "caseworker": worker,
        "responsibleDepartment": {"losIdentity": {"novaUnitId": str(uuid.uuid4()), "administrativeUnitId": 70529,
                                                  "fullName": department, "userKey": "SDNORD"}},
        "securityUnit": {"losIdentity": {"novaUnitId": str(uuid.uuid4()), "administrativeUnitId": 818485,
                                         "fullName": "Borgerservice", "userKey": "BORGER"}},
    }


@dataclass
class FakeNova:
    """The state of the fake: cases, uploaded files not yet imported, documents per case, and queued faults.

    Faults, per endpoint name ("token", "Case/GetList", "Document/GetList", "UploadFile", "Import"): an int (that
    status, nothing stored), "store_then_timeout" (stored, then no answer until the client gives up) or
    "store_then_503" (stored, then 503)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    staged: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: dict[str, list[Any]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, list[Any]] = field(default_factory=dict)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    # Momentum: cpr -> citizen id; citizen id -> responsibility rows; employee id -> employee
    citizens: dict[str, str] = field(default_factory=dict)
    responsible: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, case: dict[str, Any]) -> str:
        self.cases.append(case)
        self.documents.setdefault(case["common"]["uuid"], [])
        return str(case["common"]["uuid"])

    def filed(self, case_uuid: str) -> list[dict[str, Any]]:
        return self.documents.get(case_uuid, [])

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/token", self.token)
        app.router.add_put("/api/Case/GetList", self.case_list)
        app.router.add_put("/api/Document/GetList", self.document_list)
        app.router.add_post("/api/Document/UploadFile/{transaction}/{document}", self.upload_file)
        app.router.add_post("/api/Document/Import", self.import_document)
        app.router.add_post("/momentum/oauth2/token", self.momentum_token)
        app.router.add_get("/momentum/citizens/find", self.citizen_find)
        app.router.add_get("/momentum/responsibleCaseworkers/all/byCitizen/{id}", self.responsible_caseworkers)
        app.router.add_get("/momentum/employees/{id}", self.employee)
        return app

    # -- auth and the api-version every call carries

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
            version = request.query.get("api-version")
            if version is None:
                return web.json_response({"error": {"code": "ApiVersionUnspecified", "message":
                                                    "An API version is required, but was not specified."}}, status=400)
            if version not in VERSIONS:
                return web.json_response({"error": {"code": "UnsupportedApiVersion", "message":
                                                    f"The HTTP resource does not support the API version '{version}'."}},
                                         status=400)
        if request.path.startswith("/momentum/") and not request.path.endswith("/token"):
            if request.headers.get("apikey") != MOMENTUM_APIKEY:
                return web.json_response({"statusCode": 401, "message":
                                          "Access denied due to missing subscription key."}, status=401)
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return web.json_response({"statusCode": 401, "message": "Unauthorized"}, status=401)
        return await handler(request)

    async def token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_forms.append(form)
        if (fault := self._fault("token")) is not None:
            return web.json_response({"error": "temporarily_unavailable"}, status=int(fault))
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("scope") != "client":
            return web.json_response({"error": "invalid_scope", "error_description": "Invalid scopes"}, status=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"error": "unauthorized_client",
                                      "error_description": "Invalid client or Invalid client credentials"},
                                     status=401)
        return web.json_response(self._new_token(300))

    def _new_token(self, seconds: int) -> dict[str, Any]:
        value = uuid.uuid4().hex
        self.tokens.add(value)
        return {"access_token": value, "expires_in": seconds, "token_type": "Bearer", "scope": "client"}

    # -- cases

    async def case_list(self, request: web.Request) -> web.Response:
        body, refused = await self._json(request, "Case/GetList", CASE_SEARCH_KEYS)
        if refused is not None:
            return refused
        if (fault := self._fault("Case/GetList")) == "echo_cpr":
            ident = (body.get("caseParty") or {}).get("identification")
            return web.json_response({"errors": {"caseParty.identification": [f"No access to party '{ident}'."]},
                                      "status": 400}, status=400)
        if fault is not None:
            return web.json_response({}, status=int(fault))
        paging, problem = _paging(body)
        if problem:
            return _invalid("paging", problem)
        party = body.get("caseParty") or {}
        number = (body.get("caseAttributes") or {}).get("userFriendlyCaseNumber")
        wanted_uuid = (body.get("common") or {}).get("uuid")
        if party:
            kind, ident = party.get("identificationType"), party.get("identification")
            if kind not in IDENTIFICATION_TYPES:
                return _invalid("caseParty.identificationType", f"The value '{kind}' is not valid.")
            if kind == "CprNummer" and not (isinstance(ident, str) and re.fullmatch(r"\d{10}", ident)):
                return _invalid("caseParty.identification", f"'{ident}' is not a valid CPR number (10 digits).")
        elif not number and not wanted_uuid:
            return _invalid("caseParty", "At least one search criterion must be given.")
        output = body.get("caseGetOutput")
        if not isinstance(output, dict):
            return _invalid("caseGetOutput", "The caseGetOutput field is required.")
        found = [case for case in self.cases
                 if (not party or any(p["identificationType"] == party["identificationType"]
                                      and p["identification"] == party["identification"]
                                      for p in case["caseParties"]))
                 and (not number or case["caseAttributes"]["userFriendlyCaseNumber"] == number)
                 and (not wanted_uuid or case["common"]["uuid"] == wanted_uuid)]
        start, rows = paging
        page = found[start - 1:start - 1 + rows]
        return web.json_response({
            "pagingInformation": {"numberOfRows": len(page), "hasMoreRows": start - 1 + rows < len(found),
                                  "totalNumberOfRows": len(found)},
            "cases": [_project_case(case, output) for case in page]})

    # -- documents

    async def document_list(self, request: web.Request) -> web.Response:
        body, refused = await self._json(request, "Document/GetList", DOCUMENT_LIST_KEYS)
        if refused is not None:
            return refused
        if (fault := self._fault("Document/GetList")) is not None:
            return web.json_response({}, status=int(fault))
        case_uuid = body.get("caseUuid")
        if not (isinstance(case_uuid, str) and GUID.fullmatch(case_uuid)):
            return _invalid("caseUuid", f"The value '{case_uuid}' is not a valid Guid.")
        paging, problem = _paging(body)
        if problem:
            return _invalid("paging", problem)
        output = body.get("getOutput") or {}
        every = self.documents.get(case_uuid, [])
        start, rows = paging
        page = every[start - 1:start - 1 + rows]
        shown = [{"documentUuid": d["documentUuid"], "documentNumber": d["documentNumber"],
                  **{key: d[key] for key, flag in output.items() if flag is True and key in d}} for d in page]
        return web.json_response({
            "pagingInformation": {"numberOfRows": len(page), "hasMoreRows": start - 1 + rows < len(every),
                                  "totalNumberOfRows": len(every)},
            "documents": shown})

    async def upload_file(self, request: web.Request) -> web.Response:
        self.hits["UploadFile"] += 1
        transaction, document = request.match_info["transaction"], request.match_info["document"]
        if not GUID.fullmatch(transaction) or not GUID.fullmatch(document):
            return _invalid("transactionId", "The transactionId and documentUuid must be Guids.")
        if not request.content_type.startswith("multipart/form-data"):
            return web.json_response({"title": "Unsupported Media Type", "status": 415}, status=415)
        form = await request.post()
        part = form.get("file")
        if part is None or not isinstance(part, web.FileField):
            return _invalid("file", "The file field is required.")
        stored = (part.filename, part.file.read(), part.content_type)
        fault = self._fault("UploadFile")
        if isinstance(fault, int):
            return web.json_response({}, status=fault)
        self.staged[document.lower()] = stored
        return await self._after_store(fault, web.Response(status=200))

    async def import_document(self, request: web.Request) -> web.Response:
        body, refused = await self._json(request, "Import", IMPORT_KEYS)
        if refused is not None:
            return refused
        common = body.get("common") or {}
        document = common.get("uuid")
        if not (isinstance(document, str) and GUID.fullmatch(document)):
            return _invalid("common.uuid", "The uuid of the uploaded file is required.")
        case = next((c for c in self.cases if c["common"]["uuid"] == body.get("caseUuid")), None)
        if case is None:
            return _invalid("caseUuid", "The case does not exist.")
        if any(d["documentUuid"] == document.lower() for docs in self.documents.values() for d in docs):
            return _invalid("common.uuid", "A document with this uuid already exists.")
        if document.lower() not in self.staged:
            return _invalid("common.uuid", "No uploaded file with this uuid.")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            return _invalid("title", "The title field is required.")
        if body.get("documentType") not in DOCUMENT_TYPES:
            return _invalid("documentType", f"The value '{body.get('documentType')}' is not valid.")
        if "sensitivity" in body and body["sensitivity"] not in SENSITIVITIES:
            return _invalid("sensitivity", f"The value '{body['sensitivity']}' is not valid.")
        if not isinstance(body.get("approved", False), bool):
            return _invalid("approved", "The approved field must be a boolean.")
        fault = self._fault("Import")
        if isinstance(fault, int):
            return web.json_response({}, status=fault)
        filename, content, content_type = self.staged.pop(document.lower())
        docs = self.documents[case["common"]["uuid"]]
        docs.append({"documentUuid": document.lower(), "documentNumber": f"D{len(docs) + 1}", "title": title,
                     "sensitivity": body.get("sensitivity", "IkkeFortrolige"), "documentType": body["documentType"],
                     "description": body.get("description"), "approved": body.get("approved", False),
                     "documentDate": body.get("documentDate"), "fileExtension": filename.rsplit(".", 1)[-1],
                     "filename": filename, "content": content, "contentType": content_type, "import": body})
        return await self._after_store(fault, web.json_response({}))

    # -- Momentum

    async def momentum_token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_forms.append(form)
        if form.get("resource") != MOMENTUM_RESOURCE:
            return web.json_response({"error": "invalid_resource"}, status=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != MOMENTUM_SECRET:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(self._new_token(3599))

    async def citizen_find(self, request: web.Request) -> web.Response:
        citizen = self.citizens.get(request.query.get("cpr", ""))
        if citizen is None:
            return web.json_response({"statusCode": 404, "message": "Citizen not found"}, status=404)
        return web.json_response({"citizenId": citizen, "id": citizen})

    async def responsible_caseworkers(self, request: web.Request) -> web.Response:
        return web.json_response(self.responsible.get(request.match_info["id"], []))

    async def employee(self, request: web.Request) -> web.Response:
        found = self.employees.get(request.match_info["id"])
        return web.json_response(found) if found else web.json_response({}, status=404)

    # -- helpers

    def _fault(self, name: str) -> Any:
        queued = self.faults.get(name)
        return queued.pop(0) if queued else None

    async def _after_store(self, fault: Any, answer: web.Response) -> web.Response:
        if fault == "store_then_timeout":
            try:
                await asyncio.wait_for(self.release.wait(), 5)
            except TimeoutError:
                pass
            return web.Response(status=504)
        if fault == "store_then_503":
            return web.json_response({}, status=503)
        return answer

    async def _json(self, request: web.Request, name: str, known: set[str]) -> tuple[dict[str, Any], Any]:
        """The JSON body, or a 400 answer when its shape is wrong (unknown or miscased keys, no transactionId)."""
        self.hits[name] += 1
        if request.content_type != "application/json":
            return {}, web.json_response({"title": "Unsupported Media Type", "status": 415}, status=415)
        body = await request.json()
        self.bodies.setdefault(name, []).append(body)
        if not isinstance(body, dict):
            return {}, _invalid("$", "A JSON object is required.")
        unknown = sorted(set(body) - known)
        if unknown:
            return {}, _invalid(unknown[0], f"Could not find member '{unknown[0]}' on the request object.")
        transaction = (body.get("common") or {}).get("transactionId")
        if not (isinstance(transaction, str) and GUID.fullmatch(transaction)):
            return {}, _invalid("common.transactionId", "The transactionId field is required (a Guid).")
        return body, None


def _invalid(key: str, message: str) -> web.Response:
    """ASP.NET Core's validation problem, the answer a .NET API gives a request of the wrong shape."""
    return web.json_response({"type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
                              "title": "One or more validation errors occurred.", "status": 400,
                              "errors": {key: [message]}}, status=400)


def _paging(body: dict[str, Any]) -> tuple[tuple[int, int], str | None]:
    paging = body.get("paging")
    if paging is None:
        return (1, 100), None
    start, rows = paging.get("startRow"), paging.get("numberOfRows")
    if not isinstance(start, int) or not isinstance(rows, int) or start < 1 or not 1 <= rows <= 500:
        return (1, 1), "startRow from 1 and numberOfRows from 1 to 500 are required."
    return (start, rows), None


def _project(value: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, flag in spec.items():
        if key not in value:
            continue
        if flag is True:
            shown[key] = value[key]
        elif isinstance(flag, dict) and isinstance(value[key], dict):
            shown[key] = _project(value[key], flag)
    return shown


def _project_case(case: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """Only the fields caseGetOutput asks for; the party projection `caseParty` answers as `caseParties`."""
    shown = {"common": {"uuid": case["common"]["uuid"]},
             **_project(case, {k: v for k, v in output.items() if k != "caseParty"})}
    if isinstance(output.get("caseParty"), dict):
        shown["caseParties"] = [_project(p, output["caseParty"]) for p in case["caseParties"]]
    return shown


async def serve(fake: FakeNova) -> AsyncIterator[str]:
    """Serve `fake` on a free loopback port; yields the base URL (no trailing slash)."""
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        fake.release.set()
        await runner.cleanup()


@contextmanager
def serve_in_thread(fake: FakeNova) -> Iterator[str]:
    """Serve `fake` from its own event loop in a thread, for a test that runs the robot as another process."""
    loop = asyncio.new_event_loop()
    ready: list[str] = []
    started = threading.Event()
    stop: asyncio.Event | None = None

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        fake.release = asyncio.Event()
        async for base in serve(fake):
            ready.append(base)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield ready[0]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
