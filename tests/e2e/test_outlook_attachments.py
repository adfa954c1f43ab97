"""`lae-robot process` end to end with Outlook containers: a certificate inside winmail.dat and inside a .msg mail."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.reason_mails import TWO_OPEN_CASES, certificate, outlook_mail
from tests.e2e.test_process import Home
from tests.msg_writer import file_attachment, msg_file
from tests.tnef_writer import with_attachment


def test_certificates_in_winmail_dat_and_in_an_attached_msg_are_filed_or_blocked(tmp_path: Path) -> None:
    home = Home(tmp_path)
    tnef = outlook_mail(with_attachment("LAE125_statusattest.pdf", certificate()), "ms-tnef", "winmail.dat", "e2e-tnef")
    second = certificate("LÆ 125 Statusattest, 2. del")
    msg = msg_file("Fwd: attest", "Hermed attest.", [file_attachment(0, "attest.pdf", second)])
    # the attached mail's body names another citizen than the PDF: safety first, it must not be filed
    conflicting = msg_file("Attest", f"Vedr. borger {TWO_OPEN_CASES}", [file_attachment(0, "a.pdf", certificate())])
    files = []
    for name, raw in (("tnef.eml", tnef), ("msg.eml", outlook_mail(msg, "vnd.ms-outlook", "attest.msg", "e2e-msg")),
                      ("conflict.eml", outlook_mail(conflicting, "vnd.ms-outlook", "attest.msg", "e2e-conflict"))):
        (tmp_path / name).write_bytes(raw)
        files.append(str(tmp_path / name))
    records = {Path(str(r["file"])).name: r for r in home.process(*files)}
    assert (records["tnef.eml"]["outcome"], records["tnef.eml"]["case_id"]) == ("filed", "SD-1001")
    assert records["tnef.eml"]["attachment"] == "LAE125_statusattest.pdf"
    assert (records["msg.eml"]["outcome"], records["msg.eml"]["case_id"]) == ("filed", "SD-1001")
    assert (records["conflict.eml"]["outcome"], records["conflict.eml"]["reason"]) == ("escalated", "cpr_conflict")
    assert len(home.archived()) == 2
