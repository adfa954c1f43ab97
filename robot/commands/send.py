"""`lae-robot send`: delivers .eml files to an SMTP server, so a newcomer can feed the robot its samples."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import TextIO

import aiosmtplib


async def send_files(files: list[Path], host: str, port: int, rcpt: str | None, timeout: float, out: TextIO,
                     err: TextIO) -> int:
    """Each file is sent as it is; MAIL FROM is its From address, RCPT TO `rcpt` or its To addresses."""
    failures = 0
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as error:
            print(f"lae-robot send: cannot read {path}: {error.strerror}", file=err)
            failures += 1
            continue
        headers = BytesHeaderParser().parsebytes(raw)
        sender = next((a for _, a in getaddresses(headers.get_all("From", []) or []) if a), "")
        recipients = [rcpt] if rcpt else [a for _, a in getaddresses(headers.get_all("To", []) or []) if a]
        # an address with non-ASCII characters (RFC 6531) travels only with SMTPUTF8; sent as it is, never altered
        utf8 = not all(address.isascii() for address in (sender, *recipients))
        try:
            errors, answer = await aiosmtplib.send(raw, sender=sender, recipients=recipients, hostname=host,
                                                   port=port, timeout=timeout, start_tls=False, use_tls=False,
                                                   mail_options=["SMTPUTF8"] if utf8 else None)
        except aiosmtplib.SMTPException as error:
            print(f"{path}: refused: {error}", file=err)
            failures += 1
            continue
        print(f"{path}: {answer.strip()}", file=out)
    return 1 if failures else 0
