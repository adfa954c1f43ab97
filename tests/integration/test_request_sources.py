"""Requests learnt from an outgoing copy (the BCC mailbox) and from the case system's export (the folder archive's
requests CSV), through the wired robot and the real stages."""

from __future__ import annotations

import shutil
from email import policy
from email.message import EmailMessage
from pathlib import Path

from robot.app import open_robot
from robot.ledger.request_records import RequestSource, RequestState
from robot.request_import import import_requests
from robot.settings import ArchiveSettings, LedgerSettings, NotifySettings, RulesSettings, Settings
from robot.worker import process_message
from tests.cpr_scanner import FULL_CPR
from tests.e2e import reason_mails as mails
from tests.gateway import passed
from tests.pdf_factory import text_pdf

ROOT = Path(__file__).resolve().parents[2]
KOMMUNE_ORGANISATION = '\n[[organisation]]\nname = "Jobcentret"\ndomains = ["kommune.example"]\nrequire_dkim = false\n'


def settings_in(folder: Path, requests_csv: str | None = None) -> Settings:
    (folder / "archive").mkdir()
    shutil.copy(ROOT / "samples" / "cases.csv", folder / "cases.csv")
    rules = folder / "rules"
    shutil.copytree(ROOT / "rules", rules)
    senders = rules / "senders.toml"  # the kommune trusts its own domain for the copies of its requests
    senders.write_text(senders.read_text(encoding="utf-8") + KOMMUNE_ORGANISATION, encoding="utf-8")
    archive = {"root": str(folder / "archive"), "register": str(folder / "cases.csv")}
    if requests_csv is not None:
        (folder / "requests.csv").write_text(requests_csv, encoding="utf-8")
        archive["requests"] = str(folder / "requests.csv")
    return Settings(rules=RulesSettings(dir=rules), ledger=LedgerSettings(path=folder / "ledger.sqlite3"),
                    archive=ArchiveSettings(folder=archive), notify=NotifySettings(outbox_dir=folder / "outbox"),
                    base_dir=folder)


def outgoing_copy(cpr: str, case_id: str) -> bytes:
    """The kommune's own request mail to the region, as the BCC copy reaches the robot."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Authentication-Results"] = passed("kommune.example")
    msg["From"] = "Jobcentret <sagsbehandler@kommune.example>"
    msg["To"] = "Psykiatrien <psykiatri.attester@rn.dk>"
    msg["Subject"] = "Anmodning om statusattest"
    msg["Message-ID"] = f"<{cpr}.{case_id}@kommune.example>"
    msg.set_content("Hermed anmodning.")
    pdf = text_pdf([["LÆ 121", "Anmodning om statusattest", f"CPR-nr.: {cpr}", f"Sagsnummer: {case_id}",
                     "Jobcentret anmoder om en statusattest."]])
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="anmodning.pdf")
    return msg.as_bytes()


async def test_an_outgoing_copy_is_filed_and_recorded_as_a_request(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path)) as robot:
        ledger = robot.services.ledger
        intake = ledger.accept(outgoing_copy(mails.TWO_OPEN_CASES, "JA-2010"), source="smtp", mailbox="udgaaende")
        await process_message(intake.message_id, robot.services)
        [document] = ledger.documents(intake.message_id)
        assert (document.outcome, document.case_id) == ("filed", "JA-2010")
        [request] = ledger.requests.all()
        assert (request.source, request.request_form, request.answer_form, request.addressee, request.case_id,
                request.notify_to) == (RequestSource.OUTGOING_COPY, "121", "125", "Region Nordjylland", "JA-2010",
                                       ("carla.berg@kommune.example",))
        # the same form through any other mailbox is no certificate, as before, and records nothing
        other = ledger.accept(outgoing_copy(mails.ONE_OPEN_CASE, "SD-1001"), source="smtp", mailbox="tunnel")
        await process_message(other.message_id, robot.services)
        assert [d.reason for d in ledger.documents(other.message_id)] == ["not_certificate"]
        assert len(ledger.requests.all()) == 1
        # the certificate answering it is filed into the request's case, not ambiguous between the two
        answer = ledger.accept(mails.mail(("attest.pdf", mails.certificate(cpr=mails.TWO_OPEN_CASES)), tag="a"),
                               source="smtp")
        await process_message(answer.message_id, robot.services)
        assert [(d.outcome, d.case_id) for d in ledger.documents(answer.message_id)] == [("filed", "JA-2010")]
        assert ledger.requests.get(request.id).state is RequestState.ANSWERED


EXPORT = ("request_id;cpr;case_id;form;sent;addressee;caseworker_email;deadline\n"
          "R-1;150984-1906;SD-1002;LÆ 281;2036-11-20;Region Nordjylland;;\n"
          "R-2;110890-2333;SD-1003;141;20-11-2036;Lægehuset Vestergade;;2036-12-31\n"
          "R-3;011068-0058;RF-3001;125;2036-11-20;;;\n")


async def test_the_case_systems_export_is_learnt_once_and_a_bad_row_is_told_by_line(tmp_path: Path) -> None:
    async with open_robot(settings_in(tmp_path, EXPORT)) as robot:
        services = robot.services
        assert await import_requests(services) == 2
        assert await import_requests(services) == 0  # read again at every run: nothing learnt twice
        rows = {r.key: r for r in services.ledger.requests.all()}
        first, second = rows["import:R-1"], rows["import:R-2"]
        assert (first.answer_form, first.addressee, first.deadline.isoformat(), first.notify_to) == \
            ("285", "Region Nordjylland", "2036-12-04", ("gitte.krog@kommune.example",))
        assert (second.answer_form, second.addressee, second.deadline.isoformat()) == \
            ("145", "Lægehuset Vestergade", "2036-12-31")
        [notice] = [n for n in services.ledger.due_notices() if n.kind == "import"]
        assert "request R-3: LÆ 125 is no request form" in notice.body
        assert not FULL_CPR.search(notice.subject + notice.body)


async def test_an_unreadable_export_names_file_and_line_without_a_cpr(tmp_path: Path) -> None:
    bad = "request_id,cpr,case_id,form,sent\nR-1,150984-1906,SD-1002,121,2036-11-20\nR-2,150984-1906,SD-1002,121,mandag\n"
    async with open_robot(settings_in(tmp_path, bad)) as robot:
        assert await import_requests(robot.services) == 0
        [notice] = [n for n in robot.services.ledger.due_notices() if n.kind == "import"]
        assert "requests.csv:3: expected a date in column sent" in notice.body
        assert not FULL_CPR.search(notice.body)
