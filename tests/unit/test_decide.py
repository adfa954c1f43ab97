"""plan() and choose_case(): one citizen, one form, one open case of an allowed type, or a named reason.

Letters are parsed from raw mails and Extractions come from the real analyser over hand-made PDF content, so
these tests see what the pipeline sees."""

from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from robot.decisions.decide import Decision, Plan, choose_case, plan
from robot.decisions.rulebook import Rulebook, load_rulebook
from robot.decisions.trust import judge_sender
from robot.extract.document import analyse
from robot.extract.letter import with_mentioned_cprs
from robot.extract.mail_text import read_mail_text
from robot.mail.parse import parse_letter
from robot.model import Case, Extraction, FormField, Letter, Limits, Reason
from tests.content import pages
from tests.mail_factory import make_pdf

RULES = Path(__file__).parents[2] / "rules"
RULEBOOK = load_rulebook(RULES)
TODAY = date(2026, 11, 23)
PATIENT = "0101901017"  # 1 Jan 1990, passes modulus 11
RELATIVE = "1203651038"  # 12 Mar 1965, passes modulus 11
FULL_CPR = re.compile(r"(?<!\d)\d{6}[ \u00a0\u202f\-\u2013]?\d{4}(?!\d)")
TEAM_MAILBOX = "jobcenter.attester@kommune.example"
GATEWAY = "mx.kommune.example"  # the authserv-id in the shipped senders.toml
FILING_ROUTE = "attester-til-sygedagpenge-og-afklaring"

CERTIFICATE = ["Region Nordjylland, Psykiatrien", "LÆ 125 Statusattest", "CPR-nr.: 010190-1017",
               "Diagnose og forløb", "Patienten er i ambulant behandling.", "Med venlig hilsen", "Overlæge A. Jensen"]


def raw_mail(subject: str = "Lægeattest", body: str = "Hermed attesten.", sender: str = "psyk@psykiatri.rn.dk",
             filename: str = "attest.pdf") -> bytes:
    pdf = base64.encodebytes(make_pdf("Lægeattest")).decode("ascii")
    domain = sender.rsplit("@", 1)[1]
    lines = [f"Authentication-Results: {GATEWAY}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
             f"dmarc=pass header.from={domain}",
             f"From: Psykiatrien <{sender}>", "To: attester@kommune.example", f"Subject: {subject}",
             "Date: Mon, 03 Feb 2025 09:15:00 +0100", "Message-ID: <m1@rn.dk>", "MIME-Version: 1.0",
             'Content-Type: multipart/mixed; boundary="zz"', "", "--zz",
             "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", body, "--zz",
             f'Content-Type: application/pdf; name="{filename}"',
             f'Content-Disposition: attachment; filename="{filename}"', "Content-Transfer-Encoding: base64", "",
             pdf, "--zz--", ""]
    return "\r\n".join(lines).encode("utf-8")


def letter(**kwargs: str) -> Letter:
    parsed = parse_letter(raw_mail(**kwargs), Limits())
    assert len(parsed.attachments) == 1, parsed.problems
    return parsed


def extraction(*lines: str, fields: tuple[FormField, ...] = ()) -> Extraction:
    return analyse(pages(list(lines), fields=fields), RULEBOOK.catalogue, TODAY)


def case(case_id: str, case_type: str = "sygedagpenge", status: str = "open", **kwargs: str | None) -> Case:
    return Case(case_id=case_id, case_type=case_type, status=status, **kwargs)  # type: ignore[arg-type]


def planned(mail: Letter | None = None, extracted: Extraction | None = None, rulebook: Rulebook = RULEBOOK,
            envelope: str | None = None, mailbox: str | None = None) -> Plan:
    mail = mail or letter()
    extracted = extracted or extraction(*CERTIFICATE)
    verdict = judge_sender(mail, envelope, rulebook.senders)
    mail = with_mentioned_cprs(mail)  # as the parser process reads it
    return plan(read_mail_text(mail, mail.attachments[0], rulebook.catalogue), extracted, verdict, rulebook, mailbox)


def decide(cases: list[Case], mail: Letter | None = None, extracted: Extraction | None = None,
           rulebook: Rulebook = RULEBOOK, envelope: str | None = None) -> Decision:
    extracted = extracted or extraction(*CERTIFICATE)
    return choose_case(planned(mail, extracted, rulebook, envelope), cases, extracted.content)


