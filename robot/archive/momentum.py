"""KMD Momentum, for lookups only: the e-mail of the citizen's primary responsible caseworker, found by CPR."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from robot.archive.config import Table
from robot.archive.remote.client import (
    CONNECTION_KEYS,
    ConnectionSettings,
    RemoteClient,
    Sleep,
    check,
    json_of,
    read_connection,
)
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable

# Azure AD v1 endpoint of Momentum's B2C tenant (odense-rpa/momentum-client, KMD's MEA wrapper).
MOMENTUM_TOKEN_URL = "https://login.microsoftonline.com/momentumb2c.onmicrosoft.com/oauth2/token"


@dataclass(frozen=True)
class MomentumConfig:
    """Momentum's connection: OAuth2 client credentials with a `resource` parameter and the gateway's `apikey`."""

    connection: ConnectionSettings

    @classmethod
    def from_table(cls, table: Table, base: Path | None = None) -> MomentumConfig:
        """`base_url`, `auth` (oauth2 defaults to MOMENTUM_TOKEN_URL; `params = { resource = "..." }` is required),
        `secret_headers = { apikey = { value_env = "..." } }` (required), and the other connection keys."""
        table.only(*CONNECTION_KEYS)
        given = Table.of(table.raw("auth", {}), table.key("auth") + ".")
        auth = {"type": "oauth2", "token_url": MOMENTUM_TOKEN_URL, **given.data}
        if auth["type"] == "oauth2":
            params = auth.get("params")
            if not isinstance(params, Mapping) or "resource" not in params:
                raise ConfigError(given.key("params"), '{ resource = "<Momentum\'s resource id>" } (Azure AD v1)')
        secret_headers = table.raw("secret_headers", {})
        if not isinstance(secret_headers, Mapping) or "apikey" not in secret_headers:
            raise ConfigError(table.key("secret_headers"), '{ apikey = { value_env = "..." } } (the gateway key)')
        return cls(read_connection(Table.of({**table.data, "auth": auth}, table.prefix), base))


class MomentumLookup:
    """citizens/find?cpr= -> responsibleCaseworkers/all/byCitizen/{id} -> employees/{id}: the one active primary
    responsible caseworker's e-mail, or None (unknown citizen, none or several primary caseworkers, no e-mail).
    Momentum only improves a notice: when it cannot answer, the lookup is logged and None returned."""

    name = "momentum"

    def __init__(self, config: MomentumConfig, *, environ: Mapping[str, str] | None = None,
                 client: httpx.AsyncClient | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, log: Any = None) -> None:
        self._log = log if log is not None else structlog.get_logger("robot.archive.momentum")
        self._remote = RemoteClient(config.connection, self.name, environ=environ, client=client, sleep=sleep,
                                    clock=clock, log=self._log)

    async def caseworker_email(self, digits: str) -> str | None:
        try:
            return await self._email(digits)
        except (ArchiveUnavailable, ArchiveRejected) as error:
            self._log.warning("momentum caseworker lookup failed; the notice goes without it", error=str(error))
            return None

    async def close(self) -> None:
        await self._remote.close()

    async def _email(self, digits: str) -> str | None:
        what = "momentum citizen search (GET citizens/find)"
        response = await self._remote.read(what, "GET", "citizens/find", params={"cpr": digits})
        if response.status_code == 404:
            return None
        check(what, response)
        citizen = json_of(what, response)
        citizen_id = citizen.get("citizenId") or citizen.get("id") if isinstance(citizen, dict) else None
        if not isinstance(citizen_id, str) or not citizen_id:
            raise ArchiveRejected(f"{what}: the answer has no citizenId")
        what = "momentum responsible caseworkers (GET responsibleCaseworkers/all/byCitizen/{id})"
        response = await self._remote.read(what, "GET", f"responsibleCaseworkers/all/byCitizen/{quote(citizen_id)}")
        check(what, response)
        rows = json_of(what, response)
        primary = {row.get("caseworkerId") for row in rows if isinstance(row, dict) and _primary(row)} \
            if isinstance(rows, list) else set()
        if len(primary) != 1:
            self._log.info("momentum: no single primary responsible caseworker", found=len(primary))
            return None
        (caseworker_id,) = primary
        if not isinstance(caseworker_id, str) or not caseworker_id:
            return None
        what = "momentum employee (GET employees/{id})"
        response = await self._remote.read(what, "GET", f"employees/{quote(caseworker_id)}")
        if response.status_code == 404:
            return None
        check(what, response)
        employee = json_of(what, response)
        email = employee.get("email") if isinstance(employee, dict) else None
        address = email.get("address") if isinstance(email, dict) else None
        return address.strip() if isinstance(address, str) and "@" in address else None


def _primary(row: dict[str, Any]) -> bool:
    """Odense's filter, verbatim: active, role 1 (primary, a number or a string), no end date."""
    try:
        role = float(row.get("role"))  # type: ignore[arg-type]
        active = float(row.get("caseworkerIsActive"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return active == 1 and role == 1 and row.get("endDate") is None
