"""The notice mail as the email package renders it (the robot's renderer before issue 15): the tests' reference."""

from __future__ import annotations

from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import format_datetime, formataddr, parseaddr

from robot.notify.message import Notice, check_notice, message_id

_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def email_package_notice(notice: Notice, sender: str, now: datetime, domain: str) -> bytes:
    """`notice` built as a compat32 Message (quoted-printable body by email.quoprimime, subject by email.header)
    and flattened by `Message.as_bytes()`, header for header as robot.notify.message.render_notice writes it."""
    check_notice(notice)
    name, address = parseaddr(sender)
    message = Message()
    message.set_payload(notice.body, _UTF8_QP)  # adds MIME-Version, Content-Type and the transfer encoding
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = ", ".join(notice.to)
    message["Subject"] = notice.subject if notice.subject.isascii() else Header(notice.subject, "utf-8").encode()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notice.key, domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    return message.as_bytes()
