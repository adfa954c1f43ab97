"""Turns the raw bytes of one received mail into a Letter, within the Limits; never raises."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser

from robot.mail.headers import Envelope, read_envelope
from robot.mail.mime_policy import MAIL_POLICY
from robot.mail.prescan import count_part_delimiters
from robot.mail.smime_open import Decryptor
from robot.mail.walk import WalkResult, parse_entity, walk_mail
from robot.model import Attachment, Letter, Limits, MailProblem, Reason, over_limit

# Enough for any real header block; a refused (too large) mail is read no further than this.
HEADER_PREFIX_BYTES = 256 * 1024


def _letter(
    envelope: Envelope, body: str, attachments: tuple[Attachment, ...], problems: tuple[MailProblem, ...],
    smime_notes: tuple[str, ...] = (),
) -> Letter:
    """Assemble the Letter from its header fields and what the walk found."""
    return Letter(
        sender=envelope.sender,
        recipients=envelope.recipients,
        subject=envelope.subject,
        message_id=envelope.message_id,
        date=envelope.date,
        body_text=body,
        attachments=attachments,
        problems=envelope.problems + problems,
        authentication_results=envelope.authentication_results,
        from_addresses=envelope.from_addresses,
        smime_notes=smime_notes,
    )


def _parse_headers(raw: bytes) -> Message:
    """Parse only the header block; the body stays an unexamined string (no MIME recursion)."""
    return BytesParser(policy=MAIL_POLICY).parsebytes(raw, headersonly=True)


def _refused(raw: bytes, problem: MailProblem) -> Letter:
    """A Letter with header fields only, for a mail a limit refuses before its MIME is walked."""
    return _letter(read_envelope(_parse_headers(raw)), "", (), (problem,))


def _salvaged_envelope(raw: bytes) -> Envelope:
    """The header fields of a mail whose full parse failed, when a header-only parse still works."""
    try:
        return read_envelope(_parse_headers(raw[:HEADER_PREFIX_BYTES]))
    # The mail is already reported unparsable; failing here too only means no header fields.
    except Exception:
        return Envelope()


def _unparsable(raw: bytes, exc: Exception) -> Letter:
    """The Letter for a mail whose parsing failed outright: its reason and any salvaged headers."""
    if isinstance(exc, RecursionError):
        reason = Reason.MIME_TOO_DEEP
    elif isinstance(exc, MemoryError):  # over a parser process's memory cap: a limit, not a damaged mail
        reason = Reason.MAIL_TOO_LARGE
    else:
        reason = Reason.MALFORMED_MIME
    problem = MailProblem(reason, f"mail cannot be parsed ({type(exc).__name__})")
    return _letter(_salvaged_envelope(raw), "", (), (problem,))


def _parse_letter(raw: bytes, limits: Limits, decryptor: Decryptor | None) -> Letter:
    """Apply the size and part limits, parse, read the headers and walk the MIME tree."""
    if len(raw) > limits.mail_max_bytes:
        problem = MailProblem(Reason.MAIL_TOO_LARGE, over_limit(len(raw), limits.mail_max_bytes, "limits.mail_max_bytes"))
        return _refused(raw[:HEADER_PREFIX_BYTES], problem)
    delimiters = count_part_delimiters(raw)
    if delimiters > limits.mail_max_parts:
        problem = MailProblem(Reason.TOO_MANY_PARTS, f"{delimiters} MIME part delimiters > {limits.mail_max_parts}")
        return _refused(raw, problem)
    try:
        msg = parse_entity(raw)
    except RecursionError:
        return _refused(raw, MailProblem(Reason.MIME_TOO_DEEP, "MIME nesting too deep to parse"))
    walked: WalkResult = walk_mail(msg, limits, decryptor)
    return _letter(read_envelope(msg), walked.body_text, walked.attachments, walked.problems, walked.smime_notes)


def parse_letter(raw: bytes, limits: Limits, decryptor: Decryptor | None = None) -> Letter:
    """Read one raw mail (RFC 5322 bytes) into a Letter, opening S/MIME addressed to `decryptor`'s keys. Never
    raises: failures become MailProblems."""
    try:
        return _parse_letter(raw, limits, decryptor)
    # Last line of defence: the stdlib parser, zipfile and asn1crypto each raise many kinds of
    # exception on hostile input, and a mail must always become a Letter that names its problem.
    except Exception as exc:
        return _unparsable(raw, exc)
