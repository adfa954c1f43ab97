"""A fake GetOrganized on loopback: `_goapi` and the case web's SharePoint REST behind a real NTLM handshake.

It answers in the shapes the public clients read (itk-dev/getorganized-api-client-php, OS2Forms/os2forms_get_organized,
AAK-MBU's GO code, itk-dev-rpa's go_api.py): JSON with z:row XML strings inside, documents as integer arrays,
`{"DocId": n}`. It is deliberately stricter than GetOrganized where that proves the robot's requests: key casing as
the clients send it, a ten-digit CPR, a well-formed z:row, an existing case and list; a wrong request gets 400 with
an ASP.NET-style `{"Message": ...}` and is recorded in `refused`. Fault switches: store-then-timeout, store-then-503,
a finish step failing once."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from tests.ntlm_server import NtlmGate

ROWSET = "#RowsetSchema"
_FORBIDDEN_NAME = re.compile(r'["*:<>?/\\|#%]|^[\s.]|[\s.]$')
_FILES = re.compile(r"^/cases/([^/]+)/([^/]+)/_api/web/getfolderbyserverrelativeurl\('([^']*)'\)/files$", re.I)


@dataclass
class GoCase:
    """A case as GetOrganized holds it."""

    case_id: str
    cpr: str  # ten digits
    name: str = "Test Borger"
    status: str = "Åben"
    owner: str = "18;#Anne Holm"
    web: str = "BOR12"
    contact_id: int = 4711
    fields: dict[str, str] = field(default_factory=dict)  # more ows_ attributes (ows_Afdeling, ...)
    deleted: bool = False

    @property
    def url(self) -> str:
        return f"/cases/{self.web}/{self.case_id}"

    def row(self) -> dict[str, str]:
        return {"ows_CaseID": self.case_id, "ows_Title": f"{self.cpr} - {self.name}", "ows_CaseStatus": self.status,
                "ows_CaseOwner": self.owner, "ows_CCMContactData": f"{self.name};#{self.contact_id};#{self.cpr};#;#",
                "ows_CCMContactData_CPR": self.cpr, "ows_CaseUrl": self.url.lstrip("/"), **self.fields}


@dataclass
class GoDocument:
    """A stored document: where, its bytes and metadata, and whether it is journalised / finalised."""

    doc_id: int
    case_id: str
    folder: str  # "Dokumenter" or "Dokumenter/<FolderPath>"
    name: str
    data: bytes
    metadata: dict[str, str]
    record_number: int = 0
    finalized: bool = False

    def row(self) -> dict[str, str]:
        return {"ows_DocID": str(self.doc_id), "ows_CaseID": self.case_id, **self.metadata,
                "ows_Finalized": "1" if self.finalized else "0", "ows_CaseRecordNumber": str(self.record_number)}


def z_row(values: dict[str, str]) -> str:
    attributes = " ".join(f'{name}="{escape(value, {chr(34): "&quot;"})}"' for name, value in values.items())
    return f'<z:row xmlns:z="{ROWSET}" {attributes} />'


class Refused(Exception):
    """A request GetOrganized (or this stricter fake) would not carry out."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class FakeGetOrganized:
    """The cases, the stored documents, every request seen, and the fault switches."""

    cases: dict[str, GoCase] = field(default_factory=dict)
    documents: list[GoDocument] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # "POST /_goapi/documents/addtodocumentlibrary", lower-cased
    bodies: list[Any] = field(default_factory=list)  # the JSON bodies, in order
    refused: list[str] = field(default_factory=list)
    store_then_timeout: int = 0  # uploads that are stored and then answered only when the client gave up
    store_then_503: int = 0  # uploads that are stored and then answered 503
    fail_step: dict[str, int] = field(default_factory=dict)  # "journalize" / "finalize" -> times to answer 500
    gate: NtlmGate = field(default_factory=NtlmGate)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, case: GoCase) -> GoCase:
        self.cases[case.case_id] = case
        return case

    def uploads(self) -> int:
        return sum(1 for call in self.calls if call.startswith("POST /_goapi/documents/addto"))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.gate.middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/").lower()
        self.calls.append(f"{request.method} {path}")
        try:
            return await self._route(request, path)
        except Refused as refused:
            self.refused.append(str(refused))
            return web.json_response({"Message": str(refused)}, status=refused.status)

    async def _route(self, request: web.Request, path: str) -> web.StreamResponse:
        method = request.method
        if method == "POST" and path == "/_goapi/cases/findbycaseproperties":
            return self.find_by_case_properties(await self._json(request))
        if method == "GET" and path.startswith("/_goapi/cases/metadata/"):
            case = self.cases.get(request.path.rsplit("/", 1)[1])
            if case is None:
                raise Refused(404, "Case not found")
            return web.json_response({"Metadata": z_row(case.row())})
        if method == "POST" and path in ("/_goapi/documents/addtodocumentlibrary", "/_goapi/documents/addtocase"):
            key = "bytes" if path.endswith("addtodocumentlibrary") else "Bytes"
            return await self.add_document(await self._json(request), key)
        if method == "GET" and path.startswith("/_goapi/documents/metadata/"):
            return web.json_response({"Metadata": z_row(self._document(request.path.rsplit("/", 1)[1]).row())})
        if method == "POST" and path == "/_goapi/documents/markmultipleascaserecord/bydocumentid":
            return self.journalize(await self._json(request))
        if method == "POST" and path == "/_goapi/documents/finalize/bydocumentid":
            return self.finalize(await self._json(request))
        files = _FILES.match(request.path)
        if method == "GET" and files:
            return self.list_files(request, files.group(1), files.group(2), files.group(3))
        raise Refused(404, f"no such endpoint: {method} {request.path}")

    async def _json(self, request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise Refused(415, f"Content-Type {request.content_type!r} is not application/json")
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise Refused(400, "the body is no JSON") from None
        self.bodies.append(body)
        if not isinstance(body, dict):
            raise Refused(400, "the body is no JSON object")
        return body

    # ---------------------------------------------------------------- cases

    def find_by_case_properties(self, body: dict[str, Any]) -> web.Response:
        _keys(body, required=("FieldProperties", "CaseTypePrefixes"),
              optional=("LogicalOperator", "ExcludeDeletedCases", "ReturnCasesNumber", "IncludeSubCases"))
        properties, prefixes = body["FieldProperties"], body["CaseTypePrefixes"]
        if not isinstance(properties, list) or not properties or not isinstance(prefixes, list):
            raise Refused(400, "FieldProperties and CaseTypePrefixes must be lists")
        wanted = []
        for item in properties:
            _keys(item, required=("InternalName", "Value"), optional=("ComparisonType", "DataType", "IsMultiValue"))
            if item["InternalName"] == "ows_CCMContactData_CPR" and not re.fullmatch(r"\d{10}", str(item["Value"])):
                raise Refused(400, "ows_CCMContactData_CPR must be ten digits without a dash")
            wanted.append((item["InternalName"], str(item["Value"])))
        exclude_deleted = _flag(body.get("ExcludeDeletedCases", False))
        limit = int(body.get("ReturnCasesNumber", 25))
        found = [case for case in self.cases.values()
                 if case.case_id.split("-")[0] in prefixes and all(case.row().get(n) == v for n, v in wanted)
                 and not (exclude_deleted and case.deleted)]
        return web.json_response({"CasesInfo": [
            {"CaseID": case.case_id, "Title": case.row()["ows_Title"], "RelativeUrl": case.url,
             "ItemExists": not case.deleted} for case in found[:limit]]})

    # ---------------------------------------------------------------- documents

    async def add_document(self, body: dict[str, Any], bytes_key: str) -> web.StreamResponse:
        _keys(body, required=(bytes_key, "CaseId", "ListName", "FolderPath", "FileName", "Metadata", "Overwrite"),
              optional=("SiteUrl",))
        data = body[bytes_key]
        if not isinstance(data, list) or not all(isinstance(b, int) and 0 <= b <= 255 for b in data):
            raise Refused(400, f"{bytes_key} must be an array of integers 0-255")
        case = self.cases.get(body["CaseId"])
        if case is None:
            raise Refused(400, "Case does not exist")
        if body["ListName"] != "Dokumenter":
            raise Refused(400, f"List '{body['ListName']}' does not exist")
        name = body["FileName"]
        if not isinstance(name, str) or not name or _FORBIDDEN_NAME.search(name):
            raise Refused(400, "FileName is empty or holds characters SharePoint refuses")
        metadata = _parse_row(body["Metadata"])
        folder = "/".join(p for p in ("Dokumenter", str(body["FolderPath"]).strip("/")) if p)
        if any(d.case_id == case.case_id and d.folder == folder and d.name.lower() == name.lower()
               for d in self.documents):
            if not _flag(body["Overwrite"]):
                raise Refused(500, f"A file with the name {folder}/{name} already exists.")
            raise Refused(500, "The file is checked in and finalized; it cannot be overwritten.")
        document = GoDocument(215820 + len(self.documents), case.case_id, folder, name, bytes(data), metadata)
        self.documents.append(document)
        if self.store_then_timeout:
            self.store_then_timeout -= 1
            try:
                await asyncio.wait_for(self.release.wait(), 10)
            except TimeoutError:
                pass
        elif self.store_then_503:
            self.store_then_503 -= 1
            return web.Response(status=503, text="Service Unavailable")
        return web.json_response({"DocId": document.doc_id})

    def _document(self, doc_id: object) -> GoDocument:
        for document in self.documents:
            if str(document.doc_id) == str(doc_id):
                return document
        raise Refused(404, "Document not found")

    def _fails(self, step: str) -> bool:
        if self.fail_step.get(step, 0) > 0:
            self.fail_step[step] -= 1
            return True
        return False

    def journalize(self, body: dict[str, Any]) -> web.Response:
        _keys(body, required=("DocumentIds",), optional=())
        ids = body["DocumentIds"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            raise Refused(400, "DocumentIds must be a list of integers")
        documents = [self._document(i) for i in ids]
        if self._fails("journalize"):
            raise Refused(500, "An unexpected error occurred")
        for document in documents:
            if document.finalized or document.record_number:
                raise Refused(400, f"Document {document.doc_id} is already a case record or finalized")
            document.record_number = 1 + max(d.record_number for d in self.documents if d.case_id == document.case_id)
        return web.json_response({})

    def finalize(self, body: dict[str, Any]) -> web.Response:
        _keys(body, required=("DocID",), optional=("ShouldCloseOpenTasks",))
        if not isinstance(body["DocID"], int) or isinstance(body["DocID"], bool):
            raise Refused(400, "DocID must be an integer")
        document = self._document(body["DocID"])
        if self._fails("finalize"):
            raise Refused(500, "An unexpected error occurred")
        if document.finalized:
            raise Refused(400, f"Document {document.doc_id} is already finalized")
        document.finalized = True
        return web.json_response({})

    def list_files(self, request: web.Request, web_id: str, case_id: str, folder: str) -> web.Response:
        """SharePoint REST on the case web: the files of one folder of the document library."""
        case = self.cases.get(case_id)
        if case is None or case.web != web_id or not folder.startswith(case.url + "/"):
            raise Refused(404, "File Not Found.")
        if "application/json" not in request.headers.get("Accept", ""):
            raise Refused(406, "this fake answers JSON only (the clients ask with Accept: application/json)")
        wanted = folder[len(case.url) + 1:].strip("/")
        documents = [d for d in self.documents if d.case_id == case_id and d.folder.lower() == wanted.lower()]
        if not documents and wanted.lower() != "dokumenter":
            raise Refused(404, "File Not Found.")
        select = request.query.get("$select", "")
        expand = "listitemallfields" in request.query.get("$expand", "").lower()
        value = []
        for d in documents:
            item: dict[str, Any] = {}
            if not select or "name" in [s.strip().lower() for s in select.split(",")]:
                item.update(Name=d.name, ServerRelativeUrl=f"{case.url}/{d.folder}/{d.name}")
            if expand:
                item["ListItemAllFields"] = {"Id": d.doc_id - 215000, "DocID": d.doc_id,
                                             "Title": d.metadata.get("ows_Title"),
                                             "CaseRecordNumber": d.record_number}
            value.append(item)
        return web.json_response({"value": value})


def _keys(body: Any, *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Every required key, spelt as the public clients spell it; nothing unknown."""
    if not isinstance(body, dict):
        raise Refused(400, "an object was expected")
    for key in required:
        if key not in body:
            raise Refused(400, f"The request is invalid: '{key}' is required")
    for key in body:
        if key not in required and key not in optional:
            raise Refused(400, f"The request is invalid: unknown member '{key}'")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise Refused(400, f"{value!r} is no boolean")


def _parse_row(xml: Any) -> dict[str, str]:
    if not isinstance(xml, str):
        raise Refused(400, "Metadata must be a string")
    try:
        element = ElementTree.fromstring(xml)
    except ElementTree.ParseError as error:
        raise Refused(500, f"Metadata is not valid XML: {error}") from None
    if element.tag != f"{{{ROWSET}}}row" or len(element):
        raise Refused(400, "Metadata must be one z:row element")
    row = dict(element.attrib)
    for name, value in row.items():
        if not name.startswith("ows_") or not value:
            raise Refused(400, f"Metadata attribute {name!r} is no ows_ field or is empty")
    return row


async def running(fake: FakeGetOrganized) -> AsyncIterator[str]:
    """Serve `fake` on a free loopback port; yields the base URL."""
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        fake.release.set()
        await runner.cleanup()
