"""Mails (and the PDFs in them) that each trigger one escalation reason of `lae-robot process`.

Every builder returns the raw bytes of one whole mail. Unless a reason is about the sender, the mail comes from a
sender the shipped senders.toml trusts (Region Nordjylland), so the reason under test is the only thing wrong.
"""

from __future__ import annotations

import base64
import hashlib
from email import policy
from email.message import EmailMessage
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.gateway import passed
from tests.hostile_pdfs import flate_bomb_pdf, with_javascript_open_action
from tests.mail_factory import enveloped_data, flag_all_encrypted, zip_of
from tests.pdf_factory import encrypted_pdf, garbage_pdf, many_pages_pdf, text_pdf

TRUSTED = "Psykiatrien Region Nordjylland <psykiatri.attester@rn.dk>"
UNTRUSTED = "Læge Hansen <klinik@laege.dk>"  # a GP domain: no organisation in the shipped senders.toml
KOMMUNE = "Jobcenter <jobcenter@kommune.example>"

# Citizens of samples/cases.csv
ONE_OPEN_CASE = "220487-0503"  # SD-1001 open sygedagpenge (and a closed one): a certificate about them is filed
TWO_OPEN_CASES = "171063-0883"  # SD-1010 and JA-2010, both open and eligible
ONLY_CLOSED_CASE = "300799-3446"  # SD-0901, closed
RESSOURCEFORLOEB = "011068-0058"  # RF-3001 open ressourceforløb


def certificate(form: str = "LÆ 125 Statusattest", cpr: str = ONE_OPEN_CASE) -> bytes:
    """A plain LÆ certificate the robot files when nothing else is wrong."""
    return text_pdf([[form, f"CPR-nr.: {cpr}", "Navn: Jens Hansen", "Borgeren er fortsat uarbejdsdygtig."]])


def mail(*pdfs: tuple[str, bytes], sender: str = TRUSTED, subject: str = "Lægeattest", body: str = "Hermed attest.",
         tag: str = "") -> bytes:
    """A mail with a text body and one application/pdf attachment per (filename, bytes); none: a plain text mail."""
    msg = _headers(EmailMessage(policy=policy.SMTP), sender, subject, tag or subject)
    msg.set_content(body)
    for name, data in pdfs:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def _headers(msg: EmailMessage, sender: str, subject: str, tag: str) -> EmailMessage:
    msg["Authentication-Results"] = passed(sender.rsplit("@", 1)[1].strip(">"))
    msg["From"] = sender
    msg["To"] = KOMMUNE
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Feb 2025 09:15:00 +0100"
    msg["Message-ID"] = f"<{hashlib.sha256(tag.encode()).hexdigest()[:16]}@rn.dk>"
    return msg


def one_pdf(pdf: bytes, tag: str, **fields: str) -> bytes:
    return mail(("attest.pdf", pdf), tag=tag, **fields)


# ---------------------------------------------------------------- reading the PDF


def scan_pdf() -> bytes:
    """A page with a drawn (grey) area and no text at all: what a scanner makes, minus the pixels."""
    out = BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    canvas.setFillGray(0.8)
    canvas.rect(60, 300, 470, 480, stroke=1, fill=1)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def pdf_encrypted() -> bytes:
    return one_pdf(encrypted_pdf(user_password="hemmelig", source=certificate()), "pdf_encrypted")


def no_text_layer() -> bytes:
    return one_pdf(scan_pdf(), "no_text_layer")


def pdf_unreadable() -> bytes:
    # a corrupt PDF, and a Flate bomb (4 GiB of zeros in a few KB) that runs into the test's pdf_memory_mb
    return mail(("korrupt.pdf", garbage_pdf()), ("bombe.pdf", flate_bomb_pdf(4)), tag="pdf_unreadable")


def pdf_timeout() -> bytes:
    return one_pdf(many_pages_pdf(200), "pdf_timeout")  # far longer to read than the test's pdf_seconds