def rules_with_routing(tmp_path: Path, routing: str) -> Rulebook:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    (target / "routing.toml").write_text(routing, encoding="utf-8")
    return load_rulebook(target)


def test_the_certificate_fixture_extracts_cleanly() -> None:
    extracted = extraction(*CERTIFICATE)
    assert extracted.ok, extracted.detail
    assert extracted.cpr is not None and extracted.cpr.cpr == PATIENT
    assert extracted.blanket is not None and extracted.blanket.code == "125"


# ---------------------------------------------------------------- choosing the case


def test_one_eligible_open_case_is_chosen_and_the_others_say_why_not() -> None:
    cases = [case("SAG-100", status="closed"), case("SAG-200", case_type="boligstøtte"),
             case("SAG-300", case_type="Jobafklaring", caseworker_email="anna@kommune.example")]
    decision = decide(cases)
    assert decision.files and decision.reason is None
    assert decision.case is not None and decision.case.case_id == "SAG-300"
    assert decision.explanation[-1] == "the only eligible case is SAG-300"
    assert "the citizen has 3 case(s), 1 open and of an allowed type" in decision.explanation
    assert dict(decision.rejected_cases) == {
        "SAG-100": "status closed",
        "SAG-200": f"case type boligstøtte is not one route {FILING_ROUTE!r} files into",
    }
    record = decision.record()
    assert record["action"] == "file" and record["case_id"] == "SAG-300" and record["rule"] == FILING_ROUTE
    assert record["form"] == "LÆ 125" and record["organisation"] == "Region Nordjylland"
    assert {c["case_id"] for c in record["cases_rejected"]} == {"SAG-100", "SAG-200"}


@pytest.mark.parametrize("status", ["closed", "Lukket", "", "pending"])
def test_a_case_that_is_not_open_never_receives(status: str) -> None:
    decision = decide([case("SAG-1", status=status)])
    assert not decision.files and decision.reason is Reason.NO_CASE
    assert decision.rejected_cases == (("SAG-1", f"status {status}"),)


def test_no_eligible_case_is_no_case() -> None:
    assert decide([]).reason is Reason.NO_CASE
    decision = decide([case("SAG-1", case_type="boligstøtte"), case("SAG-2", status="closed")])
    assert decision.reason is Reason.NO_CASE and decision.case is None
    assert len(decision.rejected_cases) == 2


def test_two_eligible_cases_are_ambiguous() -> None:
    decision = decide([case("SAG-1"), case("SAG-2", case_type="fleksjob")])
    assert not decision.files and decision.reason is Reason.AMBIGUOUS_CASE and decision.case is None
    assert decision.explanation[-1] == "several eligible cases and no case number in the document: SAG-1, SAG-2"


def test_case_number_printed_in_a_line_of_text_picks_that_case() -> None:
    extracted = extraction(*CERTIFICATE, "Vedrørende jeres sag SAG-2025-0042.")
    decision = decide([case("SAG-2025-0041"), case("SAG-2025-0042")], extracted=extracted)
    assert decision.files and decision.case is not None and decision.case.case_id == "SAG-2025-0042"
    assert decision.explanation[-1] == "the document prints case number SAG-2025-0042"
    assert decision.rejected_cases == (("SAG-2025-0041", "another case's number is printed in the document"),)


def test_case_title_printed_in_a_form_field_picks_that_case() -> None:
    fields = (FormField(name="sagsnr", label="Kommunens sagsnummer", value="27.12.08-G01-1234-22"),)
    extracted = extraction(*CERTIFICATE, fields=fields)
    cases = [case("SAG-1", title="27.12.08-G01-1111-22"), case("SAG-2", title="27.12.08-G01-1234-22")]
    decision = decide(cases, extracted=extracted)
    assert decision.files and decision.case is not None and decision.case.case_id == "SAG-2"
    assert decision.explanation[-1] == "the document prints case number 27.12.08-G01-1234-22"


def test_a_longer_number_containing_a_case_number_does_not_pick_it() -> None:
    extracted = extraction(*CERTIFICATE, "Reference SAG-2025-00421 og SAG-2025-0042-B")
    decision = decide([case("SAG-2025-0041"), case("SAG-2025-0042")], extracted=extracted)
    assert decision.reason is Reason.AMBIGUOUS_CASE


