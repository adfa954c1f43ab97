"""Build real mails inside tests: small reportlab PDFs, attachments, zips, S/MIME wrappers and nesting."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from email import policy
from email.message import EmailMessage
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

SENDER = "Læge Hansen <Klinik@Laege.DK>"
RECIPIENT = "Jobcenter <Post@Kommune.DK>"


@cache
def make_pdf(text: str = "Lægeerklæring LÆ 125") -> bytes:
    """A one-page reportlab PDF that shows `text`."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    page.setFont("Helvetica", 11)
    page.drawString(72, A4[1] - 72, text)
    page.showPage()
    page.save()
    return out.getvalue()


def new_mail(subject: str = "Lægeattest", body: str = "Hermed attesten.") -> EmailMessage:
    """A plain mail from a clinic to the kommune, ready for attachments."""
    msg = EmailMessage(policy=policy.default)
    msg["From"] = SENDER
    msg["To"] = RECIPIENT
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Feb 2025 09:15:00 +0100"
    msg["Message-ID"] = "<abc.123@laege.dk>"
    msg.set_content(body)
    return msg


def attach(msg: EmailMessage, data: bytes, filename: str | None, ctype: str = "application/pdf") -> EmailMessage:
    """Add `data` as an attachment of type `ctype` (name via RFC 2231 when non-ASCII)."""
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def mail_with_pdfs(*names: str, pdf: bytes | None = None) -> bytes:
    """The bytes of a mail carrying one PDF per name."""
    msg = new_mail()
    for name in names:
        attach(msg, pdf or make_pdf(name), name)
    return msg.as_bytes()


def zip_of(members: Iterable[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive in memory holding the given (name, data) members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def flag_all_encrypted(archive: bytes) -> bytes:
    """Set the 'encrypted' general-purpose flag on every local and central header (zipfile cannot write one)."""
    data = bytearray(archive)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_offset] |= 0x01
            start = data.find(signature, start + 4)
    return bytes(data)


def signed_data(content: bytes) -> bytes:
    """A DER PKCS#7 SignedData that encapsulates `content` (no signers: enough for unwrapping)."""
    from asn1crypto import cms

    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data", "content": content},
            "signer_infos": [],
        }
    )
    der: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return der


def enveloped_data() -> bytes:
    """A DER PKCS#7 EnvelopedData with no recipients: what an encrypted S/MIME mail carries."""
    from asn1crypto import cms

    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": b"\x00" * 16},
                "encrypted_content": b"\x01" * 32,
            },
        }
    )
    der: bytes = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump()
    return der


def nested_multipart(levels: int, leaf: bytes = b"Content-Type: text/plain\r\n\r\ninderst\r\n") -> bytes:
    """A mail whose multipart/mixed parts nest `levels` deep around one leaf, written by hand."""
    head = [f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n'.encode() for n in range(levels)]
    tail = [f"\r\n--b{n}--\r\n".encode() for n in reversed(range(levels))]
    return b"From: klinik@laege.dk\r\nSubject: dyb\r\nMIME-Version: 1.0\r\n" + b"".join(head) + leaf + b"".join(tail)
