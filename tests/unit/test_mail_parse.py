"""parse_letter turns any raw mail into a Letter: fields, PDFs with safe names, and named problems."""

from __future__ import annotations

import base64
import random
import time
import zipfile
from datetime import datetime, timedelta, timezone
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from robot.mail.parse import parse_letter
from robot.model import Letter, Limits, Reason
from tests.mail_factory import (
    attach,
    enveloped_data,
    flag_all_encrypted,
    mail_with_pdfs,
    make_pdf,
    nested_multipart,
    new_mail,
    signed_data,
    zip_of,
)

LIMITS = Limits()
PDF = make_pdf("Lægeerklæring LÆ 125")
PDF_B64 = base64.encodebytes(PDF)


def reasons(letter: Letter) -> list[Reason]:
    return [problem.reason for problem in letter.problems]


def names(letter: Letter) -> list[str | None]:
    return [attachment.name for attachment in letter.attachments]


def parts(letter: Letter) -> list[str]:
    return [attachment.part for attachment in letter.attachments]


def raw_mail(*body_parts: bytes, headers: bytes = b"From: klinik@laege.dk\r\n", boundary: bytes = b"zz") -> bytes:
    """A hand-written multipart/mixed mail; each body part is its own headers, blank line and body."""
    delimiter = b"--" + boundary + b"\r\n"
    body = b"".join(delimiter + part + b"\r\n" for part in body_parts)
    content_type = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n'
    return headers + b"MIME-Version: 1.0\r\n" + content_type + b"\r\n" + body + b"--" + boundary + b"--\r\n"


def pdf_part(headers: bytes, data: bytes = PDF) -> bytes:
    return headers + b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data)


# ---------------------------------------------------------------- fields


