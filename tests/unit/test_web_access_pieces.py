"""The desk's access pieces on their own: signed session cookies, scrypt password hashes, the [web] settings read
whole (users file, owner-only secret file, loopback unless TLS)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from robot.config_error import ConfigError
from robot.desk_config import desk_config
from robot.setting_tables import load_settings
from robot.web.passwords import hash_password, verify_password
from robot.web.session import csrf_matches, new_session, seal, unseal

SECRET = b"s" * 32
HASH = hash_password("rigtig-adgangskode")


def test_a_sealed_session_reads_back_and_nothing_else_does() -> None:
    now = time.time()
    session = new_session("drift", now, 600)
    value = seal(session, SECRET)
    assert unseal(value, SECRET, now) == session
    body, mac = value.split(".")
    forged = seal(new_session("drift", now, 10**9), b"another secret of thirty-two b..")
    assert unseal(forged, SECRET, now) is None  # signed under another secret
    assert unseal(body + "." + mac[:-1] + ("0" if mac[-1] != "0" else "1"), SECRET, now) is None
    assert unseal(value, SECRET, now + 601) is None  # ended
    assert unseal("", SECRET, now) is None and unseal("x" * 5000, SECRET, now) is None
    assert csrf_matches(session, session.csrf) and not csrf_matches(session, "wrong") and not csrf_matches(session, None)
    assert new_session("drift", now, 600).csrf != session.csrf  # every sign-in gets a fresh token


def test_passwords_are_checked_against_their_scrypt_hash() -> None:
    assert HASH.startswith("scrypt$16384$8$1$") and "rigtig" not in HASH
    assert verify_password("rigtig-adgangskode", HASH)
    assert not verify_password("forkert", HASH)
    assert not verify_password("rigtig-adgangskode", "plain text")
    assert hash_password("rigtig-adgangskode") != HASH  # salted


def _config(tmp_path: Path, web: str, users: str | None = None) -> Path:
    (tmp_path / "users.toml").write_text(users if users is not None else
                                         f'[users.drift]\nrole = "operator"\npassword = "{HASH}"\n', encoding="utf-8")
    path = tmp_path / "robot.toml"
    path.write_text(f'[web]\nenabled = true\nusers_file = "users.toml"\nsecret_env = ""\n{web}', encoding="utf-8")
    return path


def test_the_desk_settings_load_whole(tmp_path: Path) -> None:
    config = desk_config(load_settings(_config(tmp_path, "port = 8999\n")))
    assert config is not None and config.port == 8999 and list(config.users) == ["drift"]
    assert config.secret_is_ephemeral and len(config.secret) >= 32 and not config.secure_cookies
    assert desk_config(load_settings(None)) is None  # embedded default: off


@pytest.mark.parametrize(("web", "users", "key", "expected"), [
    ('host = "0.0.0.0"\n', None, "web.host", "a loopback address unless the desk is behind TLS"),
    ('tls_cert = "missing.pem"\ntls_key = "missing.key"\n', None, "web.tls_cert", "an existing PEM file"),
    ('tls_cert = "x.pem"\n', None, "web.tls_key", "both tls_cert and tls_key"),
    ("", '[users.anne]\nrole = "caseworker"\npassword = "{hash}"\n', "users.anne.team", "a team for a caseworker"),
    ("", '[users.anne]\nrole = "chef"\npassword = "{hash}"\n', "users.anne.role", "one of operator, caseworker"),
    ("", '[users.anne]\nrole = "operator"\npassword = "hemmelig"\n', "users.anne.password", "an scrypt hash"),
    ("", "", "web.users_file", "[users.NAME] tables"),
    ("session_minutes = 0\n", None, "web.session_minutes", "a positive whole number"),
    ('oidc_issuer = "http://login.example/t/v2.0"\n', None, "web.oidc_issuer", "an https:// issuer URL"),
    ('oidc_issuer = "https://login.example/t/v2.0"\n', None, "web.oidc_client_id", "client (application) id"),
    ('oidc_issuer = "https://login.example/t/v2.0"\noidc_client_id = "c"\noidc_redirect_url = "https://d/x"\n', None,
     "web.oidc_redirect_url", "ending in /login/oidc/svar"),
    ('oidc_issuer = "https://login.example/t/v2.0"\noidc_client_id = "c"\n'
     'oidc_redirect_url = "https://d/login/oidc/svar"\noidc_client_secret_env = "LAE_TEST_UNSET_SECRET"\n', None,
     "web.oidc_client_secret_env", "set to the client secret"),
    ("", '[users.anne]\nrole = "operator"\n', "users.anne.password", "an scrypt hash"),
])
def test_a_bad_desk_setting_names_its_key(tmp_path: Path, web: str, users: str | None, key: str,
                                          expected: str) -> None:
    path = _config(tmp_path, web, users.replace("{hash}", HASH) if users is not None else None)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)  # every command refuses it, check-config too
    assert key in raised.value.key and expected in raised.value.expected and raised.value.file == str(path)


def test_the_secret_file_must_be_the_owners_alone(tmp_path: Path) -> None:
    secret = tmp_path / "desk.secret"
    secret.write_text("k" * 40, encoding="utf-8")
    secret.chmod(0o644)
    path = _config(tmp_path, 'secret_file = "desk.secret"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.key == "web.secret_file" and "only its owner" in raised.value.expected
    assert "k" * 40 not in str(raised.value)
    secret.chmod(0o600)
    config = desk_config(load_settings(path))
    assert config is not None and config.secret == b"k" * 40 and not config.secret_is_ephemeral
