"""The GetOrganized adapter's settings as frozen data, read from `[archive.getorganized]` with errors naming the key."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robot.archive.config import Table
from robot.archive.getorganized_rows import is_attribute_name
from robot.archive.remote.auth import NtlmLogin
from robot.archive.remote.client import CONNECTION_KEYS, ConnectionSettings, read_connection
from robot.config_error import ConfigError

FinishStep = Literal["journalize", "finalize"]
UPLOAD_ENDPOINTS = ("AddToDocumentLibrary", "AddToCase")
FINISH_STEPS: tuple[FinishStep, ...] = ("journalize", "finalize")  # journalise first: a finalised document is locked
TITLE_NAMES = frozenset({"form", "form_title", "received"})
EMAIL_NAMES = frozenset({"owner", "owner_id"})
_PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,9}")
_FORBIDDEN_IN_PATH = re.compile(r'[\\:*?"<>|#%\x00-\x1f]|(^|/)\.\.?(/|$)')
_KEYS = (*CONNECTION_KEYS, "case_type_prefixes", "cpr_property", "open_statuses", "sub_cases", "max_cases",
         "case_type_field", "team_field", "caseworker_email", "upload_endpoint", "list_name", "folder_path",
         "document_title", "correspondence", "extra_metadata", "finish")


@dataclass(frozen=True)
class GetOrganizedConfig:
    """Where GetOrganized is, how the robot finds a citizen's cases there and how it files and finishes documents."""

    connection: ConnectionSettings
    case_type_prefixes: tuple[str, ...] = ("BOR",)
    cpr_property: str = "ows_CCMContactData_CPR"
    open_statuses: tuple[str, ...] = ("åben",)  # case-folded
    sub_cases: bool = False
    max_cases: int = 100
    case_type_field: str | None = None  # None: the case id's prefix (BOR, PPR, ...)
    team_field: str | None = None
    caseworker_email: str | None = None  # a template with {owner} / {owner_id}
    upload_endpoint: Literal["AddToDocumentLibrary", "AddToCase"] = "AddToDocumentLibrary"
    list_name: str = "Dokumenter"
    folder_path: str = ""
    document_title: str = "{form} {form_title}"
    correspondence: str = "Indgående"
    extra_metadata: tuple[tuple[str, str], ...] = ()
    finish: tuple[FinishStep, ...] = FINISH_STEPS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> GetOrganizedConfig:
        """Build from the settings table; ConfigError names the first wrong key and what was expected. Touches no
        file, network or environment (secrets are read when the adapter is built)."""
        table = Table.of(data)
        table.only(*_KEYS)
        connection = read_connection(table, base)
        if not isinstance(connection.auth, NtlmLogin):
            raise ConfigError(table.key("auth.type"), '"ntlm" (GetOrganized on premises logs in with Windows NTLM)')
        return cls(
            connection=connection,
            case_type_prefixes=_prefixes(table),
            cpr_property=_field_name(table, "cpr_property", "ows_CCMContactData_CPR"),
            open_statuses=tuple(value.strip().casefold() for value in _strings(table, "open_statuses", ("Åben",))),
            sub_cases=_boolean(table, "sub_cases", False),
            max_cases=table.integer("max_cases", 100, minimum=1, maximum=500),
            case_type_field=_optional_field(table, "case_type_field"),
            team_field=_optional_field(table, "team_field"),
            caseworker_email=_email_template(table),
            upload_endpoint="AddToCase" if table.string(
                "upload_endpoint", "AddToDocumentLibrary", choices=UPLOAD_ENDPOINTS) == "AddToCase"
            else "AddToDocumentLibrary",
            list_name=_path_part(table, "list_name", "Dokumenter", required=True),
            folder_path=_path_part(table, "folder_path", "", required=False),
            document_title=_template(table, "document_title", "{form} {form_title}", TITLE_NAMES),
            correspondence=table.text("correspondence", "Indgående").strip(),
            extra_metadata=_extra_metadata(table),
            finish=_finish(table),
        )


def _strings(table: Table, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.raw(name, list(default))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(table.key(name), f"a non-empty list of non-empty strings, got {value!r}"[:160])
    return tuple(value)


def _prefixes(table: Table) -> tuple[str, ...]:
    prefixes = _strings(table, "case_type_prefixes", ("BOR",))
    for prefix in prefixes:
        if not _PREFIX.fullmatch(prefix):
            raise ConfigError(table.key("case_type_prefixes"), f"case type prefixes such as \"BOR\" (capital letters "
                                                               f"and digits), got {prefix!r}")
    return prefixes


def _boolean(table: Table, name: str, default: bool) -> bool:
    value = table.raw(name, default)
    if not isinstance(value, bool):
        raise ConfigError(table.key(name), f"true or false, got {value!r}")
    return value


def _field_name(table: Table, name: str, default: str) -> str:
    value = table.string(name, default)
    if not is_attribute_name(value):
        raise ConfigError(table.key(name), f"a GetOrganized field name such as \"ows_CaseCategory\", got {value!r}")
    return value


def _optional_field(table: Table, name: str) -> str | None:
    if table.raw(name, None) is None:
        return None
    return _field_name(table, name, "")


def _template(table: Table, name: str, default: str, allowed: frozenset[str]) -> str:
    value = table.string(name, default)
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
    except ValueError:
        raise ConfigError(table.key(name), f"a text with {{placeholders}} and balanced braces, got {value!r}") from None
    unknown = names - allowed
    if unknown:
        known = ", ".join(f"{{{n}}}" for n in sorted(allowed))
        raise ConfigError(table.key(name), f"only the placeholders {known}, got {{{sorted(unknown)[0]}}}")
    return value


def _email_template(table: Table) -> str | None:
    if table.raw("caseworker_email", None) is None:
        return None
    value = _template(table, "caseworker_email", "", EMAIL_NAMES)
    if value.count("@") != 1 or not value.split("@")[0] or "." not in value.split("@")[1]:
        raise ConfigError(table.key("caseworker_email"), f"an address template such as \"{{owner}}@kommune.dk\", "
                                                         f"got {value!r}")
    return value


def _path_part(table: Table, name: str, default: str, *, required: bool) -> str:
    value = table.string(name, default) if required else table.text(name, default)
    value = value.strip().strip("/")
    if _FORBIDDEN_IN_PATH.search(value) or "'" in value:
        raise ConfigError(table.key(name), f"a SharePoint folder name without \\ : * ? \" < > | # % ' or dot "
                                           f"folders, got {value!r}")
    return value


def _extra_metadata(table: Table) -> tuple[tuple[str, str], ...]:
    extra = Table.of(table.raw("extra_metadata", {}), table.key("extra_metadata") + ".")
    result = []
    for name in extra.data:
        if not is_attribute_name(name):
            raise ConfigError(extra.key(name), "a GetOrganized field name starting with ows_ as the key")
        result.append((name, extra.string(name)))
    return tuple(result)


def _finish(table: Table) -> tuple[FinishStep, ...]:
    value = table.raw("finish", list(FINISH_STEPS))
    if not isinstance(value, list) or not all(v in FINISH_STEPS for v in value) or len(set(value)) != len(value):
        raise ConfigError(table.key("finish"), f"a list of \"journalize\" and/or \"finalize\" (or [] for none), "
                                               f"got {value!r}"[:160])
    return tuple(step for step in FINISH_STEPS if step in value)
