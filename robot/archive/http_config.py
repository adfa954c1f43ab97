"""The HTTP archive's settings as frozen data, read from a TOML table with errors that name the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robot.archive.config import Table
from robot.archive.remote.client import CONNECTION_KEYS, ConnectionSettings, read_connection
from robot.archive.templates import placeholders
from robot.config_error import ConfigError

METHODS = ("GET", "POST", "PUT", "PATCH")
METADATA_NAMES = frozenset({"case_id", "form", "form_title", "received", "sha256", "filename", "sender"})
UPLOAD_PATH_NAMES = frozenset({"case_id", "sha256", "filename"})
UPLOAD_BODY_NAMES = METADATA_NAMES | {"document_base64"}
THEN_NAMES = METADATA_NAMES | {"document_ref"}


@dataclass(frozen=True)
class Call:
    """One request: method, path (relative to base_url; may carry a query) and an optional JSON body template."""

    method: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class CaseFields:
    """Dotted paths into one result item for each Case field; `cpr`, when set, is checked against the lookup."""

    case_id: str
    status: str
    case_type: str | None = None
    caseworker_email: str | None = None
    team: str | None = None
    title: str | None = None
    cpr: str | None = None
    name: str | None = None  # the citizen's name: turns on the name check


@dataclass(frozen=True)
class PersonStep:
    """An optional first call that finds the citizen's id(s); the case search then runs once per {person_id}."""

    call: Call
    results: str
    id: str
    cpr: str | None = None


@dataclass(frozen=True)
class LookupConfig:
    call: Call
    results: str
    fields: CaseFields
    status_open_values: tuple[str, ...]
    person: PersonStep | None = None


@dataclass(frozen=True)
class RequestFields:
    """Dotted paths into one result item for each column of the requests export (README "Requests and their
    certificates"); the optional ones left out are not read."""

    request_id: str
    cpr: str
    case_id: str
    form: str
    sent: str
    addressee: str | None = None
    caseworker_email: str | None = None
    deadline: str | None = None

    def paths(self) -> dict[str, str]:
        """Each configured column and the path it is read from."""
        return {name: path for name, path in vars(self).items() if path is not None}


@dataclass(frozen=True)
class RequestsConfig:
    """The call that lists the LÆ requests the case system sent, where the list is in its answer, and the fields."""

    call: Call
    results: str
    fields: RequestFields


@dataclass(frozen=True)
class UploadConfig:
    call: Call
    mode: Literal["json_base64", "multipart"]
    file_field: str = "file"
    form_fields: tuple[tuple[str, str], ...] = ()
    document_ref: str | None = None
    exists_status: tuple[int, ...] = (409,)
    then: Call | None = None

    @property
    def then_uses_ref(self) -> bool:
        """The step after the upload names the stored document (finalise it by its id)."""
        return self.then is not None and "document_ref" in placeholders(self.then.path) | placeholders(self.then.body)


@dataclass(frozen=True)
class HttpArchiveConfig:
    """Everything the HTTP archive needs; secrets are not here, only the names of the variables that hold them."""

    connection: ConnectionSettings
    lookup: LookupConfig
    upload: UploadConfig
    health: Call
    requests: RequestsConfig | None = None  # the case system's list of requests sent, when it offers one

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> HttpArchiveConfig:
        """Build from a settings table; ConfigError names the first wrong key and what was expected."""
        table = Table.of(data)
        table.only(*CONNECTION_KEYS, "lookup", "upload", "health", "requests")
        requests = table.optional_sub("requests")
        return cls(
            connection=read_connection(table, base),
            lookup=_lookup(table.sub("lookup")),
            upload=_upload(table.sub("upload")),
            health=_call(table.sub("health"), frozenset(), None),
            requests=_requests(requests) if requests is not None else None,
        )


def _call(
    table: Table, path_names: frozenset[str], body_names: frozenset[str] | None, extra: tuple[str, ...] = ()
) -> Call:
    """A request template; `body_names` None means the call takes no JSON body."""
    table.only("method", "path", *(("body",) if body_names is not None else ()), *extra)
    method = table.string("method", choices=METHODS)
    path = table.string("path")
    template = table.raw("body", None) if body_names is not None else None
    if template is not None and not isinstance(template, (Mapping, list)):
        raise ConfigError(table.key("body"), "a JSON object or list as a table or array")
    _known_placeholders(table, "path", path, path_names)
    _known_placeholders(table, "body", template, body_names or frozenset())
    return Call(method=method, path=path, body=template)


