"""Settings: embedded defaults, and errors that name the file, the key and what was expected."""

from pathlib import Path

import pytest

from robot.config_error import ConfigError
from robot.setting_tables import load_settings
from robot.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def test_example_config_equals_embedded_defaults_apart_from_paths() -> None:
    loaded = load_settings(EXAMPLE)
    defaults = Settings()
    assert loaded.limits == defaults.limits and loaded.logging == defaults.logging
    assert loaded.rules.dir == EXAMPLE.parent / "rules"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[limits]\npdf_seconds = -1\n", "limits.pdf_seconds", "a positive number"),
        ("[limits]\npdf_secs = 3\n", "limits.pdf_secs", "no such setting"),
        ("[logging]\nformat = \"xml\"\n", "logging.format", "one of 'json', 'console'"),
        ("[extract]\nworkers = \"two\"\n", "extract.workers", "a positive whole number"),
        ("[surprise]\n", "surprise", "no such setting"),
        ("limits = 3\n", "limits", "a table"),
        ("[limits\n", "-", "valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_expectation(tmp_path: Path, text: str, key: str, expected: str) -> None:
    path = tmp_path / "robot.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.file == str(path) and raised.value.key == key
    assert expected in raised.value.expected
    assert str(path) in str(raised.value) and key in str(raised.value)


def test_cli_reports_config_error_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from robot.cli import main

    path = tmp_path / "robot.toml"
    path.write_text("[limits]\npdf_seconds = 0\n", encoding="utf-8")
    assert main(["--config", str(path), "check-rules"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: limits.pdf_seconds: a positive number" in err and "Traceback" not in err