def test_printed_number_of_a_closed_case_is_not_filed_even_beside_one_eligible_case() -> None:
    extracted = extraction(*CERTIFICATE, "Jeres sagsnummer: SAG-2024-0007")
    decision = decide([case("SAG-2024-0007", status="closed"), case("SAG-2025-0042")], extracted=extracted)
    assert not decision.files and decision.reason is Reason.AMBIGUOUS_CASE
    assert decision.explanation[-1] == "the document names case SAG-2024-0007, which cannot receive it"


def test_printed_numbers_of_two_eligible_cases_are_ambiguous() -> None:
    extracted = extraction(*CERTIFICATE, "Sag SAG-2025-0041 og SAG-2025-0042")
    decision = decide([case("SAG-2025-0041"), case("SAG-2025-0042")], extracted=extracted)
    assert decision.reason is Reason.AMBIGUOUS_CASE


# ---------------------------------------------------------------- the sender


@pytest.mark.parametrize("sender, envelope", [("laege@evil.com", None), ("psyk@rn.dk.evil.com", None),
                                              ("psyk@rn.dk", "bounce@evil.com")])
def test_untrusted_sender_is_escalated_though_everything_else_is_fine(sender: str, envelope: str | None) -> None:
    mail = letter(sender=sender)
    decision = decide([case("SAG-1")], mail=mail, envelope=envelope)
    assert not decision.files and decision.reason is Reason.UNTRUSTED_SENDER and decision.case is None
    assert decision.plan.route is None and decision.plan.cpr is None
    assert decision.explanation[0].startswith("sender: ")


def test_two_from_headers_are_untrusted_even_with_a_trusted_first() -> None:
    raw = raw_mail().replace(b"From: Psykiatrien <psyk@psykiatri.rn.dk>\r\n",
                             b"From: Psykiatrien <psyk@psykiatri.rn.dk>\r\nFrom: x@evil.com\r\n")
    mail = parse_letter(raw, Limits())
    assert decide([case("SAG-1")], mail=mail).reason is Reason.UNTRUSTED_SENDER


# ---------------------------------------------------------------- CPR in the mail


@pytest.mark.parametrize("subject", ["Statusattest vedr. CPR 010190-1017", "LÆ 125 0101901017",
                                     "Attest 010190 1017"])
def test_the_same_cpr_in_the_subject_still_files(subject: str) -> None:
    decision = decide([case("SAG-1")], mail=letter(subject=subject))
    assert decision.files and decision.case is not None and decision.case.case_id == "SAG-1"


def test_phone_numbers_and_dates_in_the_body_are_no_conflict() -> None:
    body = "Spørgsmål: ring på tlf. 98765432 eller 9876 5432.\nModtaget 03.02.2025, CVR 29190925."
    assert decide([case("SAG-1")], mail=letter(body=body)).files


@pytest.mark.parametrize("where", ["subject", "body"])
def test_a_different_cpr_in_the_mail_is_a_conflict(where: str) -> None:
    mail = letter(**{where: "Vedr. CPR 120365-1038"})
    decision = decide([case("SAG-1")], mail=mail)
    assert not decision.files and decision.reason is Reason.CPR_CONFLICT
    assert decision.explanation[-1] == "the mail's subject, body or file name names another CPR (120365-xxxx)"


def test_a_relatives_cpr_in_the_body_beside_the_patients_is_a_conflict() -> None:
    body = "Attest vedr. 010190-1017.\nPårørende (mor) CPR 120365-1038 ønsker kopi."
    assert decide([case("SAG-1")], mail=letter(body=body)).reason is Reason.CPR_CONFLICT


def test_a_cpr_only_in_the_subject_never_files() -> None:
    extracted = extraction("Region Nordjylland", "LÆ 125 Statusattest", "Diagnose og forløb")
    assert extracted.reason is Reason.NO_CPR
    mail = letter(subject="Statusattest CPR 010190-1017", body="CPR-nr.: 010190-1017")
    decision = decide([case("SAG-1")], mail=mail, extracted=extracted)
    assert not decision.files and decision.reason is Reason.NO_CPR and decision.plan.cpr is None


def test_a_different_cpr_in_the_attachment_name_is_a_conflict() -> None:
    decision = decide([case("SAG-1")], mail=letter(filename="LAE125_1203651038.pdf"))
    assert decision.reason is Reason.CPR_CONFLICT


