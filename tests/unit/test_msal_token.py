"""The MSAL token command for Exchange Online IMAP.

Microsoft Entra ID cannot be reached from here, so these tests replace the `msal` module with a fake
that records what it was asked and answers like MSAL's client-credentials call. They check our side:
the authority, the client secret taken from the environment, the scope, and the errors.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from robot.ingress import msal_token


class FakeApplication:
    calls: list[dict[str, Any]] = []
    answer: dict[str, Any] = {"access_token": "eyJ0eXAi.token"}

    def __init__(self, client_id: str, authority: str, client_credential: str):
        self.calls.append({"client_id": client_id, "authority": authority, "secret": client_credential})

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        self.calls.append({"scopes": scopes})
        return self.answer


@pytest.fixture
def fake_msal(monkeypatch: pytest.MonkeyPatch) -> type[FakeApplication]:
    module = types.ModuleType("msal")
    module.ConfidentialClientApplication = FakeApplication  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "msal", module)
    FakeApplication.calls = []
    FakeApplication.answer = {"access_token": "eyJ0eXAi.token"}
    return FakeApplication


def test_prints_the_token_from_client_credentials(fake_msal: type[FakeApplication], monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("IMAP_SECRET", "s3cret")
    assert msal_token.main(["--tenant", "kommune.dk", "--client-id", "app-1", "--secret-env", "IMAP_SECRET"]) == 0
    assert capsys.readouterr().out.strip() == "eyJ0eXAi.token"
    assert fake_msal.calls == [
        {"client_id": "app-1", "authority": "https://login.microsoftonline.com/kommune.dk", "secret": "s3cret"},
        {"scopes": ["https://outlook.office365.com/.default"]},
    ]


def test_refusal_names_the_error_and_not_the_secret(fake_msal: type[FakeApplication],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    fake_msal.answer = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
    monkeypatch.setenv("IMAP_SECRET", "s3cret")
    assert msal_token.main(["--tenant", "t", "--client-id", "c", "--secret-env", "IMAP_SECRET"]) == 1
    err = capsys.readouterr().err
    assert "invalid_client" in err and "s3cret" not in err


def test_missing_secret_variable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    assert msal_token.main(["--tenant", "t", "--client-id", "c", "--secret-env", "NO_SUCH_SECRET"]) == 2
    assert "NO_SUCH_SECRET is not set" in capsys.readouterr().err


def test_without_msal_installed_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msal", None)  # import fails as if not installed
    with pytest.raises(RuntimeError, match="lae-robot\\[msal\\]"):
        msal_token.fetch_token("t", "c", "s")
