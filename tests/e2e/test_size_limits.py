"""The size limits agree: a PDF under the PDF limit gets through SMTP in a mail and is filed; each limit that refuses
names itself (issue 10: the mail limit equalled the PDF limit, so certificates over ~37 MB ended as mail_too_large).

The daemon runs with small limits (PDF 2 MiB, mail 3 MiB) so the test is fast; the arithmetic is the same at 50 MiB.
"""

from __future__ import annotations

import random
import signal
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from robot.model import mail_bytes_to_carry
from tests.e2e.reason_mails import certificate, mail
from tests.e2e.test_daemon import Daemon, daemon  # noqa: F401  (the fixture)

PDF_LIMIT = 2 * 1024 * 1024
MAIL_LIMIT = 3 * 1024 * 1024


def padded_certificate(size: int, seed: int) -> bytes:
    """A certificate the robot files, made exactly `size` bytes by an XMP metadata stream of random bytes (which
    base64 cannot shrink and no reader shows)."""
    reader = PdfReader(BytesIO(certificate()))
    pad = size - len(certificate()) - 400
    for _ in range(4):
        writer = PdfWriter(clone_from=reader)
        metadata = DecodedStreamObject()
        metadata.set_data(random.Random(seed).randbytes(pad))
        metadata[NameObject("/Type")] = NameObject("/Metadata")
        writer._root_object[NameObject("/Metadata")] = writer._add_object(metadata)
        out = BytesIO()
        writer.write(out)
        if len(out.getvalue()) == size:
            return out.getvalue()
        pad += size - len(out.getvalue())
    raise AssertionError(f"could not pad a certificate to {size} bytes")


def test_pdf_just_under_the_pdf_limit_is_not_refused_as_mail_too_large(daemon: Daemon, tmp_path: Path) -> None:  # noqa: F811
    assert mail_bytes_to_carry(PDF_LIMIT) <= MAIL_LIMIT  # what the settings insist on
    with daemon.config.open("a", encoding="utf-8") as config:
        config.write(f"[limits]\npdf_max_bytes = {PDF_LIMIT}\nmail_max_bytes = {MAIL_LIMIT}\n")
    under = mail(("under.pdf", padded_certificate(PDF_LIMIT - 100, 1)), tag="under")
    over_pdf = mail(("over.pdf", padded_certificate(PDF_LIMIT + 100, 2)), tag="over-pdf")
    over_mail = mail(("a.pdf", padded_certificate(1_200_000, 3)), ("b.pdf", padded_certificate(1_200_000, 4)),
                     tag="over-mail")
    assert len(under) < MAIL_LIMIT and len(over_pdf) < MAIL_LIMIT < len(over_mail)
    files = []
    for name, raw in (("under", under), ("over_pdf", over_pdf), ("over_mail", over_mail)):
        files.append(tmp_path / f"{name}.eml")
        files[-1].write_bytes(raw)
    daemon.start()

    sent = daemon.send(*map(str, files))

    assert sent.returncode == 0 and sent.stdout.count("2.0.0 OK queued as") == 3, sent.stderr  # all taken in
    daemon.wait_done(3)
    with daemon.ledger() as db:
        documents = {name: (outcome, case) for name, outcome, case in
                     db.execute("SELECT name, outcome, case_id FROM documents").fetchall()}
        escalations = {reason: detail for reason, detail in db.execute("SELECT reason, detail FROM escalations")}
    assert documents["under.pdf"] == ("filed", "SD-1001")
    assert [p.stat().st_size for p in (daemon.folder / "var" / "archive").rglob("*.pdf")] == [PDF_LIMIT - 100]
    assert documents["over.pdf"][0] == "escalated"
    assert set(escalations) == {"pdf_too_large", "mail_too_large"}
    assert (f"{PDF_LIMIT + 100} bytes (2.0 MiB), over the limit of {PDF_LIMIT} bytes (2.0 MiB) in "
            "limits.pdf_max_bytes") in escalations["pdf_too_large"]
    assert (f"{len(over_mail)} bytes (3.1 MiB), over the limit of {MAIL_LIMIT} bytes (3.0 MiB) in "
            "limits.mail_max_bytes") in escalations["mail_too_large"]
    assert daemon.stop(signal.SIGTERM) == 0
