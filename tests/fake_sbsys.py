"""A fake SBSYS web API and SBSIP Keycloak token endpoint on loopback, answering in the shapes the public clients show.

Shapes (see /work/research/getorganized_sbsys.md, Part 2): a password (or client-credentials) grant at
`/auth/realms/sbsip/protocol/openid-connect/token`, form-encoded; `Authorization: Bearer` on every `/api/` call, 401
without; `POST api/sag/search` with `{"PrimaerPerson": {"CprNummer": "DDMMYY-SSSS"}}` answering `{"Results": [Sag],
"TotalNumberOfResults": n}` in PascalCase (an unknown citizen: `Results: []`); `POST api/dokument/journaliser` as
multipart with a `file` part and a `json` form field (`SagID` int, `DokumentNavn`, no nulls, no extra properties);
`GET api/sag/{Id}/dokumenter` a bare list; `GET api/info/heartbeat/authorized`.

It is stricter than SBSYS may be where public material is silent: a CPR without the dash, a key in another casing
and an unknown property are refused with 400 and an ASP.NET-style `{"Message", "ModelState"}` body (the CPR echoed,
as a real error body may), so a test passing here proves the adapter sends the shapes the clients send.

Faults: `journalise_faults` ("store_then_timeout": stores, then answers nothing until the client gives up;
"store_then_503": stores, then 503; "503": refuses before storing), `list_faults` (HTTP statuses for the next
document lists; `list_faults_after_store` arms them once a document is stored), `search_faults` (statuses for the
next searches, the body echoing the CPR), `refuse_tokens`, `revoke_tokens()` (a token the API no longer accepts)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import typedefs as web_typedefs
from aiohttp import web

TOKEN_PATH = "/auth/realms/sbsip/protocol/openid-connect/token"
_CPR = re.compile(r"\d{6}-\d{4}")
_SEARCH_KEYS = {"PrimaerPerson", "Limit", "Skip"}
_JOURNALISE_KEYS = {"SagID", "DokumentNavn", "Beskrivelse", "OmfattetAfAktindsigt", "DokumentArt"}
_TILSTAND_NUMBER = {"Aktiv": 0, "Hvilende": 1, "Afsluttet": 2}


def _invalid(field_name: str, message: str) -> web.Response:
    return web.json_response({"Message": "The request is invalid.", "ModelState": {f"model.{field_name}": [message]}},
                             status=400)


@dataclass
class FakeSbsys:
    """The system's state: cases, journalised documents, issued tokens, and what arrived."""

    client_id: str = "lae-robot"
    client_secret: str = "klient-hemmelighed-1"
    username: str = "svc-lae-robot"
    password: str = "kodeord-1"
    allow_client_credentials: bool = False
    tilstand_as_number: bool = False  # SagsTilstand on the wire as 0/1/2 instead of its name
    hang_seconds: float = 5.0
    cases: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, bytes] = field(default_factory=dict)
    journalise_faults: list[str] = field(default_factory=list)
    list_faults: list[int] = field(default_factory=list)
    list_faults_after_store: list[int] = field(default_factory=list)  # list_faults armed once a document is stored
    search_faults: list[int] = field(default_factory=list)  # statuses; the error body echoes the CPR
    stray_results: list[dict[str, Any]] = field(default_factory=list)  # answered to every search, whoever it is for
    refuse_tokens: bool = False
    token_forms: list[dict[str, str]] = field(default_factory=list)
    searches: list[Any] = field(default_factory=list)
    journalise_posts: list[dict[str, Any]] = field(default_factory=list)  # the json field and the file part
    calls: list[str] = field(default_factory=list)  # "METHOD /path" of every API call that passed the token check
    _tokens: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(90001))
    _release: asyncio.Event | None = None

    # -- seeding

    def add_case(self, sag_id: int, cpr: str, nummer: str, *, tilstand: str = "Aktiv", status_navn: str | None = None,
                 citizen: str = "Sofie Rasmussen", logon_id: str | None = "ANHO", behandler: str = "Anne Holm",
                 team: str | None = "Sygedagpenge Nord", sagstype: str = "BorgerSag",
                 skabelon: str = "Sygedagpenge", fagomraade: str = "Beskæftigelse") -> dict[str, Any]:
        """A Sag as SBSYS answers it (OS2agora SagDtoV10, Odense's reads); `cpr` as DDMMYY-SSSS."""
        status: dict[str, Any] = {"Id": _TILSTAND_NUMBER[tilstand] + 1, "Navn": status_navn or tilstand, "Orden": 1,
                                  "SagsTilstand": _TILSTAND_NUMBER[tilstand] if self.tilstand_as_number else tilstand,
                                  "RequireComments": False, "SagsStatusKommentar": None}
        sag: dict[str, Any] = {
            "Id": sag_id, "SagIdentity": str(uuid.uuid4()), "Nummer": nummer, "SagsTitel": skabelon,
            "SagsStatus": status,
            "Behandler": {"Id": 12, "Uuid": str(uuid.uuid4()), "LogonId": logon_id, "Navn": behandler},
            "PrimaryPart": {"PartId": 500 + sag_id % 100, "PartType": "Person", "CPRnummer": cpr, "Navn": citizen},
            "SagsTyper": [{"Id": 2, "Navn": sagstype}],
            "SagSkabelon": {"Id": 332, "Uuid": str(uuid.uuid4()), "Navn": skabelon},
            "Fagomraade": {"Id": 3, "Navn": fagomraade},
            "Ansaettelsessted": {"Id": 7, "Uuid": str(uuid.uuid4()), "Navn": team} if team else None,
            "Opstaaet": "2026-01-05T09:00:00+01:00", "Oprettet": "2026-01-05T09:00:00+01:00", "ErBeskyttet": False,
        }
        self.cases.append(sag)
        self.documents.setdefault(sag_id, [])
        return sag

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    def case(self, sag_id: int) -> dict[str, Any] | None:
        return next((c for c in self.cases if c["Id"] == sag_id), None)

    # -- the app

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._bearer])
        app.router.add_post(TOKEN_PATH, self.token)
        app.router.add_post("/api/sag/search", self.search)
        app.router.add_get("/api/sag/{id}/dokumenter", self.list_documents)
        app.router.add_get("/api/sag/{id}", self.get_case)
        app.router.add_post("/api/dokument/journaliser", self.journalise)
        app.router.add_get("/api/info/heartbeat/authorized", self.heartbeat)
        return app

    @web.middleware
    async def _bearer(self, request: web.Request, handler: web_typedefs.Handler) -> web.StreamResponse:
        if request.path.startswith("/api/"):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or header[len("Bearer "):] not in self._tokens:
                return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            self.calls.append(f"{request.method} {request.path}")
        return await handler(request)

    async def token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"error": "invalid_request", "error_description": "form expected"}, status=400)
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_forms.append(form)
        grant = form.get("grant_type")
        if grant not in ("password", "client_credentials") or (grant == "client_credentials"
                                                                and not self.allow_client_credentials):
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "unauthorized_client",
                                      "error_description": "Invalid client or Invalid client credentials"}, status=401)
        if self.refuse_tokens or (grant == "password" and (form.get("username"), form.get("password"))
                                  != (self.username, self.password)):
            return web.json_response({"error": "invalid_grant", "error_description": "Invalid user credentials"},
                                     status=401)
        token = uuid.uuid4().hex
        self._tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 300, "refresh_expires_in": 1800,
                                  "refresh_token": uuid.uuid4().hex, "token_type": "Bearer", "not-before-policy": 0,
                                  "session_state": str(uuid.uuid4()), "scope": "profile email"})

    async def search(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.json_response({"Message": f"The request entity's media type '{request.content_type}' is not "
                                                 "supported for this resource."}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return _invalid("body", "Ugyldig JSON")
        self.searches.append(body)
        if not isinstance(body, dict):
            return _invalid("body", "Et søgeobjekt forventes")
        for key in body:
            if key not in _SEARCH_KEYS:
                return _invalid(key, f"Ukendt felt '{key}'")
        person = body.get("PrimaerPerson")
        if not isinstance(person, dict) or set(person) != {"CprNummer"}:
            return _invalid("PrimaerPerson", "PrimaerPerson med CprNummer forventes")
        cpr = person["CprNummer"]
        if not isinstance(cpr, str) or not _CPR.fullmatch(cpr):
            return _invalid("PrimaerPerson.CprNummer", f"CprNummer '{cpr}' skal have formen DDMMYY-SSSS")
        limit, skip = body.get("Limit", 100), body.get("Skip", 0)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (limit, skip)):
            return _invalid("Limit", "Limit og Skip skal være hele tal")
        if self.search_faults:
            return web.json_response({"Message": f"Søgningen efter {cpr} fejlede"}, status=self.search_faults.pop(0))
        found = [c for c in self.cases if c["PrimaryPart"]["CPRnummer"] == cpr]
        found += self.stray_results
        return web.json_response({"Results": found[skip:skip + limit], "TotalNumberOfResults": len(found)})

    async def get_case(self, request: web.Request) -> web.Response:
        sag = self.case(int(request.match_info["id"])) if request.match_info["id"].isdigit() else None
        return web.json_response(sag) if sag else web.json_response({"Message": "Sag findes ikke"}, status=404)

    async def list_documents(self, request: web.Request) -> web.Response:
        if self.list_faults:
            return web.json_response({"Message": "Fejl"}, status=self.list_faults.pop(0))
        raw = request.match_info["id"]
        if not raw.isdigit() or self.case(int(raw)) is None:
            return web.json_response({"Message": "Sag findes ikke"}, status=404)
        rows = [{key: doc[key] for key in ("Id", "DokumentID", "DokumentIdentity", "DokumentNavn", "Beskrivelse",
                                           "RegistreringsDato", "Behandler", "DeletedState")}
                for doc in self.documents[int(raw)]]
        return web.json_response(rows)

    async def journalise(self, request: web.Request) -> web.StreamResponse:
        if not request.content_type.startswith("multipart/form-data"):
            return web.json_response({"Message": f"The request entity's media type '{request.content_type}' is not "
                                                 "supported for this resource."}, status=415)
        fields: dict[str, str] = {}
        upload: tuple[str, str, bytes] | None = None
        async for part in await request.multipart():
            if part.name == "file" and part.filename:  # type: ignore[union-attr]
                upload = (part.filename, part.headers.get("Content-Type", ""), bytes(await part.read()))  # type: ignore[union-attr]
            elif part.name in ("json",) and not getattr(part, "filename", None):
                fields[part.name] = await part.text()  # type: ignore[union-attr]
            else:
                return _invalid(str(part.name), f"Ukendt del '{part.name}'")
        if "json" not in fields:
            return _invalid("json", "Feltet json mangler")
        try:
            metadata = json.loads(fields["json"])
        except ValueError:
            return _invalid("json", "Feltet json er ikke gyldig JSON")
        if not isinstance(metadata, dict):
            return _invalid("json", "Et dokumentobjekt forventes")
        for key, value in metadata.items():
            if key not in _JOURNALISE_KEYS or value is None:
                return _invalid(key, f"Egenskaben '{key}' kan ikke bindes")
        sag_id, name = metadata.get("SagID"), metadata.get("DokumentNavn")
        if isinstance(sag_id, bool) or not isinstance(sag_id, int):
            return _invalid("SagID", "SagID skal være et heltal")
        if not isinstance(name, str) or not name.strip():
            return _invalid("DokumentNavn", "DokumentNavn mangler")
        if upload is None:
            return _invalid("file", "Filen mangler")
        if not upload[2].startswith(b"%PDF"):
            return _invalid("file", "Filtypen er ikke tilladt")
        self.journalise_posts.append({"json": metadata, "filename": upload[0], "content_type": upload[1]})
        sag = self.case(sag_id)
        if sag is None:
            return web.json_response({"Message": f"Sag {sag_id} findes ikke"}, status=404)
        if sag["SagsStatus"]["SagsTilstand"] in ("Afsluttet", 2):
            return web.json_response({"Message": "Sagen er afsluttet og kan ikke ændres"}, status=409)
        fault = self.journalise_faults.pop(0) if self.journalise_faults else None
        if fault == "503":
            return web.Response(status=503, text="Service Unavailable")
        document = self._store(sag, metadata, upload)
        if fault == "store_then_timeout":
            await asyncio.wait_for(self._released().wait(), self.hang_seconds)
        if fault in ("store_then_timeout", "store_then_503"):
            return web.Response(status=503, text="Service Unavailable")
        return web.json_response(document)

    async def heartbeat(self, request: web.Request) -> web.Response:
        return web.json_response(True)

    def _store(self, sag: dict[str, Any], metadata: dict[str, Any], upload: tuple[str, str, bytes]) -> dict[str, Any]:
        number = next(self._ids)
        stem, _, extension = upload[0].rpartition(".")
        document = {
            "Id": number, "DokumentID": number + 500_000, "DokumentIdentity": str(uuid.uuid4()),
            "DokumentRegistreringIdentity": str(uuid.uuid4()), "SagID": sag["Id"], "SagsNummer": sag["Nummer"],
            "DokumentNavn": metadata["DokumentNavn"], "Beskrivelse": metadata.get("Beskrivelse", ""),
            "RegistreringsDato": datetime.now(UTC).isoformat(), "RegistreretAfID": 77,
            "Behandler": {"Id": 77, "LogonId": "SVC-LAE", "Navn": "lae-robot"},
            "DokumentArt": {"Id": metadata["DokumentArt"]["Id"], "Navn": "Indgående"} if "DokumentArt" in metadata
            else None,
            "OmfattetAfAktindsigt": metadata.get("OmfattetAfAktindsigt", True), "PaaPostliste": False,
            "Filer": [{"Id": str(uuid.uuid4()), "Filnavn": stem or upload[0], "Filendelse": extension,
                       "ErPrimaerFil": True, "MimeType": upload[1] or "application/octet-stream"}],
            "DeletedState": 0, "EksternId": None,
        }
        self.documents[sag["Id"]].append(document)
        self.list_faults.extend(self.list_faults_after_store)
        self.list_faults_after_store.clear()
        self.files[number] = upload[2]
        return document

    def _released(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def release(self) -> None:
        """Let a hanging answer end (before the server stops)."""
        if self._release is not None:
            self._release.set()


async def serve(fake: FakeSbsys) -> AsyncIterator[str]:
    """Run the fake on a free loopback port; yields its base URL (ending in '/')."""
    runner = web.AppRunner(fake.app(), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        fake.release()
        await runner.cleanup()


@contextmanager
def serve_in_thread(fake: FakeSbsys) -> Iterator[str]:
    """The fake on its own event loop in a thread, for a test that runs the robot as a separate process."""
    loop = asyncio.new_event_loop()
    started: asyncio.Future[str] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        async for base in serve(fake):
            started.set_result(base)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    base = asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(started), 10), loop).result(15)
    try:
        yield base
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
