"""The KMD Nova adapter against a fake Nova on loopback: lookup, two-call upload, exactly once, auth, config."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from robot.archive.nova import NovaArchive, NovaConfig, document_uuid
from robot.archive.registry import build_archive, check_table
from robot.archive.remote.auth import OAuth2Grant
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata
from tests.fake_nova import (
    CLIENT_ID,
    CLIENT_SECRET,
    MOMENTUM_APIKEY,
    MOMENTUM_RESOURCE,
    MOMENTUM_SECRET,
    FakeNova,
    nova_case,
    serve,
)

CPR = "2204870503"
OTHER = "1710630883"
PDF = b"%PDF-1.7\n" + b"statusattest " * 100 + b"\n%%EOF\n"
ENV = {"NOVA_SECRET": CLIENT_SECRET, "MOMENTUM_SECRET": MOMENTUM_SECRET, "MOMENTUM_APIKEY": MOMENTUM_APIKEY}


def metadata(document: bytes = PDF) -> FilingMetadata:
    return FilingMetadata(received=datetime(2026, 5, 4, 7, 30, tzinfo=UTC), sender="psyk@rn.dk",
                          message_id="<m1@rn.dk>", form="LÆ 125", form_title="Statusattest",
                          document_sha256=hashlib.sha256(document).hexdigest(), attachment_name="attest.pdf",
                          rule="r", evidence={}, robot_version="0.1.0")


def table(base: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": f"{base}/api/", "timeout_seconds": 0.3, "retries": 1, "backoff_seconds": 0.01,
            "auth": {"token_url": f"{base}/token", "client_id": CLIENT_ID, "client_secret_env": "NOVA_SECRET"},
            "case_types": {"32.18": "sygedagpenge", "32.18.20": "jobafklaring"},
            "caseworker_email": "{racfId}@aarhus.dk", **extra}


def archive(base: str, environ: dict[str, str] | None = None, **extra: Any) -> NovaArchive:
    return NovaArchive(NovaConfig.from_dict(table(base, **extra)), environ=ENV if environ is None else environ)


@pytest.fixture
async def nova() -> AsyncIterator[tuple[FakeNova, str]]:
    fake = FakeNova()
    async for base in serve(fake):
        yield fake, base


def open_case(fake: FakeNova) -> tuple[str, Case]:
    case_uuid = fake.add(nova_case(CPR, "S2026-00101"))
    return case_uuid, Case(case_uuid, "sygedagpenge", "open", title="S2026-00101")


# ---------------------------------------------------------------- lookup


async def test_lookup_maps_open_closed_caseworker_case_number_and_team(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    first = fake.add(nova_case(CPR, "S2026-00101", name="Sofie Rasmussen"))
    closed = fake.add(nova_case(CPR, "S2025-00950", state="Afsluttet", kle="32.18.20.05"))
    unit = fake.add(nova_case(CPR, "S2026-00300", state="Udfoert", kle="27.10.00", unit="Jobcenter Syd"))
    fake.add(nova_case(OTHER, "S2026-00999"))
    fake.add(nova_case(CPR, "S2026-00400", role="Sekundær"))  # a parent's case about a child: not hers
    store = archive(base)
    cases = {case.case_id: case for case in await store.lookup("220487-0503")}
    await store.close()
    assert set(cases) == {first, closed, unit}
    assert cases[first] == Case(first, "sygedagpenge", "open", "azx0075@aarhus.dk", "Sygedagpenge Nord",
                                "S2026-00101", "Sofie Rasmussen")
    assert (cases[closed].status, cases[closed].case_type) == ("closed", "jobafklaring")  # longest KLE prefix
    assert (cases[unit].status, cases[unit].case_type) == ("open", "27.10.00")  # unmapped: the KLE number
    assert (cases[unit].caseworker_email, cases[unit].team) == (None, "Jobcenter Syd")
    (search, *_) = fake.bodies["Case/GetList"]
    assert search["caseParty"] == {"identificationType": "CprNummer", "identification": CPR}


async def test_lookup_pages_through_many_cases_each_with_a_fresh_transaction(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    made = {fake.add(nova_case(CPR, f"S2026-{n:05d}")) for n in range(5)}
    store = archive(base, page_size=2)
    assert {case.case_id for case in await store.lookup(CPR)} == made
    await store.close()
    bodies = fake.bodies["Case/GetList"]
    assert [b["paging"]["startRow"] for b in bodies] == [1, 3, 5]
    assert len({b["common"]["transactionId"] for b in bodies}) == 3


async def test_unknown_citizen_is_no_case_and_open_states_are_configurable(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    case_uuid = fake.add(nova_case(CPR, "S2026-00101", state="Afgjort"))
    store = archive(base, open_states=["Opstaaet", "Oplyst"])
    assert await store.lookup(OTHER) == []
    ((case),) = await store.lookup(CPR)
    await store.close()
    assert (case.case_id, case.status) == (case_uuid, "closed")


async def test_a_refusal_names_no_cpr_even_when_the_server_echoes_it(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    fake.faults["Case/GetList"] = [503, 503, "echo_cpr"]
    store = archive(base)
    with pytest.raises(ArchiveUnavailable) as unavailable:
        await store.lookup(CPR)
    with pytest.raises(ArchiveRejected) as refused:
        await store.lookup(CPR)  # a 400 quoting the identification back
    await store.close()
    for error in (unavailable.value, refused.value):
        assert "Case/GetList" in str(error) and CPR not in str(error) and "0503" not in str(error)
    assert "HTTP 400" in str(refused.value) and "220487-xxxx" in str(refused.value)


async def test_wrong_cpr_shape_or_miscased_keys_are_refused_by_the_fake(nova: tuple[FakeNova, str]) -> None:
    """The fake proves shapes: a dashed CPR, a PascalCase key or a missing api-version are 400s, never results."""
    import httpx

    fake, base = nova
    fake.tokens.add("t")
    async with httpx.AsyncClient(base_url=f"{base}/api/", headers={"Authorization": "Bearer t"}) as client:
        good = {"common": {"transactionId": "3f1c2f5e-0000-4000-8000-000000000000"}, "caseGetOutput": {},
                "caseParty": {"identificationType": "CprNummer", "identification": CPR}}
        assert (await client.put("Case/GetList", params={"api-version": "2.0-Case"}, json=good)).status_code == 200
        dashed = {**good, "caseParty": {"identificationType": "CprNummer", "identification": "220487-0503"}}
        assert (await client.put("Case/GetList", params={"api-version": "2.0-Case"}, json=dashed)).status_code == 400
        pascal = {**{k: v for k, v in good.items() if k != "caseParty"}, "CaseParty": good["caseParty"]}
        assert (await client.put("Case/GetList", params={"api-version": "2.0-Case"}, json=pascal)).status_code == 400
        unversioned = await client.put("Case/GetList", json=good)
        assert unversioned.status_code == 400 and unversioned.json()["error"]["code"] == "ApiVersionUnspecified"


# ---------------------------------------------------------------- filing


async def test_file_uploads_then_imports_approved_with_the_metadata(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    store = archive(base, sensitivity="SærligFølsomme",
                    security_unit={"administrative_unit_id": 818485, "full_name": "Borgerservice"})
    receipt = await store.file(case, PDF, metadata())
    await store.close()
    sha = hashlib.sha256(PDF).hexdigest()
    (document,) = fake.filed(case_uuid)
    assert receipt.document_ref == document["documentUuid"] == document_uuid(case_uuid, sha)
    assert not receipt.already_filed and document["content"] == PDF and document["approved"] is True
    assert document["filename"] == f"2026-05-04_LAE125_{sha[:8]}.pdf" and document["contentType"] == "application/pdf"
    body = document["import"]
    assert body["title"] == f"LÆ 125 Statusattest, modtaget 2026-05-04 (2026-05-04_LAE125_{sha[:8]})"
    assert (body["documentType"], body["sensitivity"], body["caseUuid"]) == ("Indgående", "SærligFølsomme", case_uuid)
    assert body["documentDate"] == "2026-05-04T09:30:00"  # Copenhagen time, as ITK sends it
    assert sha in body["description"] and body["securityUnit"]["losIdentity"]["administrativeUnitId"] == 818485
    assert fake.hits["UploadFile"] == 1 and fake.staged == {}


async def test_the_same_document_again_is_already_filed_and_not_uploaded(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    first_process, second_process = archive(base), archive(base)  # a new process: nothing remembered
    first = await first_process.file(case, PDF, metadata())
    again = await second_process.file(case, PDF, metadata())
    await first_process.close()
    await second_process.close()
    assert again.already_filed and again.document_ref == first.document_ref
    assert len(fake.filed(case_uuid)) == 1 and fake.hits["UploadFile"] == 1


@pytest.mark.parametrize("fault", ["store_then_timeout", "store_then_503"])
async def test_lost_import_answer_leaves_one_approved_document(nova: tuple[FakeNova, str], fault: str) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    fake.faults["Import"] = [fault]
    store = archive(base)
    receipt = await store.file(case, PDF, metadata())  # the import is found in the case, approved: done
    again = await store.file(case, PDF, metadata())
    await store.close()
    (document,) = fake.filed(case_uuid)
    assert document["approved"] is True and receipt.document_ref == again.document_ref == document["documentUuid"]
    assert again.already_filed and fake.hits["UploadFile"] == 1 and fake.hits["Import"] == 1


@pytest.mark.parametrize("fault", ["store_then_timeout", "store_then_503"])
async def test_lost_upload_answer_is_sent_again_later_and_filed_once(nova: tuple[FakeNova, str], fault: str) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    fake.faults["UploadFile"] = [fault]
    store = archive(base)
    with pytest.raises(ArchiveUnavailable, match="not in the case"):
        await store.file(case, PDF, metadata())  # an uploaded file is not in the case until imported
    assert fake.filed(case_uuid) == [] and len(fake.staged) == 1
    receipt = await store.file(case, PDF, metadata())
    await store.close()
    (document,) = fake.filed(case_uuid)
    assert document["approved"] is True and receipt.document_ref == document["documentUuid"]
    assert fake.hits["UploadFile"] == 2 and fake.staged == {}  # the same UUID again: replaces the staged file


async def test_import_failing_once_is_done_next_time_without_a_second_upload(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    fake.faults["Import"] = [503]
    store = archive(base)
    with pytest.raises(ArchiveUnavailable, match="looks again before it imports"):
        await store.file(case, PDF, metadata())
    assert fake.filed(case_uuid) == []
    receipt = await store.file(case, PDF, metadata())
    await store.close()
    (document,) = fake.filed(case_uuid)
    assert not receipt.already_filed and document["approved"] is True
    assert fake.hits["UploadFile"] == 1 and fake.hits["Import"] == 2


async def test_a_found_unapproved_document_goes_to_a_person(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    case_uuid, case = open_case(fake)
    sha = hashlib.sha256(PDF).hexdigest()
    fake.documents[case_uuid].append({"documentUuid": document_uuid(case_uuid, sha), "documentNumber": "D1",
                                      "title": "x", "approved": False, "documentType": "Indgående"})
    with pytest.raises(ArchiveRejected, match="a person must approve it"):
        await archive(base).file(case, PDF, metadata())
    assert fake.hits["UploadFile"] == 0


async def test_a_case_id_that_is_no_nova_uuid_is_refused(nova: tuple[FakeNova, str]) -> None:
    _, base = nova
    with pytest.raises(ArchiveRejected, match="not a Nova case UUID"):
        await archive(base).file(Case("S2026-00101", "sygedagpenge", "open"), PDF, metadata())


# ---------------------------------------------------------------- auth and health


async def test_token_is_fetched_with_client_credentials_and_scope_client(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    store = archive(base)
    health = await store.health()
    await store.close()
    assert health.ok and "Case/GetList" in health.detail
    assert fake.token_forms == [{"grant_type": "client_credentials", "scope": "client", "client_id": CLIENT_ID,
                                 "client_secret": CLIENT_SECRET}]
    assert fake.bodies["Case/GetList"][0]["caseAttributes"] == {"userFriendlyCaseNumber": "LAE-ROBOT-HEALTH-CHECK"}


async def test_an_expired_token_is_renewed_once(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    open_case(fake)
    store = archive(base)
    assert len(await store.lookup(CPR)) == 1
    fake.tokens.clear()  # Nova answers 401 once the token has expired
    assert len(await store.lookup(CPR)) == 1
    await store.close()
    assert len(fake.token_forms) == 2


async def test_a_wrong_secret_is_unavailable_and_names_no_secret(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    store = archive(base, environ={"NOVA_SECRET": "wrong-secret-42"})
    with pytest.raises(ArchiveUnavailable) as refused:
        await store.lookup(CPR)
    health = await store.health()
    await store.close()
    message = str(refused.value)
    assert "HTTP 401" in message and "unauthorized_client" in message and "wrong-secret-42" not in message
    assert not health.ok and "wrong-secret-42" not in health.detail


async def test_token_endpoint_down_is_unavailable(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    fake.faults["token"] = [503, 503]
    with pytest.raises(ArchiveUnavailable, match="token request"):
        await archive(base).lookup(CPR)


# ---------------------------------------------------------------- Momentum


def momentum(base: str) -> dict[str, Any]:
    return {"base_url": f"{base}/momentum/", "timeout_seconds": 0.5, "retries": 0,
            "auth": {"token_url": f"{base}/momentum/oauth2/token", "client_id": CLIENT_ID,
                     "client_secret_env": "MOMENTUM_SECRET", "params": {"resource": MOMENTUM_RESOURCE}},
            "secret_headers": {"apikey": {"value_env": "MOMENTUM_APIKEY"}}}


async def test_momentum_gives_the_primary_caseworkers_email_nova_does_not(nova: tuple[FakeNova, str]) -> None:
    fake, base = nova
    fake.add(nova_case(CPR, "S2026-00101", unit="Jobcenter Syd"))
    fake.citizens[CPR] = "c-1"
    fake.responsible["c-1"] = [
        {"id": "r1", "caseworkerId": "e-old", "role": 1, "caseworkerIsActive": 1, "endDate": "2025-01-01"},
        {"id": "r2", "caseworkerId": "e-other", "role": "0", "caseworkerIsActive": 1, "endDate": None},
        {"id": "r3", "caseworkerId": "e-1", "role": "1", "caseworkerIsActive": 1, "endDate": None}]
    fake.employees["e-1"] = {"id": "e-1", "displayName": "Bo Lund", "email": {"address": "bo.lund@aarhus.dk"}}
    store = archive(base, caseworker_email=None, momentum=momentum(base))
    ((case),) = await store.lookup(CPR)
    fake.citizens.clear()  # unknown in Momentum: 404, no e-mail, no error
    ((unknown),) = await store.lookup(CPR)
    await store.close()
    assert case.caseworker_email == "bo.lund@aarhus.dk" and unknown.caseworker_email is None
    assert any(form.get("resource") == MOMENTUM_RESOURCE for form in fake.token_forms)


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(("change", "key", "expected"), [
    ({"auth": {"client_id": "x", "client_secret": "inline"}}, "client_secret", "client_secret_env"),
    ({"caseworker_email": "{initials}@aarhus.dk"}, "caseworker_email", "{racfId}@kommune.dk"),
    ({"sensitivity": "Fortrolig"}, "sensitivity", "'Følsomme'"),
    ({"open_states": []}, "open_states", "progress states"),
    ({"case_types": {"sygedagpenge": "32.18"}}, "case_types.sygedagpenge", "KLE number"),
    ({"page_size": 1000}, "page_size", "at most 500"),
    ({"security_unit": {"full_name": "Borgerservice"}}, "security_unit.administrative_unit_id", "required"),
    ({"apiversion": "2.0-Case"}, "apiversion", "no such key"),
    ({"momentum": {"base_url": "https://m.example/", "auth": {"client_id": "x", "client_secret_env": "S"}}},
     "momentum.auth.params", "resource"),
])
def test_config_errors_name_the_key(change: dict[str, Any], key: str, expected: str) -> None:
    settings = {**table("https://nova.example"), **change}
    with pytest.raises(ConfigError) as error:
        check_table("nova", settings, Path("."))
    assert key in str(error.value) and expected in str(error.value)


def test_a_missing_secret_stops_the_build_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOVA_SECRET", raising=False)
    with pytest.raises(ConfigError) as error:
        build_archive("nova", table("https://nova.example"), Path("."))
    assert "NOVA_SECRET" in str(error.value)


def test_defaults_are_novas_own_token_endpoint_and_scope() -> None:
    config = NovaConfig.from_dict({"base_url": "https://cap-novaapi.kmd.dk/api/",
                                   "auth": {"client_id": "x", "client_secret_env": "S"}})
    auth = config.connection.auth
    assert isinstance(auth, OAuth2Grant) and auth.scope == "client" and auth.grant == "client_credentials"
    assert auth.token_url == "https://novaauth.kmd.dk/realms/NovaIntegration/protocol/openid-connect/token"
    assert (config.api_version, config.upload_api_version, config.open_states[-1]) == ("2.0-Case", "1.0-Case",
                                                                                      "Udfoert")


def test_the_commented_example_in_config_example_toml_is_a_valid_table() -> None:
    text = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    block = text[text.index("# [archive.nova]\n"):].split("\n\n")[0]
    lines = [line[2:] for line in block.splitlines() if not line.startswith("# #")]
    data = tomllib.loads("\n".join(lines))["archive"]["nova"]
    config = NovaConfig.from_dict(data)
    assert config.caseworker_email == "{racfId}@kommune.dk" and config.momentum is not None
    assert config.case_types[0] == ("32.18", "sygedagpenge") and config.security_unit is not None
