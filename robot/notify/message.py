"""A notice and its rendering as one plain-text mail; a notice carrying a CPR-shaped number is refused."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import format_datetime, formataddr, parseaddr

from robot.privacy import mask_cpr_text

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_ADDRESS = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any mail client's source view, and 7-bit for every relay


@dataclass(frozen=True)
class Notice:
    """One message to people: `key` makes it idempotent (e.g. "filed:42"), resending it is harmless."""

    key: str
    to: tuple[str, ...]
    subject: str
    body: str


class NoticeRefused(Exception):
    """The notice can never be sent as it is; the message names the field, never its content."""

    def __init__(self, key: str, reason: str):
        self.key = mask_cpr_text(key)
        self.reason = reason
        super().__init__(f"notice {self.key!r} refused: {reason}")


def is_domain(text: str) -> bool:
    """Whether `text` is a plain DNS name (letters, digits, hyphens, dots)."""
    return len(text) <= 253 and _DOMAIN.fullmatch(text) is not None


def is_address(text: str) -> bool:
    """Whether `text` is a bare mail address `local@domain`, with no name, brackets or whitespace."""
    return len(text) <= 254 and _ADDRESS.fullmatch(text) is not None


def sender_address(sender: str) -> str:
    """The bare address in `sender` ("Name <a@b.dk>" or "a@b.dk"); ValueError if there is none."""
    _name, address = parseaddr(sender)
    if _CONTROL.search(sender) or not is_address(address):
        raise ValueError(f"not a sender address: {sender!r}")
    return address


def message_id(key: str, domain: str) -> str:
    """The Message-ID every sending of the notice with this key carries."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<notice.{digest}@{domain}>"


def check_notice(notice: Notice) -> None:
    """Raise NoticeRefused unless the notice is fit to leave the robot."""
    for field, text in (
        ("key", notice.key),
        ("subject", notice.subject),
        ("body", notice.body),
        *(("to", address) for address in notice.to),
    ):
        if mask_cpr_text(text) != text:
            raise NoticeRefused(notice.key, f"its {field} contains a CPR-shaped number")
    if not notice.key:
        raise NoticeRefused(notice.key, "it has no key")
    if not notice.to:
        raise NoticeRefused(notice.key, "it has no recipient")
    for address in notice.to:
        if not is_address(address):
            raise NoticeRefused(notice.key, f"recipient {address!r} is not a bare mail address")
    if _CONTROL.search(notice.subject):
        raise NoticeRefused(notice.key, "its subject contains a line break or control character")


def build_email(notice: Notice, sender: str, now: datetime, domain: str) -> Message:
    """The notice as a UTF-8 plain-text mail (quoted-printable, so it is ASCII on the wire) from `sender`, dated
    `now` (timezone-aware). Built with the email package's compat32 classes: a third of the CPU of
    EmailMessage's header registry, which mattered when every filed document has a notice."""
    check_notice(notice)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not is_domain(domain):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    name, address = parseaddr(sender)
    sender_address(sender)
    message = Message()
    message.set_payload(notice.body, _UTF8_QP)  # adds MIME-Version, Content-Type and the transfer encoding
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = ", ".join(notice.to)
    message["Subject"] = notice.subject if notice.subject.isascii() else Header(notice.subject, "utf-8").encode()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notice.key, domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message["X-Auto-Response-Suppress"] = "All"  # the same for Exchange, which most kommuner run
    return message