def test_plain_mail_gives_fields_and_the_pdf_bytes() -> None:
    msg = new_mail(subject="=?utf-8?q?L=C3=A6geattest_for_J=C3=B8rgen?=")
    msg["Cc"] = "Sagsbehandler <SB@Kommune.dk>, other@Example.org"
    attach(msg, PDF, "attest.pdf")
    received = (
        b"Authentication-Results: mx.kommune.dk;\r\n\tdkim=pass header.d=laege.dk;\r\n spf=pass\r\n"
        b"Authentication-Results: relay.kommune.dk; dmarc=pass\r\n"
    )

    letter = parse_letter(received + msg.as_bytes(), LIMITS)

    assert letter.sender == "klinik@laege.dk"
    assert letter.sender_domain == "laege.dk"
    assert letter.recipients == ("post@kommune.dk", "sb@kommune.dk", "other@example.org")
    assert letter.subject == "Lægeattest for Jørgen"
    assert letter.message_id == "<abc.123@laege.dk>"
    assert letter.date == datetime(2025, 2, 3, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert letter.body_text == "Hermed attesten."
    assert letter.authentication_results == (
        "mx.kommune.dk;\tdkim=pass header.d=laege.dk; spf=pass",
        "relay.kommune.dk; dmarc=pass",
    )
    assert names(letter) == ["attest.pdf"]
    assert parts(letter) == ["2"]
    assert letter.attachments[0].data == PDF
    assert letter.attachments[0].content_type == "application/pdf"
    assert letter.problems == ()


def test_missing_from_subject_and_date_give_none_and_empty() -> None:
    raw = raw_mail(pdf_part(b"Content-Type: application/pdf\r\n"), headers=b"To: post@kommune.dk\r\n")
    letter = parse_letter(raw, LIMITS)
    assert letter.sender is None
    assert letter.sender_domain is None
    assert letter.subject == ""
    assert letter.date is None
    assert letter.message_id is None
    assert letter.recipients == ("post@kommune.dk",)
    assert len(letter.attachments) == 1


def test_date_without_zone_is_utc_and_bad_date_is_none_with_a_problem() -> None:
    utc = parse_letter(b"From: a@b.dk\r\nDate: Mon, 3 Feb 2025 09:15:00 -0000\r\n\r\nhej", LIMITS)
    assert utc.date == datetime(2025, 2, 3, 9, 15, tzinfo=timezone.utc)
    bad = parse_letter(b"From: a@b.dk\r\nDate: i morgen\r\n\r\nhej", LIMITS)
    assert bad.date is None
    assert Reason.MALFORMED_MIME in reasons(bad)


def test_message_id_is_kept_as_sent_without_whitespace() -> None:
    letter = parse_letter(b"From: a@b.dk\r\nMessage-ID:\r\n <x.1@b.dk>\r\n\r\nhej", LIMITS)
    assert letter.message_id == "<x.1@b.dk>"


def test_two_from_headers_take_the_first_and_say_so() -> None:
    letter = parse_letter(b"From: a@b.dk\r\nFrom: boss@kommune.dk\r\n\r\nhej", LIMITS)
    assert letter.sender == "a@b.dk"
    assert any("2 From headers" in problem.detail for problem in letter.problems)


def test_unparseable_from_gives_no_sender_and_a_problem_not_an_exception() -> None:
    letter = parse_letter(b"From: " + b"(" * 50_000 + b"\r\nSubject: hej\r\n\r\nbody", LIMITS)
    assert letter.sender is None
    assert letter.subject == "hej"
    assert Reason.MALFORMED_MIME in reasons(letter)


# ---------------------------------------------------------------- body text


def test_unknown_charset_in_body_falls_back_without_raising() -> None:
    raw = raw_mail(
        b"Content-Type: text/plain; charset=x-klinik-8bit\r\n\r\nL\xe6ge \xf8je \xe5bner",
        b"Content-Type: text/plain; charset=base64\r\n\r\nL\xc3\xa6ge",
        pdf_part(b"Content-Type: application/pdf\r\n"),
    )
    letter = parse_letter(raw, LIMITS)
    assert "Læge øje åbner" in letter.body_text
    assert "Læge" in letter.body_text.splitlines()[-1]
    assert len(letter.attachments) == 1


def test_html_only_body_is_stripped_of_tags() -> None:
    html = "<html><head><style>p{}</style></head><body><p>Hej&nbsp;<b>Jørgen</b></p><script>x()</script></body></html>"
    msg = new_mail()
    msg.set_content(html, subtype="html")
    attach(msg, PDF, "a.pdf")
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert letter.body_text == "Hej Jørgen"


def test_plain_part_wins_over_html_alternative() -> None:
    msg = new_mail(body="Ren tekst")
    msg.add_alternative("<p>HTML tekst</p>", subtype="html")
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert letter.body_text == "Ren tekst"


# ---------------------------------------------------------------- names


def test_rfc2231_name_with_danish_letters() -> None:
    letter = parse_letter(mail_with_pdfs("Lægeattest Søren Åberg.pdf"), LIMITS)
    assert names(letter) == ["Lægeattest Søren Åberg.pdf"]


def test_rfc2231_continuations_are_joined() -> None:
    disposition = (
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment;\r\n"
        b" filename*0*=UTF-8''L%C3%A6ge;\r\n"
        b" filename*1*=erkl%C3%A6ring%20%C3%B8%C3%A5.pdf\r\n"
    )
    letter = parse_letter(raw_mail(pdf_part(disposition)), LIMITS)
    assert names(letter) == ["Lægeerklæring øå.pdf"]


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?UTF-8?B?TMOmZ2VhdHRlc3Qgw7jDpS5wZGY=?="\r\n',
        b'Content-Type: application/pdf; name="=?iso-8859-1?Q?L=E6geattest_=F8=E5.pdf?="\r\n',
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename==?utf-8?Q?L=C3=A6geattest_=C3=B8=C3=A5.pdf?=\r\n",
    ],
    ids=["quoted-filename", "content-type-name", "unquoted-filename"],
)
def test_rfc2047_encoded_names(headers: bytes) -> None:
    letter = parse_letter(raw_mail(pdf_part(headers)), LIMITS)
    assert names(letter) == ["Lægeattest øå.pdf"]


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system.pdf", "system.pdf"),
        ("/abs/path/attest.pdf", "attest.pdf"),
        ("attest\x00.pdf", "attest.pdf"),
        ("attest\u202efdp.pdf", "attestfdp.pdf"),
        ("zero\u200bwidth\r\n.pdf", "zerowidth.pdf"),
        ("  \t ", "part-2.pdf"),
        ("../..", "part-2.pdf"),
    ],
)
def test_hostile_names_become_safe_display_names(sent: str, shown: str) -> None:
    msg = attach(new_mail(), PDF, sent)
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert names(letter) == [shown]
    assert letter.attachments[0].data == PDF


def test_long_name_is_capped_and_keeps_its_extension() -> None:
    letter = parse_letter(mail_with_pdfs("æ" * 300 + ".pdf"), LIMITS)
    (name,) = names(letter)
    assert name is not None and len(name) == 120 and name.endswith("æ.pdf")