def test_two_cprs_in_the_document_are_never_filed() -> None:
    extracted = extraction(*CERTIFICATE, "Pårørende: mor, CPR 120365-1038")
    decision = decide([case("SAG-1")], extracted=extracted)
    assert not decision.files and decision.reason is Reason.AMBIGUOUS_CPR


# ---------------------------------------------------------------- the form and the route


def test_an_anmodning_is_not_a_certificate() -> None:
    extracted = extraction("Jobcenter Aalborg", "LÆ 121 Anmodning om statusattest", "CPR-nr.: 010190-1017")
    assert extracted.blanket is not None and extracted.blanket.kind == "anmodning"
    decision = decide([case("SAG-1")], extracted=extracted)
    assert not decision.files and decision.reason is Reason.NOT_CERTIFICATE


def test_an_anmodning_is_not_filed_even_by_a_route_that_takes_anything(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, CATCH_ALL)
    extracted = extraction("Jobcenter Aalborg", "LÆ 121 Anmodning om statusattest", "CPR-nr.: 010190-1017")
    decision = decide([case("SAG-1")], extracted=extracted, rulebook=rulebook)
    assert decision.reason is Reason.NOT_CERTIFICATE


def test_a_165_from_a_region_is_routed_to_a_human() -> None:
    extracted = extraction("Region Nordjylland", "LÆ 165 Forslag om socialmedicinsk sagsbehandling",
                           "CPR-nr.: 010190-1017")
    assert extracted.ok
    decision = decide([case("SAG-1")], extracted=extracted)
    assert not decision.files and decision.reason is Reason.ROUTED_TO_HUMAN
    assert decision.plan.route is not None and decision.plan.route.name == "forslag-om-socialmedicinsk-sagsbehandling"
    assert decision.plan.passed_over == ((FILING_ROUTE, ("form '165' not in ['105', '115', '125', '135', '145', "
                                                        "'155', '225', '265', '275', '285']")),)
    assert decision.record()["routes_passed_over"] == [{"route": FILING_ROUTE, "why": decision.plan.passed_over[0][1]}]


NO_FORM = ["Region Nordjylland, Psykiatrien", "Lægelige oplysninger", "CPR-nr.: 010190-1017", "Diagnose og forløb"]
FORM_FROM_SUBJECT = f"""
[[route]]
name = "attester"
kinds = ["attest"]
forms = ["125", "285"]
action = "file"
case_types = ["sygedagpenge"]
team_mailbox = "{TEAM_MAILBOX}"
form_from_subject = true
"""
CATCH_ALL = """
[[route]]
name = "alt"
action = "file"
case_types = ["sygedagpenge"]
form_from_subject = true
"""


def test_no_blanket_with_the_form_in_the_subject_and_a_route_that_does_not_allow_it() -> None:
    extracted = extraction(*NO_FORM)
    assert extracted.reason is Reason.NO_BLANKET
    decision = decide([case("SAG-1")], mail=letter(subject="Statusattest LÆ 125"), extracted=extracted)
    assert not decision.files and decision.reason is Reason.NO_BLANKET
    assert decision.plan.form is None
    assert f"route {FILING_ROUTE!r} does not let the subject or file name stand in for the form" \
        in decision.explanation


def test_no_blanket_and_nothing_in_the_mail_names_a_form() -> None:
    extracted = extraction(*NO_FORM)
    decision = decide([case("SAG-1")], mail=letter(subject="Lægeattest"), extracted=extracted)
    assert decision.reason is Reason.NO_BLANKET


def test_a_route_with_form_from_subject_files_with_the_subjects_form(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, FORM_FROM_SUBJECT)
    decision = decide([case("SAG-1")], mail=letter(subject="Statusattest LÆ 125"), extracted=extraction(*NO_FORM),
                      rulebook=rulebook)
    assert decision.files and decision.case is not None and decision.case.case_id == "SAG-1"
    assert decision.plan.form == "LÆ 125" and decision.plan.form_title == "Statusattest"
    assert "form LÆ 125 taken from the subject, as the PDF names none" in decision.explanation
    assert decision.record()["form"] == "LÆ 125"


