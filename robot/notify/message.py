"""A notice and its rendering as one plain-text mail; a notice carrying a CPR-shaped number is refused."""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.policy import compat32
from email.utils import formataddr, parseaddr
from functools import lru_cache

from robot.privacy import mask_cpr_text

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_ADDRESS = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Between fields when all are checked in one pass: neither a digit nor a character a CPR form allows between its digits
# (privacy._BETWEEN), nor one a CPR label may run over, so no number reads across two fields.
_FIELD_SEPARATOR = "\n\x00\n"
_MAX_LINE = 78  # octets, without the line end (RFC 5322 section 2.1.1)
# utf-8 quoted-printable: readable in any mail client's source view, and 7-bit for every relay
_MIME_HEADERS = 'MIME-Version: 1.0\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n'


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
    joined = _FIELD_SEPARATOR.join((notice.key, notice.subject, notice.body, *notice.to))
    if not _is_encodable(joined):
        raise NoticeRefused(notice.key, f"its {_first_field(notice, lambda text: not _is_encodable(text))} is not "
                                        "valid text (an unpaired surrogate)")
    if mask_cpr_text(joined) != joined:  # one pass over all fields; the field is named only when there is one
        field = _first_field(notice, lambda text: mask_cpr_text(text) != text)
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


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _first_field(notice: Notice, fails: Callable[[str], bool]) -> str:
    """The name of the first field of `notice` whose text `fails`; "text" when the fault only shows joined."""
    named = (("key", notice.key), ("subject", notice.subject), ("body", notice.body),
             *(("to", address) for address in notice.to))
    return next((field for field, text in named if fails(text)), "text")


def render_notice(notice: Notice, sender: str, now: datetime, domain: str) -> bytes:
    """The notice as a UTF-8 plain-text mail from `sender`, dated `now` (timezone-aware): RFC 5322 bytes with LF line
    ends as Message.as_bytes() wrote them, ASCII only (quoted-printable body, RFC 2047 subject and sender name), lines
    of at most 78 octets but for an address longer than that and a long non-ASCII sender name's From line (written as
    before). Written directly rather than by the email package's Message and Generator, for a tenth of their CPU:
    every filed document has a notice."""
    check_notice(notice)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    head = "".join((
        _MIME_HEADERS,
        _from_header(sender),
        _to_header(notice.to),
        _subject_header(notice.subject),
        "Date: ", _date(now), "\n",
        "Message-ID: ", message_id(notice.key, _checked_domain(domain)), "\n",
        "Auto-Submitted: auto-generated\n",  # RFC 3834: no auto-replies to this
        "X-Auto-Response-Suppress: All\n",  # the same for Exchange, which most kommuner run
        "\n",
    ))
    return head.encode("ascii") + _quoted_printable_body(notice.body)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date(now: datetime) -> str:
    """`now` as an RFC 5322 date ("Tue, 04 Mar 2025 10:00:00 +0000"), what email.utils.format_datetime writes, with
    the offset in whole minutes."""
    offset = now.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return (f"{_WEEKDAYS[now.weekday()]}, {now.day:02d} {_MONTHS[now.month - 1]} {now.year:04d} "
            f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} {'-' if seconds < 0 else '+'}{hours:02d}{minutes:02d}")


@lru_cache(maxsize=16)
def _checked_domain(domain: str) -> str:
    if not is_domain(domain):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    return domain


@lru_cache(maxsize=16)
def _from_header(sender: str) -> str:
    """The From line as the email package writes and folds it (a name that is not ASCII as one base64 encoded-word,
    whose line may pass 78 octets when the name is long): the sender is one per transport, so this runs once."""
    name, address = parseaddr(sender)
    sender_address(sender)
    return compat32.fold("From", formataddr((name, address), charset="utf-8"))


def _to_header(recipients: tuple[str, ...]) -> str:
    """"To: a, b", folded before an address where a line would pass 78 octets (also right after "To:"); only an
    address too long for a line of its own passes 78."""
    lines: list[str] = []
    line = "To:"
    for number, address in enumerate(recipients):
        piece = f" {address}," if number < len(recipients) - 1 else f" {address}"
        if len(line) + len(piece) > _MAX_LINE:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\n".join(lines) + "\n"


