"""The [smime] section refused at start, with the file and key named, for every way a key can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.config_error import ConfigError
from robot.setting_tables import load_settings
from robot.smime_config import smime_keys
from tests.smime_factory import PASSPHRASE, PASSPHRASE_ENV, copy_private, material


def _config(folder: Path, text: str) -> Path:
    path = folder / "robot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path, key: str, *words: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    error = caught.value
    assert (error.file, error.key) == (str(path), key), str(error)
    for word in words:
        assert word in error.expected, error.expected
    return error


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


def test_the_sample_keys_load_both_for_a_rollover(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, material().config(tmp_path)))
    loaded = smime_keys(settings)
    assert [key.label.split(",")[0] for key in loaded.keys] == ["CN=Kommune 2025", "CN=Kommune 2026"]
    assert len(loaded.trust_anchors) == 1


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, material().config(tmp_path))
    (tmp_path / material().kommune_old.key_file.name).chmod(0o644)
    error = _refused(path, "smime.keys[0].key", "only its owner", "mode 644", "kommune-2025.key")
    assert "BEGIN" not in str(error)


def test_a_wrong_passphrase_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase")
    path = _config(tmp_path, material().config(tmp_path))
    error = _refused(path, "smime.keys[1].key", "wrong passphrase", "kommune-2026.key")
    assert "not the passphrase" not in str(error)


def test_an_unset_passphrase_variable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV)
    _refused(_config(tmp_path, material().config(tmp_path)), "smime.keys[1].passphrase_env", PASSPHRASE_ENV)


def test_an_encrypted_key_without_passphrase_env_is_refused(tmp_path: Path) -> None:
    m = material()
    cert, key = copy_private(m.kommune_new.cert_file, tmp_path), copy_private(m.kommune_new.key_file, tmp_path)
    text = f'[smime]\nkeys = [{{ cert = "{cert.name}", key = "{key.name}" }}]\n'
    _refused(_config(tmp_path, text), "smime.keys[0].passphrase_env", "encrypted key")


def test_a_passphrase_in_the_file_is_refused(tmp_path: Path) -> None:
    text = '[smime]\nkeys = [{ cert = "a.pem", key = "a.key", passphrase = "hemmelig" }]\n'
    error = _refused(_config(tmp_path, text), "smime.keys[0].passphrase", "passphrase_env")
    assert "hemmelig" not in str(error)


def test_a_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    m = material()
    cert, key = copy_private(m.kommune_old.cert_file, tmp_path), copy_private(m.foreign.key_file, tmp_path)
    text = f'[smime]\nkeys = [{{ cert = "{cert.name}", key = "{key.name}" }}]\n'
    _refused(_config(tmp_path, text), "smime.keys[0].key", "another key")


@pytest.mark.parametrize(("text", "key"), [
    ('[smime]\nkeys = [{ cert = "missing.pem", key = "x.key" }]\n', "smime.keys[0].cert"),
    ('[smime]\nkeys = [{ cert = "a.pem", key = "a.key", pass = "x" }]\n', "smime.keys[0].pass"),
    ('[smime]\nkeys = ["a.pem"]\n', "smime.keys"),
    ('[smime]\ntrust_anchors = ["robot.toml"]\n', "smime.trust_anchors[0]"),
])
def test_a_malformed_entry_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    _refused(_config(tmp_path, text), key)