def test_part_without_name_gets_part_path_name() -> None:
    letter = parse_letter(raw_mail(pdf_part(b"Content-Type: application/pdf\r\n")), LIMITS)
    assert names(letter) == ["part-1.pdf"]
    assert parts(letter) == ["1"]


# ---------------------------------------------------------------- finding PDFs


def test_pdf_found_by_magic_under_octet_stream() -> None:
    letter = parse_letter(raw_mail(pdf_part(b"Content-Type: application/octet-stream\r\n")), LIMITS)
    assert names(letter) == ["part-1.pdf"]
    assert letter.attachments[0].data == PDF


def test_pdf_magic_after_leading_junk_is_found() -> None:
    data = b"\x00" * 500 + PDF
    letter = parse_letter(raw_mail(pdf_part(b"Content-Type: image/x-scan\r\n", data)), LIMITS)
    assert [a.data for a in letter.attachments] == [data]


def test_pdf_found_by_name_under_any_type_and_x_pdf_by_type() -> None:
    raw = raw_mail(
        pdf_part(b"Content-Type: application/x-download; name=attest.PDF\r\n", b"not really a pdf"),
        pdf_part(b"Content-Type: application/x-pdf\r\n"),
    )
    letter = parse_letter(raw, LIMITS)
    assert names(letter) == ["attest.PDF", "part-2.pdf"]


def test_text_part_holding_pdf_magic_is_body_not_attachment() -> None:
    raw = raw_mail(b"Content-Type: text/plain\r\n\r\n%PDF-1.4 is the header of a PDF")
    letter = parse_letter(raw, LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.NO_PDF]


def test_mail_without_pdf_lists_its_part_types() -> None:
    msg = new_mail()
    attach(msg, b"\x89PNG\r\n\x1a\n....", "scan.png", "image/png")
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert reasons(letter) == [Reason.NO_PDF]
    assert letter.problems[0].detail.endswith("multipart/mixed, text/plain, image/png")


def test_several_pdfs_keep_mail_order() -> None:
    letter = parse_letter(mail_with_pdfs("a.pdf", "b.pdf", "c.pdf"), LIMITS)
    assert names(letter) == ["a.pdf", "b.pdf", "c.pdf"]
    assert parts(letter) == ["2", "3", "4"]


# ---------------------------------------------------------------- nesting and S/MIME


def test_forwarded_mail_pdf_and_text_are_found() -> None:
    inner = new_mail(subject="Attest", body="Oprindelig tekst fra lægen")
    attach(inner, PDF, "videresendt.pdf")
    outer = new_mail(body="Se venligst vedhæftede")
    outer.add_attachment(inner)
    letter = parse_letter(outer.as_bytes(), LIMITS)
    assert names(letter) == ["videresendt.pdf"]
    assert parts(letter) == ["2.2"]
    assert letter.attachments[0].data == PDF
    assert letter.body_text == "Se venligst vedhæftede\n\nOprindelig tekst fra lægen"
    assert letter.sender == "klinik@laege.dk"


def test_base64_encoded_forward_is_opened() -> None:
    inner = attach(new_mail(body="indre"), PDF, "indre.pdf").as_bytes()
    raw = raw_mail(
        b"Content-Type: text/plain\r\n\r\nydre",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(inner),
    )
    letter = parse_letter(raw, LIMITS)
    assert names(letter) == ["indre.pdf"]
    assert letter.attachments[0].data == PDF
    assert "indre" in letter.body_text


def test_multipart_signed_takes_the_content_and_ignores_the_signature() -> None:
    content = MIMEMultipart("mixed")
    content.attach(MIMEText("Signeret attest", "plain", "utf-8"))
    content.attach(MIMEApplication(PDF, "pdf", Name="signeret.pdf"))
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(content)
    signed.attach(MIMEApplication(b"%PDF-pretend signature", "pkcs7-signature", Name="smime.p7s"))
    signed["From"] = "klinik@laege.dk"
    letter = parse_letter(signed.as_bytes(), LIMITS)
    assert names(letter) == ["signeret.pdf"]
    assert parts(letter) == ["1.2"]
    assert letter.body_text == "Signeret attest"
    assert letter.problems == ()


