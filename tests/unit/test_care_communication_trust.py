"""senders.toml's SOR/EAN numbers, a CareCommunication's sender judged by them, and its structured citizen."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from robot.decisions.care_communication import judge_care_communication_sender, structured_citizen
from robot.decisions.senders import load_senders
from robot.decisions.trust import SenderVerdict
from robot.ingress.base import Received
from robot.ingress.fhir_folder import FhirFolder, FhirFolderIngress
from robot.ledger.sqlite import SqliteLedger
from robot.mail.fhir import read_care_communication
from robot.model import CareCommunication, Reason
from robot.notify.acknowledgement import AckVerdict, acknowledgement_bundle, acknowledgement_id
from robot.private_files import OWNER_ONLY
from robot.rules.rulefile import RuleFileError
from robot.stages.acknowledge import write_once
from tests.fhir_factory import SENDER_EAN, SENDER_SOR, as_json, care_communication

SENDERS = f"""
authserv_ids = ["mx.kommune.test"]
[[organisation]]
name = "Region Nordjylland"
domains = ["rn.dk"]
sor = ["{SENDER_SOR}"]
ean = ["{SENDER_EAN}"]
[[organisation]]
name = "Lægehuset (kun VANS)"
sor = ["111111111111111"]
"""


def senders(tmp_path: Path, text: str = SENDERS) -> Path:
    path = tmp_path / "senders.toml"
    path.write_text(text, encoding="utf-8")
    return path


def message(**fields: object) -> CareCommunication:
    bundle = care_communication(["2204870503"], **fields)  # type: ignore[arg-type]
    return read_care_communication(as_json(bundle), "1", 1 << 24, 10).message


def test_organisations_are_trusted_by_sor_or_ean_and_may_have_no_domain(tmp_path: Path) -> None:
    rules = load_senders(senders(tmp_path))
    assert [o.name for o in rules.organisations_for_numbers((SENDER_SOR,), ())] == ["Region Nordjylland"]
    assert [o.name for o in rules.organisations_for_numbers(("0",), (SENDER_EAN,))] == ["Region Nordjylland"]
    assert rules.organisations[1].domains == () and rules.organisations[1].sor == ("111111111111111",)


@pytest.mark.parametrize(("extra", "problem"), [
    ('sor = ["12ab"]', "is not a SOR code"),
    ("ean = [5790000123457]", r"is not an EAN \(GLN\) number"),
    (f'ean = ["{SENDER_EAN}"]', f"ean {SENDER_EAN} is also listed under 'Region Nordjylland'"),
    ('sor = "111"', "'sor' must be a list of strings"),
])
def test_check_rules_refuses_bad_or_shared_numbers(tmp_path: Path, extra: str, problem: str) -> None:
    text = SENDERS + f'[[organisation]]\nname = "Andre"\ndomains = ["andre.dk"]\n{extra}\n'
    with pytest.raises(RuleFileError, match=problem):
        load_senders(senders(tmp_path, text))


def test_an_organisation_needs_domains_or_numbers(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="'domains' must be a non-empty list"):
        load_senders(senders(tmp_path, SENDERS + '[[organisation]]\nname = "Tom"\n'))


def test_a_dropped_message_is_judged_by_its_numbers_alone(tmp_path: Path) -> None:
    rules = load_senders(senders(tmp_path))
    trusted = judge_care_communication_sender(message(), None, rules)
    assert trusted.organisation is not None and trusted.organisation.name == "Region Nordjylland"
    unknown = judge_care_communication_sender(message(sender_sor="999", sender_ean="5790000000000"), None, rules)
    assert unknown.organisation is None and "SOR 999, EAN 5790000000000" in unknown.why


def test_an_attached_message_needs_its_mail_trusted_and_from_the_same_organisation(tmp_path: Path) -> None:
    rules = load_senders(senders(tmp_path))
    region, other = rules.organisations
    assert judge_care_communication_sender(message(), SenderVerdict(region, "mail ok"), rules).organisation is region
    crossed = judge_care_communication_sender(message(), SenderVerdict(other, "mail ok"), rules)
    assert crossed.organisation is None and "Lægehuset (kun VANS)'s" in crossed.why
    untrusted = judge_care_communication_sender(message(), SenderVerdict(None, "no gateway pass"), rules)
    assert untrusted.organisation is None and "no gateway pass" in untrusted.why


@pytest.mark.parametrize(("cprs", "reason"), [((), Reason.NO_CPR), (("2204870503", "1710630883"), Reason.AMBIGUOUS_CPR),
                                              (("2213870503",), Reason.INVALID_CPR), (("22048705",), Reason.INVALID_CPR),
                                              (("2204870503", "220487-0503"), None)])
def test_the_structured_citizen_is_one_valid_cpr(cprs: tuple[str, ...], reason: Reason | None) -> None:
    bundle = care_communication(list(cprs))
    found = structured_citizen(read_care_communication(as_json(bundle), "1", 1 << 24, 10).message, date(2026, 12, 6))
    assert found.reason is reason
    assert (found.cpr == "2204870503") is (reason is None)
    assert "2204870503" not in found.why


# ---------------------------------------------------------------- the drop folder: disk first, remove last


def test_a_dropped_file_is_removed_only_after_the_ledger_holds_it(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    bundle = as_json(care_communication(["2204870503"]))
    (drop / "a.json").write_bytes(bundle)
    (drop / "b.json.part").write_bytes(bundle)  # still being written
    taken: list[Received] = []

    async def failing(received: Received) -> int:
        raise OSError("disk full")

    async def accept(received: Received) -> int:
        taken.append(received)
        return ledger.accept(received.raw, source=received.source, source_ref=received.source_ref).message_id

    folder = FhirFolder(drop, poll_seconds=0.1, settle_seconds=0.0)
    with pytest.raises(OSError):
        asyncio.run(FhirFolderIngress(folder, failing).poll_once())
    assert (drop / "a.json").exists()  # not committed: kept for the next poll
    assert asyncio.run(FhirFolderIngress(folder, accept).poll_once()) == 1
    assert not (drop / "a.json").exists() and (drop / "b.json.part").exists()
    assert taken[0].source == "fhir_folder" and taken[0].raw == bundle
    # the provider drops the same bytes again (or a crash left the file after the commit): no second message
    (drop / "again.json").write_bytes(bundle)
    asyncio.run(FhirFolderIngress(folder, accept).poll_once())
    assert ledger.accept(bundle, source="fhir_folder").duplicate
    ledger.close()


# ---------------------------------------------------------------- the Acknowledgement: the same answer, written once


def test_an_acknowledgement_is_written_once_whatever_reruns(tmp_path: Path) -> None:
    received = message(header_id="abc-123")
    assert acknowledgement_id(7, received) == acknowledgement_id(7, received) != acknowledgement_id(8, received)
    first = acknowledgement_bundle(7, received, AckVerdict(), datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
    later = acknowledgement_bundle(7, received, AckVerdict((Reason.CPR_CONFLICT,)), datetime(2026, 12, 7, tzinfo=UTC))
    outbox = tmp_path / "acks"
    assert write_once(outbox, "ack-7.json", first, OWNER_ONLY) is True
    assert write_once(outbox, "ack-7.json", later, OWNER_ONLY) is False  # a resumed run: the first answer stands
    assert (outbox / "ack-7.json").read_bytes() == first
    assert [p.name for p in outbox.iterdir()] == ["ack-7.json"]  # no temp file left behind
    assert oct((outbox / "ack-7.json").stat().st_mode & 0o777) == "0o600"
    negative = json.loads(later)
    outcome = [e["resource"] for e in negative["entry"] if e["resource"]["resourceType"] == "OperationOutcome"]
    assert outcome[0]["issue"][0]["details"]["text"].startswith("cpr_conflict: ")
    assert negative["entry"][0]["resource"]["response"]["details"]["reference"].startswith("OperationOutcome/")
