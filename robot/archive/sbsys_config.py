"""The SBSYS adapter's settings as frozen data, read from its TOML table with errors that name the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.archive.config import Table
from robot.archive.remote.client import CONNECTION_KEYS, ConnectionSettings, read_connection
from robot.config_error import ConfigError

# SagsStatus.SagsTilstand, an enum in SBSYS (OS2agora SagsStatusDtoSagsTilstand: Aktiv = 0, Hvilende = 1,
# Afsluttet = 2); the wire may carry the name or the number, so both are read.
SAGS_TILSTAND = {"0": "aktiv", "1": "hvilende", "2": "afsluttet"}
OPEN_STATES = ("Aktiv", "Hvilende")  # "not Afsluttet", as Odense's client decides
CASE_TYPE_SOURCES = ("kle", "sagstype", "skabelon", "fagomraade")
SBSYS_KEYS = ("open_states", "case_type_from", "case_types", "caseworker_email", "citizen_names", "search_limit",
              "dokument_art_id")
_EMAIL_TEMPLATE = re.compile(r"[^{}\s@]*\{initials\}[^{}\s@]*@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class SbsysConfig:
    """Where SBSYS is, how the robot logs in at SBSIP's Keycloak, and how a case found by CPR becomes a Case."""

    connection: ConnectionSettings
    open_states: tuple[str, ...] = ("aktiv", "hvilende")  # SagsTilstand names, case-folded
    case_type_from: str = "kle"
    case_types: tuple[tuple[str, str], ...] = ()  # (SBSYS value, case-folded) -> the routes' case type
    caseworker_email: str | None = None  # e.g. "{initials}@kommune.dk", from Behandler.LogonId
    citizen_names: bool = True  # PrimaryPart.Navn as the citizen's name: turns the name check on
    search_limit: int = 500
    dokument_art_id: int | None = None  # DokumentArt.Id sent on journalising (1 = Indgående in Randers)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Path | None = None) -> SbsysConfig:
        """Build from `[archive.sbsys]`; ConfigError names the first wrong key and what was expected. Without a
        `grant`, an oauth2 auth table uses the password grant, as every public SBSYS client logs in."""
        table = Table.of(data)
        table.only(*CONNECTION_KEYS, *SBSYS_KEYS)
        return cls(
            connection=read_connection(_with_password_grant(table), base),
            open_states=_open_states(table),
            case_type_from=table.string("case_type_from", "kle", choices=CASE_TYPE_SOURCES),
            case_types=_case_types(table),
            caseworker_email=_email_template(table),
            citizen_names=_boolean(table, "citizen_names", True),
            search_limit=table.integer("search_limit", 500, minimum=1, maximum=10_000),
            dokument_art_id=_optional_id(table, "dokument_art_id"),
        )


def _with_password_grant(table: Table) -> Table:
    auth = table.raw("auth")
    if not isinstance(auth, Mapping):
        return table  # read_connection names the key
    kind = auth.get("type")
    if kind not in ("oauth2", "bearer"):
        raise ConfigError(table.key("auth.type"), f"\"oauth2\" (SBSIP's Keycloak) or \"bearer\", got {kind!r}")
    if kind == "oauth2" and "grant" not in auth:
        auth = {**auth, "grant": "password"}
    return Table({**table.data, "auth": auth}, table.prefix)


def _open_states(table: Table) -> tuple[str, ...]:
    states = []
    for state in table.scalars("open_states", OPEN_STATES):
        name = SAGS_TILSTAND.get(state, state)
        if name not in SAGS_TILSTAND.values():
            raise ConfigError(table.key("open_states"), f"SagsTilstand names (Aktiv, Hvilende, Afsluttet) or their "
                                                        f"numbers (0, 1, 2), got {state!r}")
        states.append(name)
    return tuple(dict.fromkeys(states))


def _case_types(table: Table) -> tuple[tuple[str, str], ...]:
    """`case_types = { "32.18.00" = "sygedagpenge" }`: an SBSYS value (per case_type_from) -> a routes' case type."""
    types = Table.of(table.raw("case_types", {}), table.key("case_types") + ".")
    return tuple((name.strip().casefold(), types.string(name).strip()) for name in types.data)


def _email_template(table: Table) -> str | None:
    template = table.optional_string("caseworker_email")
    if template is not None and not _EMAIL_TEMPLATE.fullmatch(template):
        raise ConfigError(table.key("caseworker_email"), f"an address built from the caseworker's initials such as "
                                                         f"\"{{initials}}@kommune.dk\", got {template!r}")
    return template


def _boolean(table: Table, name: str, default: bool) -> bool:
    value = table.raw(name, default)
    if not isinstance(value, bool):
        raise ConfigError(table.key(name), f"true or false, got {value!r}")
    return value


def _optional_id(table: Table, name: str) -> int | None:
    if table.raw(name, None) is None:
        return None
    return table.integer(name, 0, minimum=1, maximum=2**31 - 1)
