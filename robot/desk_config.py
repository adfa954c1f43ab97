"""The review desk's `[web]` settings read whole: its users file, its session secret and its TLS files, each checked."""

from __future__ import annotations

import os
import re
import secrets
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from robot.config_error import ConfigError
from robot.loopback import is_loopback
from robot.settings import Settings

Role = Literal["operator", "caseworker"]
ROLES: tuple[Role, ...] = ("operator", "caseworker")
# scrypt$N$r$p$salt$hash, salt and hash in hex: what robot.web.passwords writes
PASSWORD_HASH = re.compile(r"scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$[0-9a-f]{16,128}\$[0-9a-f]{64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class DeskUser:
    """One person who may sign in: their role, their team (a caseworker sees that team's escalations), their
    password's hash and/or their identity at the OpenID Connect provider."""

    name: str
    role: Role
    team: str | None
    password_hash: str | None
    oidc: str | None = None  # the value of web.oidc_claim in their ID token


@dataclass(frozen=True)
class OidcConfig:
    """Sign-in through an OpenID Connect provider (Microsoft Entra ID): the client and where it is called back."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    claim: str


@dataclass(frozen=True)
class DeskConfig:
    """What the desk runs with; the secret is never printed."""

    host: str
    port: int
    users: dict[str, DeskUser]
    secret: bytes
    secret_is_ephemeral: bool  # no secret configured: a random one for this start, sign-ins end with the daemon
    secure_cookies: bool
    tls: tuple[Path, Path] | None  # (certificate, key)
    session_seconds: int
    max_pages: int
    oidc: OidcConfig | None = None


def desk_config(settings: Settings) -> DeskConfig | None:
    """The desk's configuration, None when `web.enabled` is false. Raises ConfigError naming the key."""
    web, source = settings.web, settings.source
    if not web.enabled:
        return None
    tls = _tls(settings)
    secure = web.cookie_secure == "always" or (web.cookie_secure == "auto" and tls is not None)
    if not is_loopback(web.host) and not secure:
        raise ConfigError("web.host", f"a loopback address unless the desk is behind TLS (tls_cert and tls_key, or "
                                      f"cookie_secure = \"always\" behind a TLS proxy), got {web.host!r}", source)
    secret, ephemeral = _secret(settings)
    return DeskConfig(host=web.host, port=web.port, users=read_users(web.users_file, source), secret=secret,
                      secret_is_ephemeral=ephemeral, secure_cookies=secure, tls=tls,
                      session_seconds=web.session_minutes * 60, max_pages=web.max_pages, oidc=_oidc(settings))


def read_users(path: Path, source: str) -> dict[str, DeskUser]:
    """The users file: `[users.NAME]` tables with role, team (caseworkers) and password (an scrypt hash)."""
    key = "web.users_file"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(key, f"a readable users file, {path} ({error.strerror})", source) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(key, f"a users file in TOML, {path} ({error})", source) from None
    tables = data.get("users")
    if set(data) - {"users"} or not isinstance(tables, dict) or not tables:
        raise ConfigError(key, f"a users file with [users.NAME] tables and nothing else, {path}", source)
    users: dict[str, DeskUser] = {}
    for name, table in tables.items():
        where = f"{key} {path}: users.{name}"
        if not _NAME.fullmatch(name) or not isinstance(table, dict):
            raise ConfigError(where, "a table named in lower-case letters, digits, '.', '_' or '-'", source)
        if set(table) - {"role", "team", "password", "oidc"}:
            raise ConfigError(where, f"only role, team, password and oidc, got {sorted(table)}", source)
        role, team, password, oidc = table.get("role"), table.get("team"), table.get("password"), table.get("oidc")
        if role not in ROLES:
            raise ConfigError(f"{where}.role", f"one of {', '.join(ROLES)}, got {role!r}", source)
        if team is not None and (not isinstance(team, str) or not team.strip()):
            raise ConfigError(f"{where}.team", "a team name as in the case register", source)
        if role == "caseworker" and team is None:
            raise ConfigError(f"{where}.team", "a team for a caseworker (they see that team's escalations)", source)
        if oidc is not None and (not isinstance(oidc, str) or not oidc.strip()):
            raise ConfigError(f"{where}.oidc", "the user's identity at the OpenID Connect provider (web.oidc_claim)",
                              source)
        if (password is not None or oidc is None) and (not isinstance(password, str)
                                                       or not PASSWORD_HASH.fullmatch(password)):
            raise ConfigError(f"{where}.password", "an scrypt hash made by: python -m robot.web.passwords", source)
        users[name] = DeskUser(name=name, role=role, team=team, password_hash=password, oidc=oidc)
    return users


def _secret(settings: Settings) -> tuple[bytes, bool]:
    web, source = settings.web, settings.source
    from_env = os.environ.get(web.secret_env, "") if web.secret_env else ""
    if from_env:
        if len(from_env.encode()) < _MIN_SECRET_BYTES:
            raise ConfigError("web.secret_env", f"${web.secret_env} of at least {_MIN_SECRET_BYTES} bytes", source)
        return from_env.encode(), False
    if web.secret_file:
        path = settings.base_dir / web.secret_file
        try:
            mode = path.stat().st_mode
            text = path.read_bytes().strip()
        except OSError as error:
            raise ConfigError("web.secret_file", f"a readable file, {path} ({error.strerror})", source) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError("web.secret_file", f"a file only its owner may read (chmod 600), {path} is "
                                                 f"{stat.filemode(mode)}", source)
        if len(text) < _MIN_SECRET_BYTES:
            raise ConfigError("web.secret_file", f"at least {_MIN_SECRET_BYTES} bytes of secret, {path}", source)
        return text, False
    return secrets.token_bytes(_MIN_SECRET_BYTES), True


def _tls(settings: Settings) -> tuple[Path, Path] | None:
    web, source = settings.web, settings.source
    if not web.tls_cert and not web.tls_key:
        return None
    if not web.tls_cert or not web.tls_key:
        raise ConfigError("web.tls_cert" if not web.tls_cert else "web.tls_key", "both tls_cert and tls_key", source)
    files = (settings.base_dir / web.tls_cert, settings.base_dir / web.tls_key)
    for key, path in zip(("web.tls_cert", "web.tls_key"), files):
        if not path.is_file():
            raise ConfigError(key, f"an existing PEM file, got {path}", source)
    return files


def _oidc(settings: Settings) -> OidcConfig | None:
    web, source = settings.web, settings.source
    if not web.oidc_issuer:
        return None
    issuer = web.oidc_issuer.rstrip("/")
    host = urlsplit(issuer).hostname or ""
    if not (issuer.startswith("https://") or (issuer.startswith("http://") and is_loopback(host))):
        raise ConfigError("web.oidc_issuer", f"an https:// issuer URL (http:// only to loopback), got {issuer!r}",
                          source)
    if not web.oidc_client_id:
        raise ConfigError("web.oidc_client_id", "the desk's client (application) id at the provider", source)
    redirect = web.oidc_redirect_url
    if not redirect.endswith("/login/oidc/svar") or not redirect.startswith(("https://", "http://")):
        raise ConfigError("web.oidc_redirect_url", f"this desk's URL ending in /login/oidc/svar, got {redirect!r}",
                          source)
    secret = os.environ.get(web.oidc_client_secret_env, "") if web.oidc_client_secret_env else ""
    if not secret:
        raise ConfigError("web.oidc_client_secret_env", f"${web.oidc_client_secret_env} set to the client secret",
                          source)
    return OidcConfig(issuer=issuer, client_id=web.oidc_client_id, client_secret=secret, redirect_url=redirect,
                      claim=web.oidc_claim or "preferred_username")
