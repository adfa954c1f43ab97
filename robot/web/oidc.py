"""Sign-in through OpenID Connect (Microsoft Entra ID): the authorization code flow with PKCE, state and nonce, and
the ID token checked (signature by the provider's keys, issuer, audience, expiry, nonce) before anyone is let in."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from robot.desk_config import OidcConfig

_TIMEOUT = httpx.Timeout(10.0)
_METADATA_SECONDS = 3600.0  # discovery and keys are fetched again after this
PENDING_SECONDS = 600  # a sign-in started must come back within this
ALGORITHMS = ["RS256", "ES256", "PS256"]


class OidcRefused(Exception):
    """The provider's answer does not sign anyone in; the message says why (never a token)."""


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to the provider: what must come back (state), what the token must carry (nonce), PKCE."""

    state: str
    nonce: str
    verifier: str
    expires: int

    def as_record(self) -> dict[str, str | int]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier, "expires": self.expires}

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Pending | None:
        try:
            pending = cls(state=str(record["state"]), nonce=str(record["nonce"]), verifier=str(record["verifier"]),
                          expires=int(str(record["expires"])))
        except (KeyError, ValueError):
            return None
        return pending if pending.expires > time.time() else None


class OidcClient:
    """The desk as an OpenID Connect client of one provider; discovery and keys cached for an hour."""

    def __init__(self, config: OidcConfig):
        self._config = config
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0

    async def start(self) -> tuple[str, Pending]:
        """Where to send the browser, and what to keep (signed, in a cookie) until it comes back."""
        metadata = await self._discovered()
        pending = Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64),
                          expires=int(time.time()) + PENDING_SECONDS)
        query = urlencode({
            "response_type": "code", "client_id": self._config.client_id, "redirect_uri": self._config.redirect_url,
            "scope": "openid profile email", "state": pending.state, "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.verifier), "code_challenge_method": "S256",
        })
        return f"{metadata['authorization_endpoint']}?{query}", pending

    async def finish(self, pending: Pending, state: str, code: str) -> str:
        """The signed-in identity (the configured claim of the checked ID token). Raises OidcRefused."""
        if not code or state != pending.state:
            raise OidcRefused("the answer does not belong to the sign-in this browser started (state)")
        metadata = await self._discovered()
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
                answer = await client.post(metadata["token_endpoint"], data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": self._config.redirect_url,
                    "client_id": self._config.client_id, "client_secret": self._config.client_secret,
                    "code_verifier": pending.verifier})
        except httpx.HTTPError as error:
            raise OidcRefused(f"the provider's token endpoint did not answer ({type(error).__name__})") from None
        if answer.status_code != 200:
            raise OidcRefused(f"the provider refused the code (HTTP {answer.status_code})")
        id_token = answer.json().get("id_token") if answer.headers.get("content-type", "").startswith(
            "application/json") else None
        if not isinstance(id_token, str):
            raise OidcRefused("the provider's answer holds no ID token")
        claims = await self._checked(id_token, pending.nonce)
        identity = claims.get(self._config.claim)
        if not isinstance(identity, str) or not identity:
            raise OidcRefused(f"the ID token has no {self._config.claim} claim")
        return identity

    async def _checked(self, id_token: str, nonce: str) -> dict[str, Any]:
        keys = await self._key_set()
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=60, iss={"essential": True, "value": self._issuer()},
                aud={"essential": True, "value": self._config.client_id}, exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise OidcRefused(f"the ID token does not hold ({type(error).__name__}: {error})") from None
        return dict(token.claims)

    def _issuer(self) -> str:
        assert self._metadata is not None
        return str(self._metadata.get("issuer") or self._config.issuer)

    async def _discovered(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched > _METADATA_SECONDS:
            metadata = await self._get_json(f"{self._config.issuer}/.well-known/openid-configuration")
            if str(metadata.get("issuer", "")).rstrip("/") != self._config.issuer:
                raise OidcRefused("the provider's discovery document names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(key), str):
                    raise OidcRefused(f"the provider's discovery document has no {key}")
            self._metadata, self._keys, self._fetched = metadata, None, time.monotonic()
        return self._metadata

    async def _key_set(self) -> KeySet:
        if self._keys is None:
            metadata = await self._discovered()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError) as error:
                raise OidcRefused(f"the provider's keys cannot be read ({type(error).__name__})") from None
        return self._keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
                answer = await client.get(url)
            data = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as error:
            raise OidcRefused(f"the provider did not answer at {url} ({type(error).__name__})") from None
        if not isinstance(data, dict):
            raise OidcRefused(f"the provider gave no JSON object at {url}")
        return data