def pdf_too_large() -> bytes:
    return one_pdf(certificate(), "pdf_too_large")  # a normal certificate, over the test's pdf_max_bytes


# ---------------------------------------------------------------- the citizen


def no_cpr() -> bytes:
    return one_pdf(text_pdf([["LÆ 125 Statusattest", "Navn: Jens Hansen", "Borgeren er fortsat uarbejdsdygtig."]]),
                   "no_cpr")


def ambiguous_cpr() -> bytes:
    pdf = text_pdf([["LÆ 125 Statusattest", f"CPR-nr.: {ONE_OPEN_CASE}", "Navn: Jens Hansen",
                     f"Pårørende, CPR-nr.: {TWO_OPEN_CASES}", "Borgeren er fortsat uarbejdsdygtig."]])
    return one_pdf(pdf, "ambiguous_cpr")


def invalid_cpr() -> bytes:
    # day 32: labelled as a CPR number, encodes no date
    pdf = text_pdf([["LÆ 125 Statusattest", "CPR-nr.: 320487-0503", "Navn: Jens Hansen",
                     "Borgeren er fortsat uarbejdsdygtig."]])
    return one_pdf(pdf, "invalid_cpr")


# ---------------------------------------------------------------- the form


def no_blanket() -> bytes:
    # no code or title in the PDF, none in the subject or the file name either
    pdf = text_pdf([["Lægelige oplysninger", f"CPR-nr.: {ONE_OPEN_CASE}", "Navn: Jens Hansen",
                     "Borgeren er fortsat uarbejdsdygtig."]])
    return one_pdf(pdf, "no_blanket", subject="Oplysninger om borger")


def unknown_blanket() -> bytes:
    return one_pdf(certificate("LÆ 999 Attest om noget nyt"), "unknown_blanket")


def ambiguous_blanket() -> bytes:
    # the heading (first page) names no form; the second page names two that disagree
    pdf = text_pdf([["Lægelige oplysninger", f"CPR-nr.: {ONE_OPEN_CASE}", "Navn: Jens Hansen",
                     "Borgeren er fortsat uarbejdsdygtig."],
                    ["Bilag", "Udfyldt på blanket LÆ 125", "Udfyldt på blanket LÆ 265"]])
    return one_pdf(pdf, "ambiguous_blanket", subject="Oplysninger om borger")


def not_certificate() -> bytes:
    pdf = text_pdf([["LÆ 121 Anmodning om statusattest", f"CPR-nr.: {ONE_OPEN_CASE}", "Navn: Jens Hansen",
                     "Jobcentret anmoder hermed om en statusattest."]])
    return one_pdf(pdf, "not_certificate")


# ---------------------------------------------------------------- the mail


def mail_too_large() -> bytes:
    """A normal certificate with a long letter in the body: over the test's mail_max_bytes (the smallest that still
    carries a PDF of its pdf_max_bytes is 64 KiB and a little)."""
    letter = "Hermed attest. Se venligst vedlagte.\n" * 2500
    return one_pdf(certificate(), "mail_too_large", body=letter)


def header_flooded(raw: bytes, fields: int) -> bytes:
    """The mail behind `fields` filler header fields: about 2.5 s per million for the stdlib parser."""
    return b"X-Fyld: v\r\n" * fields + raw


def mail_timeout() -> bytes:
    return header_flooded(one_pdf(certificate(), "mail_timeout"), 1_000_000)  # past the test's mail_seconds


def parser_crashed() -> bytes:
    return header_flooded(one_pdf(certificate(), "parser_crashed"), 2_000_000)  # long enough to be killed parsing


def too_many_parts() -> bytes:
    pdfs = [(f"attest{n}.pdf", certificate(f"LÆ 125 Statusattest {n}")) for n in range(4)]
    return mail(*pdfs, tag="too_many_parts")  # body + 4 PDFs, over the test's mail_max_parts