def _subject_header(subject: str) -> str:
    """Plain ASCII folded at its spaces, or else RFC 2047 encoded-words, each line within 78 octets. Plain only when
    a reader gets the subject back as it is: no leading space (readers strip it), no "=?" (read as an encoded-word)."""
    if subject.isascii() and not subject.startswith(" ") and "=?" not in subject:
        folded = _folded_at_spaces(f"Subject: {subject}")
        if folded is not None:
            return folded
    return _encoded_words("Subject:", subject)


_FOLDABLE_PIECE = re.compile(r"[ \t]+[^ \t]*|[^ \t]+")


def _folded_at_spaces(line: str) -> str | None:
    """`line` folded before spaces or tabs into lines of at most 78 octets, or None if a word (or a trailing run of
    spaces, which may not stand alone on a line) does not fit. Unfolding (removing the line breaks) gives `line`."""
    if len(line) <= _MAX_LINE:
        return line + "\n"
    lines: list[str] = []
    current = ""
    pieces = _FOLDABLE_PIECE.findall(line)
    pieces[:2] = ["".join(pieces[:2])]  # never fold right after the colon: readers strip what starts the value
    for piece in pieces:
        if current and len(current) + len(piece) > _MAX_LINE:
            lines.append(current)
            current = ""
        current += piece
        if len(current) > _MAX_LINE or current.isspace():
            return None
    lines.append(current)
    return "\n".join(lines) + "\n"


_WORD_OPEN, _WORD_CLOSE = "=?utf-8?q?", "?="
_CONTINUATION_BYTE = frozenset("89AB")  # "=8X".."=BX": the second to fourth byte of a UTF-8 character


def _encoded_words(label: str, text: str) -> str:
    """`label` and `text` as UTF-8 "Q" encoded-words, folded between words (whitespace there is not part of the
    text), each word at most 75 octets and whole characters only (RFC 2047 sections 4.2, 5 and 6.2)."""
    # b2a_qp's header mode: space as "_", "=", "_", controls and 8-bit bytes as "=XX"; "?" (which would end the
    # word) is escaped here, and its soft line breaks (no "=" and no line break are left unescaped) are taken out.
    encoded = binascii.b2a_qp(text.encode("utf-8"), header=True).replace(b"=\n", b"").replace(b"?", b"=3F")
    q = encoded.decode("ascii")
    overhead = len(_WORD_OPEN) + len(_WORD_CLOSE)
    room = min(_MAX_LINE - len(label) - 1, 75) - overhead  # the first word follows "Subject: "
    words: list[str] = []
    start = 0
    while start < len(q) or not words:
        end = _word_end(q, start, room)
        words.append(f"{_WORD_OPEN}{q[start:end]}{_WORD_CLOSE}")
        start, room = end, min(_MAX_LINE - 1, 75) - overhead  # the next words follow a folding space
    return f"{label} " + "\n ".join(words) + "\n"


def _word_end(q: str, start: int, room: int) -> int:
    """Where the word of Q text starting at `start` ends: within `room`, not inside an "=XX" nor inside a character."""
    end = start + room
    if end >= len(q):
        return len(q)
    if q[end - 1] == "=":
        end -= 1
    elif q[end - 2] == "=":
        end -= 2
    while q[end] == "=" and q[end + 1] in _CONTINUATION_BYTE:
        end -= 3
    return end


# binascii.b2a_qp protects a space or tab ending a line by writing it as "=20"/"=09", which may take a 75- or
# 76-octet line to 77 or 78: a soft line break before the escape brings such a line back within 76 (RFC 2045).
_OVERLONG_QP_LINE = re.compile(rb"(?m)^(.{74,75})(=(?:20|09))$")


def _quoted_printable_body(body: str) -> bytes:
    """`body` in UTF-8 quoted-printable with LF line ends, lines of at most 76 octets; CRLF and a lone CR end a line
    as LF does. Decodes to the text the email package's quoted-printable gives."""
    if not body:
        return b""
    if "\r" in body:  # b2a_qp would keep a CRLF as CRLF (and every LF with it) and escape a lone CR
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(body.encode("utf-8"), istext=True)
    if b"=20\n" in encoded or b"=09\n" in encoded:
        encoded = _OVERLONG_QP_LINE.sub(rb"\1=\n\2", encoded)
    return encoded
