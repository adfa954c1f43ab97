"""PDFs inside Outlook containers: real TNEF files (winmail.dat) and synthetic .msg mails, through the mail walk."""

from __future__ import annotations

from dataclasses import replace

from robot.extract.letter import with_mentioned_cprs
from robot.mail.parse import parse_letter
from robot.model import Limits, Reason
from tests.e2e.reason_mails import certificate, msg_unreadable, outlook_mail, tnef_unreadable
from tests.msg_writer import file_attachment, message_attachment, message_nodes, msg_file
from tests.tnef_writer import nested, real_tnef, with_attachment

LIMITS = Limits()


def _tnef_mail(data: bytes, subtype: str = "ms-tnef", name: str = "winmail.dat") -> bytes:
    return outlook_mail(data, subtype, name, "tnef-unit")


def _reasons(raw: bytes, limits: Limits = LIMITS) -> list[Reason]:
    return [problem.reason for problem in parse_letter(raw, limits).problems]


def test_the_real_pdf_inside_a_real_outlook_tnef_is_found_with_its_part_path() -> None:
    letter = parse_letter(_tnef_mail(real_tnef("MAPI_ATTACH_DATA_OBJ.tnef")), LIMITS)
    (pdf,) = letter.attachments
    assert pdf.part == "2/tnef:VIA_Nytt_1402.pdf" and pdf.name == "VIA_Nytt_1402.pdf"
    assert pdf.data.startswith(b"%PDF-") and len(pdf.data) > 200_000
    assert letter.problems == ()
    assert "Bodø-damer på vei!" in letter.body_text  # the TNEF's subject joins the mail's text


def test_a_tnef_found_by_its_name_or_its_signature_alone_is_opened() -> None:
    certificate_tnef = with_attachment("LAE125_attest.pdf", certificate())
    for subtype, name in (("octet-stream", "winmail.dat"), ("octet-stream", "x.bin")):
        (pdf,) = parse_letter(_tnef_mail(certificate_tnef, subtype, name), LIMITS).attachments
        assert pdf.data == certificate() and pdf.part == "2/tnef:LAE125_attest.pdf"


def test_a_real_tnef_without_a_pdf_is_still_no_pdf() -> None:
    for name in ("one-file.tnef", "two-files.tnef", "garbage-at-end.tnef"):
        assert _reasons(_tnef_mail(real_tnef(name))) == [Reason.NO_PDF], name


def test_a_tnef_failing_its_checksum_or_cut_short_is_named_not_no_pdf() -> None:
    assert _reasons(tnef_unreadable()) == [Reason.TNEF_UNREADABLE]
    cut = with_attachment("attest.pdf", certificate())[:-400]
    letter = parse_letter(_tnef_mail(cut), LIMITS)
    assert [p.reason for p in letter.problems] == [Reason.TNEF_UNREADABLE] and letter.attachments == ()
    assert "runs past the end" in letter.problems[0].detail
    assert _reasons(_tnef_mail(b"\x78\x9f\x3e\x22" + bytes(range(7, 107)))) == [Reason.TNEF_UNREADABLE]


def test_pdfs_inside_tnef_count_against_the_pdf_and_part_limits() -> None:
    raw = outlook_mail(with_attachment("a.pdf", certificate()), "ms-tnef", "winmail.dat", "limits")
    two = _tnef_mail(nested(with_attachment("b.pdf", certificate()), 1))
    assert _reasons(raw, replace(LIMITS, mail_max_pdfs=1)) == []
    from email import message_from_bytes, policy
    both = message_from_bytes(raw, policy=policy.SMTP)
    both.add_attachment(with_attachment("c.pdf", certificate()), maintype="application", subtype="ms-tnef",
                        filename="winmail.dat")
    assert _reasons(both.as_bytes(), replace(LIMITS, mail_max_pdfs=1)) == [Reason.TOO_MANY_PDFS]
    assert _reasons(raw, replace(LIMITS, mail_max_parts=2)) == [Reason.TOO_MANY_PARTS]
    assert parse_letter(two, LIMITS).attachments[0].part == "2/tnef:#1/tnef:b.pdf"


def test_attached_messages_nested_past_the_depth_limit_are_refused() -> None:
    deep = _tnef_mail(nested(with_attachment("a.pdf", certificate()), 12))
    letter = parse_letter(deep, LIMITS)
    assert [p.reason for p in letter.problems] == [Reason.MIME_TOO_DEEP] and letter.attachments == ()
    inner = message_nodes("x", "y", [file_attachment(0, "a.pdf", certificate())])
    for _ in range(10):
        inner = message_nodes("x", "y", [message_attachment(0, "Videresendt", inner)])
    deep_msg = outlook_mail(msg_file("Fwd", "z", [message_attachment(0, "Fwd", inner)]), "vnd.ms-outlook", "a.msg", "d")
    assert _reasons(deep_msg) == [Reason.MIME_TOO_DEEP]


def test_a_pdf_in_an_attached_msg_and_in_its_attached_message_are_found() -> None:
    inner = message_nodes("Indre", "Se vedhæftede", [file_attachment(0, "indre.pdf", certificate("LÆ 265"))])
    msg = msg_file("Fwd: attest", "Hermed attest.", [file_attachment(0, "LAE125.pdf", certificate()),
                                                     message_attachment(1, "Videresendt", inner)])
    letter = parse_letter(outlook_mail(msg, "vnd.ms-outlook", "attest.msg", "msg"), LIMITS)
    assert [a.part for a in letter.attachments] == ["2/msg:LAE125.pdf", "2/msg:Videresendt/msg:indre.pdf"]
    assert letter.problems == ()
    assert "Fwd: attest" in letter.body_text and "Se vedhæftede" in letter.body_text


def test_a_cpr_named_in_an_attached_msg_body_reaches_the_conflict_check() -> None:
    msg = msg_file("Attest", "Vedr. CPR 111111-1118", [file_attachment(0, "attest.pdf", certificate())])
    letter = with_mentioned_cprs(parse_letter(outlook_mail(msg, "octet-stream", "attest.msg", "c"), LIMITS))
    assert letter.attachments[0].mentioned_cprs == frozenset({"1111111118"})


def test_a_damaged_or_oversized_msg_is_named() -> None:
    assert _reasons(msg_unreadable()) == [Reason.MSG_UNREADABLE]
    assert _reasons(outlook_mail(b"not an ole file", "vnd.ms-outlook", "a.msg", "n")) == [Reason.MSG_UNREADABLE]
    msg = msg_file("Attest", "", [file_attachment(0, "attest.pdf", certificate())])
    small = replace(LIMITS, zip_max_total_bytes=1000)
    assert _reasons(outlook_mail(msg, "vnd.ms-outlook", "a.msg", "big"), small) == [Reason.MAIL_TOO_LARGE]