def mime_too_deep(levels: int = 5) -> bytes:
    """A PDF inside `levels` nested multipart/mixed containers, written by hand."""
    leaf = (b'Content-Type: application/pdf; name="attest.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
            b'Content-Disposition: attachment; filename="attest.pdf"\r\n\r\n'
            + base64.encodebytes(certificate()).replace(b"\n", b"\r\n"))
    head = b"".join(f'Content-Type: multipart/mixed; boundary="niveau{n}"\r\n\r\n--niveau{n}\r\n'.encode()
                    for n in range(levels))
    tail = b"".join(f"\r\n--niveau{n}--\r\n".encode() for n in reversed(range(levels)))
    return _raw_headers("mime_too_deep") + head + leaf + tail


def _raw_headers(tag: str) -> bytes:
    """The header block of a hand-written MIME mail, up to and including MIME-Version (no blank line yet)."""
    message_id = hashlib.sha256(tag.encode()).hexdigest()[:16]
    return (f"Authentication-Results: {passed('rn.dk')}\r\n"
            f"From: {TRUSTED}\r\nTo: {KOMMUNE}\r\nSubject: Laegeattest\r\n"
            f"Date: Mon, 03 Feb 2025 09:15:00 +0100\r\nMessage-ID: <{message_id}@rn.dk>\r\n"
            "MIME-Version: 1.0\r\n").encode("ascii")


def malformed_mime() -> bytes:
    """The PDF part's base64 has a length no base64 can have: its bytes cannot be recovered."""
    broken = base64.b64encode(certificate())[:-4] + b"Q"  # 4n+1 characters
    assert len(broken) % 4 == 1
    return (_raw_headers("malformed_mime")
            + b'Content-Type: multipart/mixed; boundary="graense"\r\n\r\n'
            + b"--graense\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHermed attest.\r\n"
            + b'--graense\r\nContent-Type: application/pdf; name="attest.pdf"\r\n'
            + b"Content-Transfer-Encoding: base64\r\n"
            + b'Content-Disposition: attachment; filename="attest.pdf"\r\n\r\n'
            + b"\r\n".join(broken[i:i + 76] for i in range(0, len(broken), 76))
            + b"\r\n--graense--\r\n")


def no_pdf() -> bytes:
    return mail(tag="no_pdf", body="Attesten følger i en senere mail.")


def too_many_pdfs() -> bytes:
    pdfs = [(f"attest{n}.pdf", certificate(f"LÆ 125 Statusattest {n}")) for n in range(3)]
    return mail(*pdfs, tag="too_many_pdfs")  # over the test's mail_max_pdfs


def _zip_mail(archive: bytes, tag: str) -> bytes:
    msg = _headers(EmailMessage(policy=policy.SMTP), TRUSTED, "Lægeattester", tag)
    msg.set_content("Hermed attester i en zip-fil.")
    msg.add_attachment(archive, maintype="application", subtype="zip", filename="bilag.zip")
    return msg.as_bytes()


def zip_unsafe() -> bytes:
    members = [(f"attest{n}.pdf", certificate(f"LÆ 125 Statusattest {n}")) for n in range(2)]
    return _zip_mail(zip_of(members), "zip_unsafe")  # over the test's zip_max_members


def zip_unreadable() -> bytes:
    return _zip_mail(flag_all_encrypted(zip_of([("attest.pdf", certificate())])), "zip_unreadable")


def outlook_mail(data: bytes, subtype: str, filename: str, tag: str) -> bytes:
    """A mail whose only attachment is an Outlook container: TNEF (ms-tnef, winmail.dat) or a .msg mail."""
    msg = _headers(EmailMessage(policy=policy.SMTP), TRUSTED, "Lægeattest", tag)
    msg.set_content("Hermed attest.")
    msg.add_attachment(data, maintype="application", subtype=subtype, filename=filename)
    return msg.as_bytes()


def tnef_unreadable() -> bytes:
    from tests.tnef_writer import real_tnef
    return outlook_mail(real_tnef("IPM-DistList.tnef"), "ms-tnef", "winmail.dat", "tnef_unreadable")