def test_opaque_signed_smime_is_unwrapped() -> None:
    inner = attach(new_mail(body="indhold"), PDF, "i-signatur.pdf").as_bytes()
    msg = new_mail()
    msg.clear_content()
    msg.set_content(
        signed_data(inner), "application", "pkcs7-mime", params={"smime-type": "signed-data"}, filename="smime.p7m"
    )
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert names(letter) == ["i-signatur.pdf"]
    assert letter.attachments[0].data == PDF
    assert letter.body_text == "indhold"


@pytest.mark.parametrize("params", [{"smime-type": "enveloped-data"}, {}])
def test_encrypted_smime_is_reported(params: dict[str, str]) -> None:
    msg = new_mail()
    msg.clear_content()
    msg.set_content(enveloped_data(), "application", "x-pkcs7-mime", params=params, filename="smime.p7m")
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.SMIME_ENCRYPTED]
    assert letter.problems[0].part == "1"


def test_smime_next_to_a_plain_pdf_keeps_the_pdf() -> None:
    msg = attach(new_mail(), PDF, "klar.pdf")
    attach(msg, enveloped_data(), "smime.p7m", "application/pkcs7-mime")
    letter = parse_letter(msg.as_bytes(), LIMITS)
    assert names(letter) == ["klar.pdf"]
    assert reasons(letter) == [Reason.SMIME_ENCRYPTED]
    assert letter.problems[0].part == "3"


# ---------------------------------------------------------------- zip


def zip_mail(archive: bytes, name: str | None = "attester.zip", ctype: str = "application/zip") -> bytes:
    return attach(new_mail(), archive, name, ctype).as_bytes()


def test_zip_with_two_pdfs() -> None:
    first, second = make_pdf("første"), make_pdf("anden")
    archive = zip_of([("mappe/første.pdf", first), ("anden.PDF", second), ("læs mig.txt", b"hej")])
    letter = parse_letter(zip_mail(archive), LIMITS)
    assert names(letter) == ["attester.zip/første.pdf", "attester.zip/anden.PDF"]  # the zip shown as their origin
    assert parts(letter) == ["2/zip:første.pdf", "2/zip:anden.PDF"]
    assert [a.data for a in letter.attachments] == [first, second]
    assert letter.problems == ()


def test_zip_found_by_magic_and_pdf_member_by_magic() -> None:
    letter = parse_letter(zip_mail(zip_of([("scan0001", PDF)]), None, "application/octet-stream"), LIMITS)
    assert names(letter) == ["part-2.zip/scan0001"]  # an unnamed zip shows its part
    assert letter.attachments[0].data == PDF


def test_zip_member_names_are_safe() -> None:
    letter = parse_letter(zip_mail(zip_of([("../../../etc/x\u202e.pdf", PDF)])), LIMITS)
    assert names(letter) == ["attester.zip/x.pdf"]
    assert parts(letter) == ["2/zip:x.pdf"]


def test_zip_bomb_by_ratio_is_unsafe_and_gives_nothing() -> None:
    bomb = b"%PDF-1.4\n" + b"\0" * 2_000_000
    letter = parse_letter(zip_mail(zip_of([("ok.pdf", PDF), ("bomb.pdf", bomb)])), LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.ZIP_UNSAFE]
    assert letter.problems[0].part == "2"


def test_zip_with_too_many_members_is_unsafe() -> None:
    archive = zip_of([(f"{n}.pdf", PDF) for n in range(4)])
    letter = parse_letter(zip_mail(archive), Limits(zip_max_members=3))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.ZIP_UNSAFE]


def test_zip_over_total_size_is_unsafe() -> None:
    archive = zip_of([("a.pdf", PDF), ("b.pdf", PDF)], compression=zipfile.ZIP_STORED)
    letter = parse_letter(zip_mail(archive), Limits(zip_max_total_bytes=len(PDF) + 10))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.ZIP_UNSAFE]


def test_zip_size_budget_covers_all_zips_of_a_mail() -> None:
    archive = zip_of([("a.pdf", PDF)], compression=zipfile.ZIP_STORED)
    msg = attach(attach(new_mail(), archive, "1.zip", "application/zip"), archive, "2.zip", "application/zip")
    letter = parse_letter(msg.as_bytes(), Limits(zip_max_total_bytes=len(PDF) + 10))
    assert parts(letter) == ["2/zip:a.pdf"]
    assert reasons(letter) == [Reason.ZIP_UNSAFE]
    assert letter.problems[0].part == "3"