def _known_placeholders(table: Table, name: str, template: Any, allowed: frozenset[str]) -> None:
    unknown = placeholders(template) - allowed
    if unknown:
        known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
        raise ConfigError(table.key(name), f"only the placeholders {known}, got {{{sorted(unknown)[0]}}}")


def _lookup(table: Table) -> LookupConfig:
    extra = ("results", "fields", "status_open_values", "person")
    person_table = table.optional_sub("person")
    allowed = frozenset({"cpr", "person_id"} if person_table is not None else {"cpr"})
    call = _call(table, allowed, allowed, extra)
    if person_table is not None and "person_id" not in placeholders(call.path) | placeholders(call.body):
        raise ConfigError(table.key("path"), "the placeholder {person_id} (in path or body) with a person step")
    return LookupConfig(
        call=call,
        results=table.text("results", ""),
        fields=_fields(table.sub("fields")),
        status_open_values=table.scalars("status_open_values", ("open",)),
        person=_person(person_table) if person_table is not None else None,
    )


def _fields(table: Table) -> CaseFields:
    table.only("case_id", "status", "case_type", "caseworker_email", "team", "title", "cpr", "name")
    return CaseFields(
        case_id=table.string("case_id"),
        status=table.string("status"),
        case_type=table.optional_string("case_type"),
        caseworker_email=table.optional_string("caseworker_email"),
        team=table.optional_string("team"),
        title=table.optional_string("title"),
        cpr=table.optional_string("cpr"),
        name=table.optional_string("name"),
    )


def _requests(table: Table) -> RequestsConfig:
    call = _call(table, frozenset(), frozenset(), ("results", "fields"))
    fields = table.sub("fields")
    fields.only("request_id", "cpr", "case_id", "form", "sent", "addressee", "caseworker_email", "deadline")
    return RequestsConfig(call=call, results=table.text("results", ""), fields=RequestFields(
        request_id=fields.string("request_id"),
        cpr=fields.string("cpr"),
        case_id=fields.string("case_id"),
        form=fields.string("form"),
        sent=fields.string("sent"),
        addressee=fields.optional_string("addressee"),
        caseworker_email=fields.optional_string("caseworker_email"),
        deadline=fields.optional_string("deadline"),
    ))


def _person(table: Table) -> PersonStep:
    call = _call(table, frozenset({"cpr"}), frozenset({"cpr"}), ("results", "id", "cpr"))
    return PersonStep(
        call=call, results=table.text("results", ""), id=table.string("id"), cpr=table.optional_string("cpr")
    )


def _upload(table: Table) -> UploadConfig:
    mode = table.string("mode", choices=("json_base64", "multipart"))
    extra = ("mode", "document_ref", "exists_status", "then")
    if mode == "json_base64":
        call = _call(table, UPLOAD_PATH_NAMES, UPLOAD_BODY_NAMES, extra)
        if call.body is None or "document_base64" not in placeholders(call.body):
            raise ConfigError(table.key("body"), 'a body with "{document_base64}" in mode json_base64')
        form_fields: tuple[tuple[str, str], ...] = ()
        file_field = "file"
    else:
        call = _call(table, UPLOAD_PATH_NAMES, None, (*extra, "file_field", "fields"))
        file_field = table.string("file_field", "file")
        form_fields = _form_fields(table)
    if call.method == "GET":
        raise ConfigError(table.key("method"), "POST, PUT or PATCH for an upload")
    then_table = table.optional_sub("then")
    then = _call(then_table, THEN_NAMES, THEN_NAMES) if then_table is not None else None
    document_ref = table.optional_string("document_ref")
    uses_ref = then is not None and "document_ref" in placeholders(then.path) | placeholders(then.body)
    if uses_ref and document_ref is None:
        raise ConfigError(table.key("document_ref"), "the response path of the new document's id for then")
    return UploadConfig(
        call=call,
        mode="json_base64" if mode == "json_base64" else "multipart",
        file_field=file_field,
        form_fields=form_fields,
        document_ref=document_ref,
        exists_status=table.integers("exists_status", (409,)),
        then=then,
    )


def _form_fields(table: Table) -> tuple[tuple[str, str], ...]:
    fields = Table.of(table.raw("fields", {}), table.key("fields") + ".")
    result = []
    for name in fields.data:
        value = fields.string(name)
        unknown = placeholders(value) - METADATA_NAMES
        if unknown:
            raise ConfigError(fields.key(name), f"only metadata placeholders, got {{{sorted(unknown)[0]}}}")
        result.append((name, value))
    return tuple(result)
