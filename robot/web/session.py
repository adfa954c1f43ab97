"""Sessions in signed cookies: who is signed in, until when, and the CSRF token every form must carry back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass

COOKIE = "lae_desk"
_MAX_COOKIE_CHARS = 2048


@dataclass(frozen=True)
class Session:
    """A browser's session: signed in as `user` (None: not yet), the CSRF token, and when it ends (epoch seconds)."""

    user: str | None
    csrf: str
    expires: int

    @property
    def signed_in(self) -> bool:
        return self.user is not None


def new_session(user: str | None, now: float, seconds: int) -> Session:
    """A fresh session with a fresh CSRF token (a sign-in always gets a new one)."""
    return Session(user=user, csrf=secrets.token_urlsafe(24), expires=int(now) + seconds)


def seal(session: Session, secret: bytes) -> str:
    """The cookie value: the session as JSON, base64url, and its HMAC-SHA256 under the desk's secret."""
    body = base64.urlsafe_b64encode(json.dumps(asdict(session), separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_mac(body, secret)}"


def unseal(value: str | None, secret: bytes, now: float) -> Session | None:
    """The session in a cookie value, when its signature holds and it has not ended; None otherwise."""
    if not value or len(value) > _MAX_COOKIE_CHARS or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(body, secret)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        session = Session(user=data["user"], csrf=data["csrf"], expires=data["expires"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(session.csrf, str) or not isinstance(session.expires, int) or session.expires <= now:
        return None
    if session.user is not None and not isinstance(session.user, str):
        return None
    return session


def seal_value(data: dict[str, str | int], secret: bytes, purpose: str) -> str:
    """Any small record signed for one purpose (the pending OpenID Connect sign-in), as a cookie value."""
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_mac(body, secret, purpose)}"


def unseal_value(value: str | None, secret: bytes, purpose: str) -> dict[str, object] | None:
    """The record in a value sealed for `purpose`, when its signature holds; None otherwise."""
    if not value or len(value) > _MAX_COOKIE_CHARS or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(body, secret, purpose)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def csrf_matches(session: Session, token: str | None) -> bool:
    """Whether a form's token is the session's (constant-time)."""
    return bool(token) and hmac.compare_digest(session.csrf.encode(), (token or "").encode())


def _mac(body: str, secret: bytes, purpose: str = "session") -> str:
    return hmac.new(secret, f"lae-desk-{purpose}:".encode() + body.encode(), hashlib.sha256).hexdigest()
