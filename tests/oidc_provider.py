"""A real local OpenID Connect provider for the desk's tests (Microsoft Entra ID cannot run here): discovery, keys,
an authorize endpoint that signs in the person the test names, and a token endpoint that checks the client, the
code and PKCE and returns an RS256 ID token. Runs its own event loop in a thread."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID, CLIENT_SECRET = "lae-desk-test", "provider-secret-for-tests"


@dataclass
class FakeProvider:
    """Who signs in next (`identity`, the preferred_username), and what it issued."""

    identity: str = "anne.holm@kommune.example"
    nonce_override: str | None = None  # an ID token with another nonce (a replayed token)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-key"}))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    port: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/tenant/v2.0"

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            runner = web.AppRunner(self._app())
            self._loop.run_until_complete(runner.setup())
            self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            self._runner = runner
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(runner.cleanup())

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _app(self) -> web.Application:
        app = web.Application()
        app.add_routes([
            web.get("/tenant/v2.0/.well-known/openid-configuration", self._discovery),
            web.get("/keys", self._keys),
            web.get("/authorize", self._authorize),
            web.post("/token", self._token),
        ])
        return app

    async def _discovery(self, _: web.Request) -> web.Response:
        base = f"http://127.0.0.1:{self.port}"
        return web.json_response({"issuer": self.issuer, "authorization_endpoint": f"{base}/authorize",
                                  "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def _keys(self, _: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="bad request")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"],
                            "redirect_uri": query["redirect_uri"], "identity": self.identity}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        issued = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if (issued is None or form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET
                or challenge != issued["challenge"] or form.get("redirect_uri") != issued["redirect_uri"]):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "subject-1", "iat": now,
                                  "exp": now + 300, "nonce": self.nonce_override or issued["nonce"],
                                  "preferred_username": issued["identity"]}
        token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return web.json_response({"access_token": "unused", "token_type": "Bearer", "id_token": token})