def test_encrypted_zip_member_is_unreadable() -> None:
    archive = flag_all_encrypted(zip_of([("hemmelig.pdf", PDF)], compression=zipfile.ZIP_STORED))
    letter = parse_letter(zip_mail(archive), LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.ZIP_UNREADABLE]
    assert letter.problems[0].part == "2/zip:hemmelig.pdf"


def test_corrupt_zip_is_unreadable() -> None:
    letter = parse_letter(zip_mail(b"PK\x03\x04" + b"\x13" * 200), LIMITS)
    assert reasons(letter) == [Reason.ZIP_UNREADABLE]


def test_zip_member_with_bad_crc_is_unreadable_and_others_are_kept() -> None:
    archive = bytearray(zip_of([("ok.pdf", PDF), ("skadet.pdf", PDF)], compression=zipfile.ZIP_STORED))
    second = archive.find(b"%PDF-", archive.find(b"skadet.pdf"))
    archive[second + 200] ^= 0xFF
    letter = parse_letter(zip_mail(bytes(archive)), LIMITS)
    assert names(letter) == ["attester.zip/ok.pdf"]
    assert reasons(letter) == [Reason.ZIP_UNREADABLE]
    assert letter.problems[0].part == "2/zip:skadet.pdf"


def test_nested_zip_is_not_opened() -> None:
    inner = zip_of([("inde.pdf", PDF)])
    letter = parse_letter(zip_mail(zip_of([("ude.pdf", PDF), ("mere.zip", inner)])), LIMITS)
    assert names(letter) == ["attester.zip/ude.pdf"]
    assert reasons(letter) == [Reason.ZIP_UNREADABLE]
    assert letter.problems[0].detail == "nested zip not opened"


# ---------------------------------------------------------------- limits


def test_mail_too_large_is_refused_but_says_who_sent_it() -> None:
    raw = mail_with_pdfs("a.pdf")
    letter = parse_letter(raw, Limits(mail_max_bytes=len(raw) - 1))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.MAIL_TOO_LARGE]
    assert letter.sender == "klinik@laege.dk"
    assert letter.body_text == ""


def test_too_many_parts_refuses_every_attachment() -> None:
    letter = parse_letter(mail_with_pdfs("a.pdf", "b.pdf", "c.pdf"), Limits(mail_max_parts=3))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.TOO_MANY_PARTS]
    assert letter.subject == "Lægeattest"


def test_too_many_parts_counts_forwarded_messages() -> None:
    inner = attach(new_mail(), PDF, "a.pdf")
    outer = new_mail()
    outer.add_attachment(inner)
    # 6 entities: outer mixed, text, rfc822, inner mixed, text, pdf; only 4 boundary lines
    letter = parse_letter(outer.as_bytes(), Limits(mail_max_parts=5))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.TOO_MANY_PARTS]


def test_a_hundred_thousand_parts_are_refused_quickly() -> None:
    raw = raw_mail(*([b"Content-Type: text/plain\r\n\r\nx"] * 100_000))
    started = time.monotonic()
    letter = parse_letter(raw, LIMITS)
    assert time.monotonic() - started < 2.0
    assert reasons(letter) == [Reason.TOO_MANY_PARTS]
    assert letter.sender == "klinik@laege.dk"


def test_too_many_pdfs_refuses_them_all() -> None:
    letter = parse_letter(mail_with_pdfs("a.pdf", "b.pdf", "c.pdf"), Limits(mail_max_pdfs=2))
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.TOO_MANY_PDFS]


def test_zip_members_count_towards_the_pdf_limit() -> None:
    archive = zip_of([("a.pdf", PDF), ("b.pdf", PDF)])
    msg = attach(attach(new_mail(), PDF, "c.pdf"), archive, "x.zip", "application/zip")
    letter = parse_letter(msg.as_bytes(), Limits(mail_max_pdfs=2))
    assert reasons(letter) == [Reason.TOO_MANY_PDFS]


def test_two_hundred_nested_multiparts_do_not_raise() -> None:
    letter = parse_letter(nested_multipart(200), LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.MIME_TOO_DEEP]
    assert letter.sender == "klinik@laege.dk"


def test_pdf_deeper_than_the_limit_is_refused() -> None:
    leaf = pdf_part(b"Content-Type: application/pdf\r\n")
    assert len(parse_letter(nested_multipart(8, leaf), LIMITS).attachments) == 1
    letter = parse_letter(nested_multipart(9, leaf), LIMITS)
    assert letter.attachments == ()
    assert reasons(letter) == [Reason.MIME_TOO_DEEP]


