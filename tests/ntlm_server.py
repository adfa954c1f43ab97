"""NTLM on a real local aiohttp server, as IIS does it for on-premises GetOrganized: the connection authenticates once.

The handshake is checked for real by pyspnego's NTLM acceptor against a user file (`DOMAIN:user:password` lines),
so a wrong password fails exactly as it would against SharePoint."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spnego
from aiohttp import typedefs as web_typedefs
from aiohttp import web


class NtlmGate:
    """An aiohttp middleware: 401 with `WWW-Authenticate: NTLM` until the connection completes the handshake."""

    def __init__(self) -> None:
        self.handshakes = 0  # completed logins
        self.refused = 0
        self.logins: list[str] = []  # the principals that logged in
        self._contexts: dict[int, Any] = {}
        self._authenticated: set[int] = set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: web_typedefs.Handler) -> web.StreamResponse:
        connection = id(request.transport)
        if connection in self._authenticated:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        if not header.startswith("NTLM "):
            return _challenge("NTLM")
        token = base64.b64decode(header.removeprefix("NTLM "))
        context = self._contexts.get(connection)
        if context is None:
            context = self._contexts[connection] = spnego.server(protocol="ntlm")
        try:
            answer = context.step(token)
        except spnego.exceptions.SpnegoError:
            self.refused += 1
            self._contexts.pop(connection, None)
            return web.Response(status=401, text="bad credentials", headers={"WWW-Authenticate": "NTLM"})
        if not context.complete:
            assert answer is not None
            return _challenge("NTLM " + base64.b64encode(answer).decode("ascii"))
        self._contexts.pop(connection, None)
        self._authenticated.add(connection)
        self.handshakes += 1
        self.logins.append(str(context.client_principal))
        return await handler(request)


def _challenge(value: str) -> web.Response:
    return web.Response(status=401, text="401 UNAUTHORIZED", headers={"WWW-Authenticate": value})


@pytest.fixture
def ntlm_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The users the NTLM acceptor knows ("DOMAIN\\user" -> password); pyspnego reads them from NTLM_USER_FILE."""
    users = {"KOMMUNE\\lae-robot": "Hemmeligt-1"}
    path = tmp_path / "ntlm-users"
    path.write_text("".join(f"{name.replace(chr(92), ':')}:{password}\n" for name, password in users.items()),
                    encoding="utf-8")
    monkeypatch.setenv("NTLM_USER_FILE", str(path))
    yield users
