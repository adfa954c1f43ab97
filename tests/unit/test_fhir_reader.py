"""The MedCom CareCommunication reader: MedCom's published examples, bundles built here, and hostile input refused."""

from __future__ import annotations

import json
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from robot.extract.isolation import ParserPool
from robot.mail.fhir import read_care_communication
from robot.mail.fhir_tree import FhirRefused, FhirUnreadable
from robot.mail.parse import parse_bundle, parse_letter
from robot.model import Limits, Reason
from tests.fhir_factory import RECEIVER_SOR, SENDER_EAN, SENDER_SOR, as_json, as_xml, care_communication
from tests.pdf_factory import text_pdf

MEDCOM = Path(__file__).resolve().parents[1] / "data" / "medcom"
LIMITS = Limits()
BIG = 10 * 1024 * 1024
PDF = text_pdf([["LÆ 125 Statusattest", "CPR-nr.: 220487-0503", "Borgeren er fortsat uarbejdsdygtig."]])


def read(data: bytes) -> object:
    return read_care_communication(data, "1", BIG, 50)


def test_medcom_published_json_example_is_read() -> None:
    reading = read_care_communication((MEDCOM / "Vena_Vena.json").read_bytes(), "1", BIG, 50)
    message = reading.message
    assert message.header_id == "b6f87a0c-c1d2-4efe-9ea2-6ed86ebdb1f1"
    # the published example writes its CPR system as the bare OID and its SOR system as "urn:oid1.2..."
    assert message.patient_cprs == ("1612593155",)
    assert message.patient_name == "Jeppe Pedersen"
    assert (message.sender_name, message.sender_sor, message.sender_ean) == (
        "Vena - til testbrug", ("1419231000016003",), ("5790002759994",))
    assert message.receiver_sor == ("1001091000016004",)
    assert message.source_endpoint == "https://sor2.sum.dsdn.dk/#id=1419231000016003"
    assert message.topic == "Her er et emne" and message.text.startswith("Her er beskeden")
    assert reading.pdfs == ()


def test_medcom_published_xml_example_is_read() -> None:
    reading = read_care_communication((MEDCOM / "Nasure_EDI-Portalen.xml").read_bytes(), "1", BIG, 50)
    message = reading.message
    assert message.header_id == "f9d5c54e-ff09-4499-b3b6-8a129f12babd"
    assert message.patient_cprs == ("2509479989",)
    assert message.patient_name == "Elmer Bruno Test"
    assert (message.sender_sor, message.sender_ean) == (("1069641000016003",), ("5790002510960",))
    assert message.receiver_name == "2100 Lægehuset Østerbro"
    assert message.topic == "Nye øvelse"
    assert message.text == "Patienten bruger krykker.\nDer er kommet nye øvelser til at forbedre balancen."


@pytest.mark.parametrize("encode", [as_json, as_xml], ids=["json", "xml"])
def test_a_built_bundle_gives_its_pdfs_and_facts_alike_in_json_and_xml(encode: object) -> None:
    bundle = care_communication(["2204870503"], [PDF, PDF + b"\n"], topic="Statusattest")
    reading = read_care_communication(encode(bundle), "2", BIG, 50)  # type: ignore[operator]
    assert [pdf.data for pdf in reading.pdfs] == [PDF, PDF + b"\n"]
    assert reading.message.patient_cprs == ("2204870503",)
    assert reading.message.sender_sor == (SENDER_SOR,) and reading.message.sender_ean == (SENDER_EAN,)
    assert reading.message.receiver_sor == (RECEIVER_SOR,)
    assert reading.message.pdfs == 2 and reading.message.part == "2"


def test_several_patients_numbers_are_all_kept_for_the_decision() -> None:
    reading = read_care_communication(as_json(care_communication(["2204870503", "1710630883"])), "1", BIG, 50)
    assert reading.message.patient_cprs == ("2204870503", "1710630883")


def test_another_message_kind_is_unreadable_as_a_care_communication() -> None:
    with pytest.raises(FhirUnreadable, match="acknowledgement-message"):
        read(as_json(care_communication(["2204870503"], event="acknowledgement-message")))


