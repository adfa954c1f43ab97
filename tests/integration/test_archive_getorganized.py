"""The GetOrganized adapter against a fake GetOrganized on loopback behind a real NTLM handshake."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from robot.archive.config import Table
from robot.archive.getorganized import GetOrganizedArchive, GetOrganizedConfig
from robot.archive.registry import check_table
from robot.archive.remote.client import RemoteClient, read_connection
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata
from robot.setting_tables import load_settings
from tests.fake_getorganized import FakeGetOrganized, GoCase, running
from tests.ntlm_server import ntlm_users  # noqa: F401  (a fixture)

CPR = "2204870503"
OTHER = "1710630883"
PASSWORD = "Hemmeligt-1"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\nLAE 125 attest\n%%EOF\n"
TITLE = "Statusattest & <svar> 'x' \"y\""


@pytest.fixture
async def go(ntlm_users: dict[str, str]) -> AsyncIterator[tuple[FakeGetOrganized, str]]:  # noqa: F811
    fake = FakeGetOrganized()
    fake.add(GoCase("BOR-2022-000046", CPR, name="Rasmussen, Sofie",
                    fields={"ows_Afdeling": "7;#Sygedagpenge Nord", "ows_CaseCategory": "3;#Sygedagpenge"}))
    fake.add(GoCase("BOR-2019-000012", CPR, name="Rasmussen, Sofie", status="Afsluttet", owner="22;#Bo Lund",
                    web="BOR03"))
    fake.add(GoCase("BOR-2022-000046-001", CPR, name="Rasmussen, Sofie"))  # a sub-case
    fake.add(GoCase("PPR-2022-000001", CPR, name="Rasmussen, Sofie", web="PPR01"))  # a type not searched
    fake.add(GoCase("BOR-2023-000100", OTHER, name="Anne Jensen"))
    async for base in running(fake):
        yield fake, base


def table(base: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": base, "timeout_seconds": 2.0, "retries": 1, "backoff_seconds": 0.01,
            "auth": {"type": "ntlm", "username": "KOMMUNE\\lae-robot", "password_env": "GO_PASSWORD"},
            "caseworker_email": "{owner}@kommune.example", "team_field": "ows_Afdeling", **extra}


def archive(base: str, password: str = PASSWORD, **extra: Any) -> GetOrganizedArchive:
    return GetOrganizedArchive(GetOrganizedConfig.from_dict(table(base, **extra)), environ={"GO_PASSWORD": password})


def metadata(document: bytes = PDF, form_title: str = TITLE) -> FilingMetadata:
    return FilingMetadata(received=datetime(2026, 12, 6, 9, 30, tzinfo=UTC), sender="laege@regionh.dk",
                          message_id="<m1@regionh.dk>", form="LÆ 125", form_title=form_title,
                          document_sha256=hashlib.sha256(document).hexdigest(), attachment_name="attest.pdf",
                          rule="attester", evidence={}, robot_version="test")


CASE = Case("BOR-2022-000046", "Sygedagpenge", "open")
FILENAME = f"2026-12-06_LAE125_{hashlib.sha256(PDF).hexdigest()[:8]}.pdf"


# ---------------------------------------------------------------- lookup


async def test_lookup_gives_the_citizens_cases_open_and_closed_with_caseworker_team_and_number(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    robot = archive(base, case_type_field="ows_CaseCategory")
    cases = sorted(await robot.lookup("220487-0503"), key=lambda c: c.case_id)
    await robot.close()
    assert cases == [
        Case("BOR-2019-000012", "", "closed", "bo.lund@kommune.example", None, "BOR-2019-000012", "Rasmussen, Sofie"),
        Case("BOR-2022-000046", "Sygedagpenge", "open", "anne.holm@kommune.example", "Sygedagpenge Nord",
             "BOR-2022-000046", "Rasmussen, Sofie"),
    ]  # the sub-case, the PPR case and the other citizen's case are not among them
    assert fake.bodies[0] == {"FieldProperties": [{"InternalName": "ows_CCMContactData_CPR", "Value": CPR}],
                              "CaseTypePrefixes": ["BOR"], "LogicalOperator": "AND", "ExcludeDeletedCases": True,
                              "ReturnCasesNumber": 100}
    assert fake.gate.logins == ["KOMMUNE\\lae-robot"] and fake.refused == []
    assert robot.name_source() is not None


async def test_case_type_is_the_prefix_and_sub_cases_come_when_asked(go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    robot = archive(base, sub_cases=True, case_type_prefixes=["BOR", "PPR"], caseworker_email=None)
    cases = {c.case_id: c for c in await robot.lookup(CPR)}
    await robot.close()
    assert sorted(cases) == ["BOR-2019-000012", "BOR-2022-000046", "BOR-2022-000046-001", "PPR-2022-000001"]
    assert cases["PPR-2022-000001"].case_type == "PPR" and cases["BOR-2022-000046"].caseworker_email is None


async def test_an_unknown_citizen_has_no_case_and_no_cpr_reaches_an_error_or_a_log(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    # a case the search finds whose party is someone else: never offered for filing
    fake.add(GoCase("BOR-2024-000200", CPR, fields={"ows_CCMContactData": "Anden Person;#9;#0101011234;#;#"}))
    robot = archive(base)
    with capture_logs() as logs:
        assert await robot.lookup("0101900000") == []
        assert "BOR-2024-000200" not in {c.case_id for c in await robot.lookup(CPR)}
        fake.cases["BOR-2022-000046"].owner = "18;#Anne 2204870503 Holm"  # an odd owner label is no address
        assert {c.caseworker_email for c in await robot.lookup(CPR)} == {None, "bo.lund@kommune.example"}
    await robot.close()
    assert any(entry["event"] == "GetOrganized case of another citizen ignored" for entry in logs)
    assert not any(number in repr(logs) for number in (CPR, "220487-0503", "0101011234", "0101900000"))


async def test_a_refused_search_names_no_cpr(go: tuple[FakeGetOrganized, str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake, base = go
    robot = archive(base)

    def echo(body: dict[str, Any]) -> Any:  # an error page that echoes the request, as some servers do
        from tests.fake_getorganized import Refused
        raise Refused(400, f"No cases for {body['FieldProperties'][0]['Value']}")

    monkeypatch.setattr(fake, "find_by_case_properties", echo)
    with pytest.raises(ArchiveRejected) as raised:
        await robot.lookup(CPR)
    await robot.close()
    assert "HTTP 400" in str(raised.value) and CPR not in str(raised.value) and "0503" not in str(raised.value)


# ---------------------------------------------------------------- filing


async def test_upload_carries_the_metadata_escaped_then_journalised_and_finalised(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    robot = archive(base)
    receipt = await robot.file(CASE, PDF, metadata())
    await robot.close()
    (document,) = fake.documents
    assert (receipt.case_id, receipt.document_ref, receipt.already_filed) == (CASE.case_id, "215820", False)
    assert (document.case_id, document.folder, document.name, document.data) == (CASE.case_id, "Dokumenter",
                                                                                FILENAME, PDF)
    assert document.metadata == {"ows_Title": f"LÆ 125 {TITLE}", "ows_Dato": "2026-12-06",
                                 "ows_Korrespondance": "Indgående"}
    assert (document.record_number, document.finalized) == (1, True)
    upload = next(b for b in fake.bodies if isinstance(b, dict) and "bytes" in b)
    assert upload["bytes"][:4] == [37, 80, 68, 70] and upload["Overwrite"] is False and upload["FolderPath"] == ""
    assert fake.refused == []


async def test_add_to_case_sends_Bytes_into_a_folder_and_finds_it_again(go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    robot = archive(base, upload_endpoint="AddToCase", folder_path="Lægeattester", finish=["finalize"],
                    extra_metadata={"ows_Kategori": "Lægeerklæring"})
    first = await robot.file(CASE, PDF, metadata())
    again = await robot.file(CASE, PDF, metadata())
    await robot.close()
    (document,) = fake.documents
    assert document.folder == "Dokumenter/Lægeattester" and document.metadata["ows_Kategori"] == "Lægeerklæring"
    assert (document.record_number, document.finalized) == (0, True)  # finalised only, as configured
    assert any(isinstance(b, dict) and "Bytes" in b for b in fake.bodies)
    assert again.already_filed and again.document_ref == first.document_ref and fake.uploads() == 1


async def test_the_same_document_again_is_already_filed_without_a_second_upload(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    robot = archive(base)
    first = await robot.file(CASE, PDF, metadata())
    again = await robot.file(CASE, PDF, metadata())
    await robot.close()
    assert again.already_filed and again.document_ref == first.document_ref
    assert fake.uploads() == 1 and len(fake.documents) == 1 and fake.refused == []


@pytest.mark.parametrize("fault", ["store_then_timeout", "store_then_503"])
async def test_a_lost_upload_answer_leaves_exactly_one_document_and_finishes_it(
        go: tuple[FakeGetOrganized, str], fault: str) -> None:
    fake, base = go
    setattr(fake, fault, 1)
    robot = archive(base, timeout_seconds=0.4)
    receipt = await robot.file(CASE, PDF, metadata())
    await robot.close()
    (document,) = fake.documents
    assert fake.uploads() == 1 and receipt.document_ref == str(document.doc_id)
    assert (document.record_number, document.finalized) == (1, True)


async def test_a_failed_finish_is_done_on_the_next_attempt_without_a_second_upload(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    fake.fail_step["finalize"] = 1
    robot = archive(base)
    with pytest.raises(ArchiveUnavailable, match="repeated on the next attempt"):
        await robot.file(CASE, PDF, metadata())
    (document,) = fake.documents
    assert (document.record_number, document.finalized) == (1, False)
    receipt = await robot.file(CASE, PDF, metadata())
    await robot.close()
    assert receipt.already_filed and document.finalized and fake.uploads() == 1
    assert sum(call.endswith("markmultipleascaserecord/bydocumentid") for call in fake.calls) == 1


# ---------------------------------------------------------------- the fake refuses wrong shapes


async def test_the_fake_refuses_what_getorganized_clients_never_send(go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    remote = RemoteClient(read_connection(Table.of(table(base))), "probe", environ={"GO_PASSWORD": PASSWORD})
    dashed = {"FieldProperties": [{"InternalName": "ows_CCMContactData_CPR", "Value": "220487-0503"}],
              "CaseTypePrefixes": ["BOR"]}
    lower = {"fieldProperties": dashed["FieldProperties"], "CaseTypePrefixes": ["BOR"]}
    upload = {"Bytes": [37], "CaseId": CASE.case_id, "ListName": "Dokumenter", "FolderPath": "", "FileName": "a.pdf",
              "Metadata": '<z:row xmlns:z="#RowsetSchema" ows_Title="A & B" />', "Overwrite": False}
    statuses = [(await remote.read("probe", "POST", "_goapi/Cases/FindByCaseProperties", json=body)).status_code
                for body in (dashed, lower)]
    statuses.append((await remote.write("probe", "POST", "_goapi/Documents/AddToDocumentLibrary",
                                        json=upload)).status_code)
    await remote.close()
    assert statuses == [400, 400, 400] and fake.documents == []
    assert [m.split(":")[0] for m in fake.refused] == ["ows_CCMContactData_CPR must be ten digits without a dash",
                                                       "The request is invalid", "The request is invalid"]


# ---------------------------------------------------------------- authentication and health


async def test_wrong_password_is_unavailable_naming_no_secret_and_health_says_so(
        go: tuple[FakeGetOrganized, str]) -> None:
    fake, base = go
    wrong = archive(base, password="Forkert-9")
    with pytest.raises(ArchiveUnavailable, match="authentication refused") as raised:
        await wrong.lookup(CPR)
    health = await wrong.health()
    await wrong.close()
    assert "Forkert-9" not in str(raised.value) and not health.ok and "Forkert-9" not in health.detail
    assert fake.gate.refused >= 1
    right = archive(base)
    health = await right.health()
    await right.close()
    assert health.ok and "FindByCaseProperties" in health.detail
    assert fake.bodies[-1]["FieldProperties"][0]["InternalName"] == "ows_CaseID"


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(("change", "key", "expected"), [
    ({"auth": {"type": "bearer", "token_env": "T"}}, "auth.type", '"ntlm"'),
    ({"case_type_prefixes": ["bor"]}, "case_type_prefixes", "capital letters"),
    ({"finish": ["close"]}, "finish", "journalize"),
    ({"caseworker_email": "{initials}@kommune.dk"}, "caseworker_email", "{owner}"),
    ({"document_title": "{cpr}"}, "document_title", "{form}"),
    ({"extra_metadata": {"Kategori": "x"}}, "extra_metadata.Kategori", "ows_"),
    ({"folder_path": "../andet"}, "folder_path", "dot folders"),
    ({"upload_endpoint": "Upload"}, "upload_endpoint", "AddToDocumentLibrary"),
    ({"lsit_name": "Dokumenter"}, "lsit_name", "no such key"),
    ({"max_cases": 0}, "max_cases", "at least 1"),
])
def test_config_errors_name_the_key(change: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_table("getorganized", table("https://go.kommune.example/", **change), Path("."))
    assert raised.value.key == key and expected in str(raised.value)


def test_the_config_file_names_the_full_key_and_a_missing_password_stops_the_build(tmp_path: Path) -> None:
    config = tmp_path / "robot.toml"
    config.write_text('[archive]\nadapter = "getorganized"\n[archive.getorganized]\n'
                      'base_url = "https://go.kommune.example/"\nfinish = ["finalise"]\n'
                      'auth = { type = "ntlm", username = "KOMMUNE\\\\lae-robot", password_env = "GO_PW" }\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert raised.value.key == "archive.getorganized.finish" and str(config) in str(raised.value)
    with pytest.raises(ConfigError, match="auth.password_env: the environment variable GO_PASSWORD"):
        GetOrganizedArchive(GetOrganizedConfig.from_dict(table("https://go.kommune.example/")), environ={})


def test_the_commented_example_in_config_example_toml_is_a_valid_table() -> None:
    text = (Path(__file__).parents[2] / "config.example.toml").read_text(encoding="utf-8")
    block = text.split("# [archive.getorganized]\n", 1)[1].split("\n\n", 1)[0]
    example = tomllib.loads("\n".join(line.removeprefix("# ") for line in block.splitlines()
                                      if not line.startswith("#   ")))
    config = GetOrganizedConfig.from_dict(example)
    assert config.finish == ("journalize", "finalize") and config.case_type_field == "ows_CaseCategory"