def test_forward_levels_count_towards_depth() -> None:
    inner = attach(new_mail(), PDF, "a.pdf")
    outer = new_mail()
    outer.add_attachment(inner)
    # outer multipart (1), message/rfc822 (2), inner multipart (3)
    assert len(parse_letter(outer.as_bytes(), Limits(mail_max_depth=3)).attachments) == 1
    letter = parse_letter(outer.as_bytes(), Limits(mail_max_depth=2))
    assert reasons(letter) == [Reason.MIME_TOO_DEEP]


def test_thousands_of_nested_forwards_are_too_deep_not_a_crash() -> None:
    raw = b"From: klinik@laege.dk\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"\r\nbund"
    letter = parse_letter(raw, LIMITS)
    assert reasons(letter) == [Reason.MIME_TOO_DEEP]
    assert letter.sender == "klinik@laege.dk"


# ---------------------------------------------------------------- broken MIME


def test_missing_closing_boundary_still_finds_the_pdf() -> None:
    raw = raw_mail(pdf_part(b"Content-Type: application/pdf; name=a.pdf\r\n")).rsplit(b"--zz--", 1)[0]
    letter = parse_letter(raw, LIMITS)
    assert names(letter) == ["a.pdf"]
    assert letter.attachments[0].data == PDF
    assert reasons(letter) == [Reason.MALFORMED_MIME]


def test_undecodable_base64_pdf_is_reported_and_other_parts_still_read() -> None:
    broken = (
        b"Content-Type: application/pdf; name=broken.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\nA"  # 13 base64 characters: no padding can decode that
    )
    letter = parse_letter(raw_mail(broken, pdf_part(b"Content-Type: application/pdf; name=ok.pdf\r\n")), LIMITS)
    assert names(letter) == ["ok.pdf"]
    assert reasons(letter) == [Reason.MALFORMED_MIME]
    assert letter.problems[0].part == "1"


def test_bad_base64_padding_is_tolerated() -> None:
    unpadded = base64.b64encode(PDF).rstrip(b"=")
    part = b"Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + unpadded
    letter = parse_letter(raw_mail(part), LIMITS)
    assert [a.data for a in letter.attachments] == [PDF]


def test_no_headers_at_all() -> None:
    letter = parse_letter(b"bare noget tekst\r\nuden headers", LIMITS)
    assert letter.sender is None
    assert "bare noget tekst" in letter.body_text
    assert Reason.NO_PDF in reasons(letter)


def test_hundred_kilobyte_header_line() -> None:
    raw = b"X-Junk: " + b"a" * 100_000 + b"\r\nSubject: " + b"=?utf-8?q?x?= " * 10_000 + b"\r\n"
    letter = parse_letter(raw + mail_with_pdfs("a.pdf"), LIMITS)
    assert isinstance(letter, Letter)
    assert names(letter) == ["a.pdf"]


@pytest.mark.parametrize("seed", range(5))
def test_binary_garbage_becomes_a_letter(seed: int) -> None:
    garbage = random.Random(seed).randbytes(20_000)
    letter = parse_letter(garbage, LIMITS)
    assert isinstance(letter, Letter)
    assert letter.attachments == ()


def test_bounce_with_delivery_status_is_not_malformed() -> None:
    status = b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.kommune.dk\r\n\r\n"
    status += b"Final-Recipient: rfc822; x@laege.dk\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    letter = parse_letter(raw_mail(b"Content-Type: text/plain\r\n\r\nUndeliverable", status), LIMITS)
    assert reasons(letter) == [Reason.NO_PDF]
    assert letter.body_text == "Undeliverable"


def test_empty_mail() -> None:
    assert reasons(parse_letter(b"", LIMITS)) == [Reason.NO_PDF]


def test_truncated_and_damaged_mails_never_raise() -> None:
    inner = attach(new_mail(), zip_of([("a.pdf", PDF)]), "z.zip", "application/zip")
    outer = attach(new_mail(), PDF, "b.pdf")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    rng = random.Random(7)
    for cut in range(0, len(raw), max(1, len(raw) // 40)):
        assert isinstance(parse_letter(raw[:cut], LIMITS), Letter)
    for _ in range(40):
        damaged = bytearray(raw)
        for _ in range(20):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        assert isinstance(parse_letter(bytes(damaged), LIMITS), Letter)