def test_damaged_input_is_unreadable() -> None:
    with pytest.raises(FhirUnreadable):
        read(b'{"resourceType": "Bundle", "type": "message", "entry": [')
    with pytest.raises(FhirUnreadable):
        read(b'<Bundle xmlns="http://hl7.org/fhir"><type value="message"></Bundle>')
    with pytest.raises(FhirUnreadable, match="namespace"):
        read(b"<Bundle><type value='message'/></Bundle>")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Bundle xmlns="http://hl7.org/fhir"><id value="&lol9;"/></Bundle>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Bundle [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Bundle xmlns="http://hl7.org/fhir"><id value="&secret;"/></Bundle>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_xml_with_entities_is_refused_at_once(hostile: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(FhirRefused, match="DTD"):
        read(hostile)
    assert time.monotonic() - started < 1.0


def test_ten_thousand_levels_of_nesting_are_refused_in_json_and_xml() -> None:
    deep_json = b'{"resourceType": "Bundle", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    deep_xml = b'<Bundle xmlns="http://hl7.org/fhir">' + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</Bundle>"
    for deep in (deep_json, deep_xml):
        with pytest.raises(FhirRefused, match="deeper"):
            read(deep)


def test_a_bundle_over_the_size_limit_is_refused_unread() -> None:
    with pytest.raises(FhirRefused, match="limits.mail_max_bytes"):
        read_care_communication(as_json(care_communication(["2204870503"], [PDF])), "1", 1000, 50)


def test_more_pdfs_than_the_limit_are_refused() -> None:
    with pytest.raises(FhirRefused, match="mail_max_pdfs"):
        read_care_communication(as_json(care_communication(["2204870503"], [PDF] * 3)), "1", BIG, 2)


def _mail_with(data: bytes, subtype: str, filename: str | None) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "psykiatri.attester@rn.dk", "jobcenter@kommune.example", "Attest"
    mail.set_content("Se vedhæftede.")
    mail.add_attachment(data, maintype="application", subtype=subtype, filename=filename)
    return mail.as_bytes()


def test_an_attached_bundle_yields_its_pdfs_with_the_message_beside_them() -> None:
    bundle = as_json(care_communication(["2204870503"], [PDF]))
    for subtype, filename in (("fhir+json", "besked.json"), ("octet-stream", None)):  # by type, and by content
        letter = parse_letter(_mail_with(bundle, subtype, filename), LIMITS)
        (attachment,) = letter.attachments
        assert attachment.data == PDF and attachment.part == "2/fhir:1"
        assert attachment.care_communication is not None
        assert attachment.care_communication.patient_cprs == ("2204870503",)
        assert letter.care_communications == (attachment.care_communication,)
        assert [p.reason for p in letter.problems] == []


def test_an_attached_hostile_or_pdfless_bundle_is_a_named_problem() -> None:
    letter = parse_letter(_mail_with(BILLION_LAUGHS, "fhir+xml", "besked.xml"), LIMITS)
    assert [p.reason for p in letter.problems] == [Reason.FHIR_REFUSED]
    letter = parse_letter(_mail_with(as_json(care_communication(["2204870503"])), "fhir+json", None), LIMITS)
    assert [p.reason for p in letter.problems] == [Reason.NO_PDF] and len(letter.care_communications) == 1


def test_a_dropped_bundle_becomes_a_letter_with_no_mail_sender() -> None:
    letter = parse_bundle(as_xml(care_communication(["2204870503"], [PDF], topic="Statusattest")), LIMITS)
    assert letter.sender is None and letter.subject == "Statusattest"
    assert [a.part for a in letter.attachments] == ["1/fhir:1"]
    assert parse_bundle(b"not a bundle", LIMITS).problems[0].reason is Reason.FHIR_UNREADABLE


def test_the_parser_process_reads_bundles_and_refuses_hostile_ones_within_its_limits() -> None:
    with ParserPool(LIMITS, workers=1) as pool:
        letter = pool.parse_bundle(as_json(care_communication(["2204870503"], [PDF])))
        assert letter.attachments[0].care_communication is not None
        started = time.monotonic()
        refused = pool.parse_bundle(BILLION_LAUGHS)
        assert [p.reason for p in refused.problems] == [Reason.FHIR_REFUSED]
        assert time.monotonic() - started < 5.0
        parsed = pool.parse_mail(_mail_with(as_xml(care_communication(["2204870503"], [PDF])), "fhir+xml", "b.xml"))
        assert parsed.care_communications[0].sender_sor == (SENDER_SOR,)


def test_the_saved_examples_are_the_published_bytes() -> None:
    # tests/data/medcom/README.md names repository, path and commit; these sizes are the published files' lengths
    assert len((MEDCOM / "Vena_Vena.json").read_text(encoding="utf-8")) == 25239
    assert len((MEDCOM / "Nasure_EDI-Portalen.xml").read_text(encoding="utf-8")) == 17925
    json.loads((MEDCOM / "Vena_Vena.json").read_bytes())


def test_a_large_pdf_in_xml_is_read_in_linear_time() -> None:
    # expat 2.5 fed in chunks (iterparse) re-scans the one long base64 attribute on every chunk: a 26 MiB bundle
    # took 96 s here, past limits.mail_seconds; fed in one piece it takes under 2 s
    large = b"%PDF-1.4\n" + bytes(range(256)) * (40 * 1024)  # 10 MiB
    data = as_xml(care_communication(["2204870503"], [large]))
    started = time.monotonic()
    reading = read_care_communication(data, "1", 1 << 26, 50)
    assert time.monotonic() - started < 5.0
    assert reading.pdfs[0].data == large