def fhir_unreadable() -> bytes:
    """A MedCom bundle whose JSON breaks off in the middle (application/fhir+json)."""
    from tests.fhir_factory import as_json, care_communication
    damaged = as_json(care_communication([ONE_OPEN_CASE.replace("-", "")], [certificate()]))[:400]
    return outlook_mail(damaged, "fhir+json", "korrespondance.json", "fhir_unreadable")


def fhir_refused() -> bytes:
    """A MedCom bundle in XML with a DTD declaring entities: refused unread (a billion laughs in small)."""
    hostile = (b'<?xml version="1.0"?><!DOCTYPE Bundle [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
               b'<Bundle xmlns="http://hl7.org/fhir"><id value="&b;"/></Bundle>')
    return outlook_mail(hostile, "fhir+xml", "korrespondance.xml", "fhir_refused")


def msg_unreadable() -> bytes:
    from tests.msg_writer import msg_file
    damaged = msg_file("Attest", "Hermed attest.", [])[:1536]  # the header names sectors that are cut away
    return outlook_mail(damaged, "vnd.ms-outlook", "attest.msg", "msg_unreadable")


def smime_encrypted() -> bytes:
    msg = _headers(EmailMessage(policy=policy.SMTP), TRUSTED, "Lægeattest (krypteret)", "smime_encrypted")
    msg.set_content(enveloped_data(), maintype="application", subtype="pkcs7-mime",
                    params={"smime-type": "enveloped-data", "name": "smime.p7m"},
                    disposition="attachment", filename="smime.p7m")
    return msg.as_bytes()


def smime_undecryptable() -> bytes:
    """Sealed by `openssl smime -encrypt` to the kommune's own certificate, with its default cipher (3DES), which
    the robot does not decrypt: our key, but no way to open it."""
    from tests.smime_factory import certificate_entity, encrypt, material, sealed_mail

    sealed = encrypt(certificate_entity(certificate()), material().kommune_old, cipher="")
    return sealed_mail(sealed, TRUSTED, "Lægeattest (krypteret)", "smime_undecryptable")


# ---------------------------------------------------------------- the decision


def untrusted_sender() -> bytes:
    return mail(("attest.pdf", certificate()), sender=UNTRUSTED, tag="untrusted_sender")


def no_route() -> bytes:
    # LÆ 275 for a citizen with an eligible case; the test's rules leave 275 out of every route
    return one_pdf(certificate("LÆ 275 Lægeattest fra klinisk funktion", RESSOURCEFORLOEB), "no_route")


def no_case() -> bytes:
    return one_pdf(certificate(cpr=ONLY_CLOSED_CASE), "no_case")


def ambiguous_case() -> bytes:
    return one_pdf(certificate(cpr=TWO_OPEN_CASES), "ambiguous_case")


def cpr_conflict() -> bytes:
    return one_pdf(certificate(), "cpr_conflict", body=f"Hermed attest vedr. CPR-nr. {TWO_OPEN_CASES}.")


def name_mismatch() -> bytes:
    return one_pdf(certificate(), "name_mismatch")  # "Navn: Jens Hansen"; the test's register says otherwise


def routed_to_human() -> bytes:
    return one_pdf(certificate("LÆ 165 Forslag om socialmedicinsk sagsbehandling"), "routed_to_human")


# ---------------------------------------------------------------- the archive


def archive_unavailable() -> bytes:
    return one_pdf(certificate(), "archive_unavailable")


def archive_rejected() -> bytes:
    return one_pdf(certificate(), "archive_rejected")


# ---------------------------------------------------------------- the robot itself


def internal_error() -> bytes:
    return one_pdf(certificate(), "internal_error")  # a good certificate; the test's parser processes cannot start


def active_pdf_content() -> bytes:
    """A certificate that would be filed, with JavaScript run when it opens (escalated where the rules say so)."""
    return one_pdf(with_javascript_open_action(certificate()), "active_pdf_content")
