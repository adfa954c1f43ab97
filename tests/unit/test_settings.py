"""Settings: embedded defaults, and errors that name the file, the key and what was expected."""

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from robot.config_error import ConfigError
from robot.model import MAIL_HEADROOM_BYTES, mail_bytes_to_carry
from robot.setting_tables import load_settings, smtp_listener
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
        ("[fhir]\npoll_seconds = 0\n", "fhir.poll_seconds", "a positive number"),
        ("[fhir]\ndrop_folder = \"x\"\n", "fhir.drop_folder", "no such setting"),
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


def test_a_mail_limit_that_cannot_carry_a_pdf_of_the_pdf_limit_is_refused_naming_both_keys(tmp_path: Path) -> None:
    # issue 10: both limits were 50 MiB, so a PDF over ~37 MB could never arrive: base64 adds a third
    path = tmp_path / "robot.toml"
    path.write_text("[limits]\npdf_max_bytes = 52428800\nmail_max_bytes = 52428800\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.key == "limits.mail_max_bytes"
    assert "limits.pdf_max_bytes = 52428800" in raised.value.expected
    assert f"at least {mail_bytes_to_carry(52428800)}" in raised.value.expected
    path.write_text(f"[limits]\npdf_max_bytes = 52428800\nmail_max_bytes = {mail_bytes_to_carry(52428800)}\n",
                    encoding="utf-8")
    assert load_settings(path).limits.mail_max_bytes == mail_bytes_to_carry(52428800)


def test_the_embedded_mail_limit_carries_a_pdf_of_the_embedded_pdf_limit_base64_encoded() -> None:
    limits = Settings().limits
    pdf = bytes(range(256)) * (limits.pdf_max_bytes // 256)
    message = EmailMessage()
    message["From"], message["Subject"] = "a@rn.dk", "Attest"
    message.set_content("Hermed attest.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="attest.pdf")
    raw = message.as_bytes(policy=SMTP)
    assert len(raw) + MAIL_HEADROOM_BYTES // 2 <= mail_bytes_to_carry(len(pdf)) <= limits.mail_max_bytes


def test_the_smtp_listener_takes_in_a_quarter_more_than_the_mail_limit_and_may_not_take_less(tmp_path: Path) -> None:
    path = tmp_path / "robot.toml"
    path.write_text("[limits]\npdf_max_bytes = 1000000\nmail_max_bytes = 2000000\n", encoding="utf-8")
    listener = smtp_listener(load_settings(path))
    assert listener is not None and listener.max_message_bytes == 2_500_000
    path.write_text("[limits]\npdf_max_bytes = 1000000\nmail_max_bytes = 2000000\n[ingress]\nsmtp = { host = "
                    '"127.0.0.1", port = 2525, accept_recipients = ["@localhost"], max_message_bytes = 1999999 }\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.key == "ingress.smtp.max_message_bytes"
    assert "limits.mail_max_bytes = 2000000" in raised.value.expected and "1999999" in raised.value.expected