def test_a_route_with_form_from_subject_takes_the_file_name_when_the_subject_names_none(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, FORM_FROM_SUBJECT)
    decision = decide([case("SAG-1")], mail=letter(subject="Lægeattest", filename="LAE_285_attest.pdf"),
                      extracted=extraction(*NO_FORM), rulebook=rulebook)
    assert decision.files and decision.plan.form == "LÆ 285" and decision.plan.form.code == "285"


def test_a_subject_naming_two_forms_does_not_stand_in(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, FORM_FROM_SUBJECT)
    decision = decide([case("SAG-1")], mail=letter(subject="LÆ 125 og LÆ 285"), extracted=extraction(*NO_FORM),
                      rulebook=rulebook)
    assert decision.reason is Reason.NO_BLANKET


def test_an_anmodning_named_in_the_subject_is_not_filed(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, CATCH_ALL)
    decision = decide([case("SAG-1")], mail=letter(subject="Retur: LÆ 121"), extracted=extraction(*NO_FORM),
                      rulebook=rulebook)
    assert not decision.files
    assert decision.reason is Reason.NOT_CERTIFICATE


# ---------------------------------------------------------------- who is told


def test_notify_goes_to_the_caseworker() -> None:
    decision = decide([case("SAG-1", caseworker_email="anna@kommune.example", team="Team Syd")])
    assert decision.notify_to == ("anna@kommune.example",)
    assert decision.record()["notify_to"] == ["anna@kommune.example"]


def test_notify_without_a_caseworker_goes_to_the_routes_team_mailbox() -> None:
    decision = decide([case("SAG-1", team="Team Syd")])
    assert decision.files and decision.notify_to == (TEAM_MAILBOX,)


def test_notify_team_goes_to_the_team_mailbox_even_when_there_is_a_caseworker(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, FORM_FROM_SUBJECT.replace("form_from_subject = true",
                                                                      'notify = "team"'))
    decision = decide([case("SAG-1", caseworker_email="anna@kommune.example")], rulebook=rulebook)
    assert decision.files and decision.notify_to == (TEAM_MAILBOX,)


def test_notify_none_tells_no_one(tmp_path: Path) -> None:
    rulebook = rules_with_routing(tmp_path, FORM_FROM_SUBJECT.replace("form_from_subject = true",
                                                                      'notify = "none"'))
    decision = decide([case("SAG-1", caseworker_email="anna@kommune.example")], rulebook=rulebook)
    assert decision.files and decision.notify_to == ()


def test_an_escalation_notifies_no_caseworker() -> None:
    decision = decide([case("SAG-1", caseworker_email="anna@kommune.example"), case("SAG-2")])
    assert decision.reason is Reason.AMBIGUOUS_CASE and decision.notify_to == ()


# ---------------------------------------------------------------- the record


def assert_no_full_cpr(record: dict[str, object]) -> None:
    text = json.dumps(record, ensure_ascii=False)
    assert not FULL_CPR.search(text), text
    assert PATIENT not in text.replace("-", "").replace(" ", "")


def test_record_of_a_filing_masks_the_cpr() -> None:
    mail = letter(subject="Statusattest CPR 010190-1017", body="Vedr. 010190-1017")
    decision = decide([case("SAG-1", caseworker_email="anna@kommune.example")], mail=mail)
    assert decision.files and decision.plan.cpr == PATIENT  # the decision itself knows the citizen
    record = decision.record()
    assert record["cpr"] == "010190-xxxx"
    assert_no_full_cpr(record)


def test_record_of_a_conflict_masks_both_cprs() -> None:
    decision = decide([case("SAG-1")], mail=letter(body="Vedr. CPR 120365-1038"))
    assert decision.reason is Reason.CPR_CONFLICT
    record = decision.record()
    assert record["action"] == "escalate" and record["reason"] == "cpr_conflict"
    assert_no_full_cpr(record)
    assert "120365-xxxx" in json.dumps(record)


def test_record_of_a_receipt_quoting_the_cpr_in_its_heading_masks_it() -> None:
    extracted = extraction("Kvittering for modtagelse vedr. CPR 010190-1017", "Din LÆ 121 er afsendt")
    assert extracted.reason is Reason.NOT_CERTIFICATE
    decision = decide([case("SAG-1")], extracted=extracted)
    assert decision.files and decision.plan.route is not None  # the shipped receipt route files it into the case
    assert decision.plan.route.name == "kvitteringer-for-anmodninger"
    assert_no_full_cpr(decision.record())
