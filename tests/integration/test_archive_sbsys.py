"""The SBSYS adapter against a fake SBSYS web API and SBSIP token endpoint on loopback: lookup, journalise, exactly once."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from robot.archive.registry import build_archive, check_table
from robot.archive.sbsys import SbsysArchive, SbsysConfig
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata
from robot.setting_tables import load_settings
from tests.fake_sbsys import TOKEN_PATH, FakeSbsys, serve

CPR = "2204870503"
DASHED = "220487-0503"
FULL_CPR = re.compile(r"\d{6}-?\d{4}")
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\nLAE 125 statusattest\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()
NAME = f"2026-12-06_LAE125_{SHA[:8]}.pdf"
ENV = {"SBSYS_SECRET": "klient-hemmelighed-1", "SBSYS_PASSWORD": "kodeord-1"}


def metadata(document: bytes = PDF) -> FilingMetadata:
    return FilingMetadata(received=datetime(2026, 12, 6, 9, 30, tzinfo=UTC), sender="attest@rn.dk",
                          message_id="<m1@rn.dk>", form="LÆ 125", form_title="Statusattest",
                          document_sha256=hashlib.sha256(document).hexdigest(), attachment_name="a.pdf", rule="r",
                          evidence={}, robot_version="test")


def table(base: str, **extra: Any) -> dict[str, Any]:
    auth = {"type": "oauth2", "token_url": base + TOKEN_PATH.lstrip("/"), "client_id": "lae-robot",
            "client_secret_env": "SBSYS_SECRET", "username": "svc-lae-robot", "password_env": "SBSYS_PASSWORD"}
    return {"base_url": base, "auth": auth, "retries": 0, "backoff_seconds": 0.001, "timeout_seconds": 2.0,
            "case_types": {"32.18.00": "sygedagpenge"}, "caseworker_email": "{initials}@kommune.example", **extra}


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeSbsys, str]]:
    state = FakeSbsys()
    state.add_case(4711, DASHED, "32.18.00-G01-12-26")
    state.add_case(4650, DASHED, "32.18.00-G01-3-24", tilstand="Afsluttet", logon_id="BOLU", behandler="Bo Lund")
    state.add_case(4800, "171063-0883", "32.18.00-G01-40-26", citizen="Karl Nielsen")
    async for base in serve(state):
        yield state, base


def archive(base: str, environ: dict[str, str] | None = None, **extra: Any) -> SbsysArchive:
    return SbsysArchive(SbsysConfig.from_dict(table(base, **extra)), environ=ENV if environ is None else environ)


async def open_case(adapter: SbsysArchive) -> Case:
    return next(c for c in await adapter.lookup(CPR) if c.is_open)


# ---------------------------------------------------------------- lookup


async def test_lookup_reads_the_citizens_cases_as_sbsys_answers_them(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base)
    cases = sorted(await adapter.lookup(CPR), key=lambda c: c.case_id)
    await adapter.close()
    assert cases == [
        Case(case_id="4650", case_type="sygedagpenge", status="closed", caseworker_email="bolu@kommune.example",
             team="Sygedagpenge Nord", title="32.18.00-G01-3-24", citizen_name="Sofie Rasmussen"),
        Case(case_id="4711", case_type="sygedagpenge", status="open", caseworker_email="anho@kommune.example",
             team="Sygedagpenge Nord", title="32.18.00-G01-12-26", citizen_name="Sofie Rasmussen"),
    ]
    assert state.searches == [{"PrimaerPerson": {"CprNummer": DASHED}, "Limit": 500}]
    assert state.token_forms == [{"grant_type": "password", "username": "svc-lae-robot", "password": "kodeord-1",
                                  "client_id": "lae-robot", "client_secret": "klient-hemmelighed-1"}]
    assert adapter.name_source() is not None  # the citizen's name is known: the name check is on


async def test_what_open_means_hvilende_by_default_and_as_configured(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    state.tilstand_as_number = True  # SagsTilstand on the wire as the enum's number
    state.add_case(4712, "010190-1234", "27.00.00-G01-1-26", tilstand="Hvilende", logon_id=None, team=None)
    adapter = archive(base, caseworker_email=None, case_type_from="skabelon", citizen_names=False)
    (dormant,) = await adapter.lookup("0101901234")
    await adapter.close()
    assert (dormant.status, dormant.caseworker_email, dormant.team, dormant.case_type, dormant.citizen_name) == (
        "open", None, None, "Sygedagpenge", None)
    strict = archive(base, open_states=["Aktiv"])
    assert [c.status for c in await strict.lookup("0101901234")] == ["closed"]
    await strict.close()


async def test_an_unknown_citizen_has_no_cases(fake: tuple[FakeSbsys, str]) -> None:
    _, base = fake
    adapter = archive(base)
    assert await adapter.lookup("0101011234") == []
    await adapter.close()


async def test_a_refused_search_names_no_cpr_even_when_sbsys_echoes_it(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    state.search_faults = [400, 503]
    adapter = archive(base)
    with pytest.raises(ArchiveRejected) as refused:
        await adapter.lookup(CPR)
    with pytest.raises(ArchiveUnavailable) as away:
        await adapter.lookup(CPR)
    await adapter.close()
    assert "HTTP 400" in str(refused.value) and "efter 220487-xxxx fejlede" in str(refused.value)
    assert "HTTP 503" in str(away.value)
    assert not FULL_CPR.search(str(refused.value) + str(away.value))


async def test_a_case_of_another_citizen_in_the_answer_is_never_used(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    state.stray_results = [state.cases[2]]  # 171063-0883's case, answered for the wrong search
    adapter = archive(base)
    assert sorted(c.case_id for c in await adapter.lookup(CPR)) == ["4650", "4711"]
    await adapter.close()


async def test_more_cases_than_the_search_limit_is_refused_rather_than_half_read(fake: tuple[FakeSbsys, str]) -> None:
    _, base = fake
    adapter = archive(base, search_limit=1)
    with pytest.raises(ArchiveRejected, match="raise search_limit"):
        await adapter.lookup(CPR)
    await adapter.close()


async def test_the_fake_refuses_what_sbsys_would_not_bind(fake: tuple[FakeSbsys, str]) -> None:
    """The shapes are proven: a CPR without the dash, another casing, an extra property and a null are refused."""
    state, base = fake
    async with httpx.AsyncClient(base_url=base) as client:
        token = (await client.post(TOKEN_PATH.lstrip("/"), data={
            "grant_type": "password", "client_id": "lae-robot", "client_secret": "klient-hemmelighed-1",
            "username": "svc-lae-robot", "password": "kodeord-1"})).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for body in ({"PrimaerPerson": {"CprNummer": CPR}}, {"PrimaerPerson": {"CPRnummer": DASHED}},
                     {"primaerPerson": {"CprNummer": DASHED}}):
            assert (await client.post("api/sag/search", json=body, headers=auth)).status_code == 400
        assert (await client.post("api/sag/search", json={"PrimaerPerson": {"CprNummer": DASHED}})).status_code == 401
        for fields in ('{"SagId": 4711, "DokumentNavn": "x"}', '{"SagID": "4711", "DokumentNavn": "x"}',
                       '{"SagID": 4711, "DokumentNavn": "x", "Beskrivelse": null}',
                       '{"SagID": 4711, "DokumentNavn": "x", "EksternId": "y"}'):
            answer = await client.post("api/dokument/journaliser", headers=auth, data={"json": fields},
                                       files={"file": ("x.pdf", PDF, "application/pdf")})
            assert answer.status_code == 400, fields
        as_json = await client.post("api/dokument/journaliser", headers=auth, json={"SagID": 4711, "DokumentNavn": "x"})
        assert as_json.status_code == 415
    assert state.documents[4711] == []


# ---------------------------------------------------------------- filing


async def test_a_certificate_is_journalised_once_with_its_metadata(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base, dokument_art_id=1)
    case = await open_case(adapter)
    receipt = await adapter.file(case, PDF, metadata())
    again = await adapter.file(case, PDF, metadata())
    await adapter.close()
    (document,) = state.documents[4711]
    assert (receipt.case_id, receipt.document_ref, receipt.sha256, receipt.already_filed) == (
        "4711", str(document["Id"]), SHA, False)
    assert (again.document_ref, again.already_filed) == (receipt.document_ref, True)
    (post,) = state.journalise_posts
    assert post == {"json": {"SagID": 4711, "DokumentNavn": NAME, "DokumentArt": {"Id": 1},
                             "Beskrivelse": "LÆ 125 Statusattest, modtaget 2026-12-06 fra attest@rn.dk. "
                                            "Journaliseret af lae-robot."},
                    "filename": NAME, "content_type": "application/pdf"}
    assert state.files[document["Id"]] == PDF
    assert [c for c in state.calls if "dokument" in c] == [
        "GET /api/sag/4711/dokumenter", "POST /api/dokument/journaliser", "GET /api/sag/4711/dokumenter"]


async def test_a_lost_answer_after_storing_leaves_exactly_one_document(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base, timeout_seconds=0.3)
    case = await open_case(adapter)
    state.journalise_faults = ["store_then_timeout"]
    receipt = await adapter.file(case, PDF, metadata())
    state.journalise_faults = ["store_then_503"]
    other = PDF.replace(b"125", b"126")
    second = await adapter.file(case, other, metadata(other))
    await adapter.close()
    first, stored_second = state.documents[4711]
    assert len(state.journalise_posts) == 2  # each sent once, found after its answer was lost
    assert (receipt.document_ref, second.document_ref) == (str(first["Id"]), str(stored_second["Id"]))
    assert not receipt.already_filed and not second.already_filed


async def test_when_the_check_after_a_lost_answer_fails_the_next_attempt_uploads_nothing_again(
        fake: tuple[FakeSbsys, str]) -> None:
    """SBSYS has no step after journalising to repeat; what can be half done is the check after a lost answer."""
    state, base = fake
    adapter = archive(base)
    case = await open_case(adapter)
    state.journalise_faults = ["store_then_503"]
    state.list_faults_after_store = [503]  # the list before the upload answers; the one after it fails
    with pytest.raises(ArchiveUnavailable, match="HTTP 503"):
        await adapter.file(case, PDF, metadata())
    receipt = await adapter.file(case, PDF, metadata())
    await adapter.close()
    (document,) = state.documents[4711]
    assert len(state.journalise_posts) == 1
    assert (receipt.document_ref, receipt.already_filed) == (str(document["Id"]), True)


async def test_a_refusal_before_storing_is_sent_again_on_the_next_attempt(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base)
    case = await open_case(adapter)
    state.journalise_faults = ["503"]
    with pytest.raises(ArchiveUnavailable, match="not in the case, so it will be sent again later"):
        await adapter.file(case, PDF, metadata())
    receipt = await adapter.file(case, PDF, metadata())
    await adapter.close()
    assert len(state.documents[4711]) == 1 and len(state.journalise_posts) == 2 and not receipt.already_filed


async def test_a_closed_case_or_a_foreign_case_id_is_refused(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base)
    closed = next(c for c in await adapter.lookup(CPR) if not c.is_open)
    with pytest.raises(ArchiveRejected, match="HTTP 409"):
        await adapter.file(closed, PDF, metadata())
    with pytest.raises(ArchiveRejected, match="no SBSYS case Id"):
        await adapter.file(Case("BOR-2022-000046", "x", "open"), PDF, metadata())
    await adapter.close()
    assert state.documents[4650] == []


# ---------------------------------------------------------------- auth and health


async def test_a_wrong_secret_or_a_refused_token_is_unavailable_and_names_no_secret(
        fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    wrong = archive(base, environ={**ENV, "SBSYS_SECRET": "forkert-hemmelighed"})
    with pytest.raises(ArchiveUnavailable) as raised:
        await wrong.lookup(CPR)
    health = await wrong.health()
    await wrong.close()
    assert "HTTP 401" in str(raised.value) and "unauthorized_client" in str(raised.value)
    assert "forkert-hemmelighed" not in str(raised.value) + health.detail and not health.ok
    state.refuse_tokens = True
    refused = archive(base)
    with pytest.raises(ArchiveUnavailable, match="invalid_grant"):
        await refused.lookup(CPR)
    await refused.close()
    assert state.calls == []


async def test_an_expired_token_is_fetched_again_once_and_health_asks_the_heartbeat(
        fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    adapter = archive(base)
    assert (await adapter.health()).ok
    state.revoke_tokens()
    assert len(await adapter.lookup(CPR)) == 2
    await adapter.close()
    assert len(state.token_forms) == 2
    assert state.calls == ["GET /api/info/heartbeat/authorized", "POST /api/sag/search"]


async def test_a_client_credentials_grant_when_the_installation_allows_it(fake: tuple[FakeSbsys, str]) -> None:
    state, base = fake
    state.allow_client_credentials = True
    settings = table(base)
    settings["auth"] = {"type": "oauth2", "grant": "client_credentials", "token_url": settings["auth"]["token_url"],
                        "client_id": "lae-robot", "client_secret_env": "SBSYS_SECRET"}
    adapter = SbsysArchive(SbsysConfig.from_dict(settings), environ=ENV)
    assert len(await adapter.lookup(CPR)) == 2
    await adapter.close()
    assert state.token_forms == [{"grant_type": "client_credentials", "client_id": "lae-robot",
                                  "client_secret": "klient-hemmelighed-1"}]


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(("change", "key", "expected"), [
    ({"auth": {"type": "ntlm", "username": "K\\u", "password_env": "X"}}, "auth.type", "SBSIP's Keycloak"),
    ({"open_states": ["Lukket"]}, "open_states", "SagsTilstand names"),
    ({"caseworker_email": "sagsbehandler@kommune.dk"}, "caseworker_email", "{initials}"),
    ({"case_type_from": "sagsnummer"}, "case_type_from", "'kle'"),
    ({"search_limit": 0}, "search_limit", "at least 1"),
    ({"citizen_names": "ja"}, "citizen_names", "true or false"),
    ({"dokument_art_id": "1"}, "dokument_art_id", "whole number"),
    ({"soeg": {}}, "soeg", "no such key"),
])
def test_config_errors_name_the_key(change: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_table("sbsys", {**table("https://sbsyswebapi.kommune.example/"), **change}, Path("."))
    assert raised.value.key == key and expected in str(raised.value)


def test_the_commented_example_table_is_a_valid_sbsys_table() -> None:
    text = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    block = text[text.index("# [archive.sbsys]"):text.index("[notify]")]
    lines = [line[2:] for line in block.splitlines()[1:] if line.startswith("# ") and not line.startswith("# #")]
    example = tomllib.loads("\n".join(lines))
    check_table("sbsys", example, Path("."))
    config = SbsysConfig.from_dict(example)
    assert config.open_states == ("aktiv", "hvilende") and config.case_type_from == "kle"
    assert config.caseworker_email == "{initials}@kommune.example" and config.dokument_art_id == 1


def test_an_inline_secret_is_refused_and_the_table_is_checked_without_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "robot.toml"
    config.write_text('[archive]\nadapter = "sbsys"\n[archive.sbsys]\nbase_url = "https://sbsys.kommune.example/"\n'
                      'auth = { type = "oauth2", token_url = "https://sbsip.kommune.example/auth/realms/sbsip/'
                      'protocol/openid-connect/token", client_id = "lae-robot", client_secret_env = "UNSET_1", '
                      'username = "svc", password = "hemmelig" }\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "archive.sbsys.auth.password" in str(raised.value) and str(config) in str(raised.value)
    assert "hemmelig" not in str(raised.value)
    config.write_text(config.read_text(encoding="utf-8").replace('password = "hemmelig"', 'password_env = "UNSET_2"'),
                      encoding="utf-8")
    assert load_settings(config).archive.adapter == "sbsys"  # shape only: the unset variables are not read
    with pytest.raises(ConfigError, match="UNSET_1"):
        build_archive("sbsys", load_settings(config).archive.sbsys, tmp_path)
