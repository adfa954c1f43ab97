"""The `[archive.nova]` table: KMD Nova's connection, what counts as open, and the metadata a filed document gets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.archive.config import Table
from robot.archive.momentum import MomentumConfig
from robot.archive.remote.client import CONNECTION_KEYS, ConnectionSettings, read_connection
from robot.config_error import ConfigError

# Keycloak realm every public Nova client asks for its token (ITK Dev's NovaAccess, MTM's robots).
NOVA_TOKEN_URL = "https://novaauth.kmd.dk/realms/NovaIntegration/protocol/openid-connect/token"
# The progress states of a case that is not closed (MTM's "open cases" search); `Afsluttet` is closed.
OPEN_STATES = ("Opstaaet", "Oplyst", "Afgjort", "Bestilt", "Udfoert")
SENSITIVITIES = ("Følsomme", "SærligFølsomme", "Fortrolige", "IkkeFortrolige")
EMAIL_PLACEHOLDER = "{racfId}"
KEYS = (*CONNECTION_KEYS, "api_version", "upload_api_version", "open_states", "case_types", "primary_party_only",
        "caseworker_email", "sensitivity", "document_category_uuid", "security_unit", "page_size", "momentum")


@dataclass(frozen=True)
class SecurityUnit:
    """The unit that may see the filed document (`securityUnit.losIdentity` in Document/Import)."""

    administrative_unit_id: int
    full_name: str


@dataclass(frozen=True)
class NovaConfig:
    """Everything the Nova adapter needs; secrets are not here, only where to read them."""

    connection: ConnectionSettings
    api_version: str = "2.0-Case"
    upload_api_version: str = "1.0-Case"
    open_states: tuple[str, ...] = OPEN_STATES
    case_types: tuple[tuple[str, str], ...] = ()  # (KLE prefix, case type), longest prefix first
    primary_party_only: bool = True
    caseworker_email: str | None = None  # "{racfId}@kommune.dk"
    sensitivity: str = "Følsomme"
    document_category_uuid: str | None = None
    security_unit: SecurityUnit | None = None
    page_size: int = 100
    momentum: MomentumConfig | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> NovaConfig:
        """Build from `[archive.nova]`; ConfigError names the first wrong key and what was expected. The `auth` table
        defaults to Nova's own: OAuth2 client credentials at NOVA_TOKEN_URL with `scope = "client"`."""
        table = Table.of(data)
        table.only(*KEYS)
        given_auth = Table.of(table.raw("auth", {}), "auth.").data
        defaults = {"type": "oauth2", "token_url": NOVA_TOKEN_URL, "scope": "client"}
        if given_auth.get("type", "oauth2") != "oauth2":
            defaults = {}
        connection = read_connection(Table.of({**data, "auth": {**defaults, **given_auth}}), base)
        momentum_table = table.optional_sub("momentum")
        return cls(
            connection=connection,
            api_version=table.string("api_version", "2.0-Case"),
            upload_api_version=table.string("upload_api_version", "1.0-Case"),
            open_states=_states(table),
            case_types=_case_types(table),
            primary_party_only=_boolean(table, "primary_party_only", True),
            caseworker_email=_email_template(table),
            sensitivity=table.string("sensitivity", "Følsomme", choices=SENSITIVITIES),
            document_category_uuid=table.optional_string("document_category_uuid"),
            security_unit=_security_unit(table.optional_sub("security_unit")),
            page_size=table.integer("page_size", 100, minimum=1, maximum=500),
            momentum=MomentumConfig.from_table(momentum_table, base) if momentum_table is not None else None,
        )


def _boolean(table: Table, name: str, default: bool) -> bool:
    value = table.raw(name, default)
    if not isinstance(value, bool):
        raise ConfigError(table.key(name), f"true or false, got {value!r}")
    return value


def _states(table: Table) -> tuple[str, ...]:
    value = table.raw("open_states", list(OPEN_STATES))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(table.key("open_states"), f"a non-empty list of progress states such as {OPEN_STATES[0]!r}")
    return tuple(v.strip() for v in value)


def _case_types(table: Table) -> tuple[tuple[str, str], ...]:
    """`case_types = { "32.18" = "sygedagpenge" }`: a KLE number (or its first groups) -> the robot's case type."""
    types = Table.of(table.raw("case_types", {}), table.key("case_types") + ".")
    result = []
    for prefix in types.data:
        if not prefix.replace(".", "").isdigit():
            raise ConfigError(types.key(prefix), "a KLE number such as \"32.18\" or \"32.18.08\" as the key")
        result.append((prefix, types.string(prefix)))
    return tuple(sorted(result, key=lambda pair: -len(pair[0])))


def _email_template(table: Table) -> str | None:
    template = table.optional_string("caseworker_email")
    if template is None:
        return None
    rest = template.replace(EMAIL_PLACEHOLDER, "")
    if EMAIL_PLACEHOLDER not in template or "{" in rest or "}" in rest or "@" not in rest:
        raise ConfigError(table.key("caseworker_email"),
                          f"an address built from the caseworker's RACF id such as \"{EMAIL_PLACEHOLDER}@kommune.dk\", "
                          f"got {template!r}")
    return template


def _security_unit(table: Table | None) -> SecurityUnit | None:
    if table is None:
        return None
    table.only("administrative_unit_id", "full_name")
    table.raw("administrative_unit_id")  # required
    return SecurityUnit(table.integer("administrative_unit_id", 0, minimum=1, maximum=2**31 - 1),
                        table.string("full_name"))
