"""Guarded reads of one MIME entity's headers and payload: stdlib failures become PartUnreadable."""

from __future__ import annotations

import re
from collections.abc import Callable
from email import errors as email_errors
from email.header import decode_header, make_header
from email.message import Message
from typing import TypeVar

T = TypeVar("T")

_CONTENT_TYPE_SHAPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_UNQUOTED_ENCODED_NAME = re.compile(r"(?i)(?:^|[;\s])(?:file)?name\s*=\s*\"?(=\?[^\"\s;]+\?=)")
_UNDECODABLE_PAYLOAD = (email_errors.InvalidBase64LengthDefect,)
_FOLD = re.compile(r"\r?\n(?=[ \t])")


class PartUnreadable(Exception):
    """A header or the payload of one MIME entity could not be read."""


def guarded(what: str, read: Callable[[], T]) -> T:
    """Run one stdlib read of hostile input; any exception it raises becomes PartUnreadable."""
    try:
        return read()
    # The stdlib header parser is known to raise IndexError, AttributeError, TypeError,
    # RecursionError, LookupError ... on crafted input; each one means "unreadable".
    except Exception as exc:
        raise PartUnreadable(f"{what} unreadable ({type(exc).__name__})") from exc


def unsurrogate(text: str) -> str:
    """Turn bytes the parser kept as lone surrogates back into text (UTF-8, invalid bytes replaced)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def raw_values(entity: Message, name: str) -> list[str]:
    """Every value of header `name` exactly as sent, unfolded, undecodable bytes replaced."""
    wanted = name.lower()
    return [
        unsurrogate(_FOLD.sub("", str(value))).strip()
        for key, value in entity.raw_items()
        if key.strip().lower() == wanted
    ]


def content_type(entity: Message) -> str:
    """The entity's lower-case content type; application/octet-stream when it is not type/subtype."""
    value = guarded("Content-Type", entity.get_content_type)
    return value if _CONTENT_TYPE_SHAPE.fullmatch(value) else "application/octet-stream"


def type_param(entity: Message, name: str) -> str | None:
    """A Content-Type parameter as text, or None when the header does not carry it."""
    value = guarded(f"Content-Type {name}", lambda: entity.get_param(name))
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 triple left undecoded by the parser
        return unsurrogate(str(value[2]))
    return unsurrogate(str(value))


def charset(entity: Message) -> str | None:
    """The declared charset of a text part, lower-cased, or None when none is declared."""
    value = guarded("charset", entity.get_content_charset)
    return unsurrogate(value) if value else None


def disposition(entity: Message) -> str | None:
    """'inline' or 'attachment' (lower-case) from Content-Disposition, or None when absent."""
    return guarded("Content-Disposition", entity.get_content_disposition)


def _decode_encoded_words(text: str) -> str:
    """Decode RFC 2047 encoded words left in a file name; text without them is returned as is."""
    if "=?" not in text:
        return text
    return str(guarded("encoded file name", lambda: make_header(decode_header(text))))


def _encoded_name_in_raw_headers(entity: Message) -> str | None:
    """An unquoted RFC 2047 `filename==?..?=` that the structured parser rejected, if any."""
    for header in ("content-disposition", "content-type"):
        for value in raw_values(entity, header):
            match = _UNQUOTED_ENCODED_NAME.search(value)
            if match:
                return match.group(1)
    return None


def filename(entity: Message) -> str | None:
    """The untrusted file name: Content-Disposition filename (RFC 2231/2047), else Content-Type name."""
    name = guarded("file name", entity.get_filename) or _encoded_name_in_raw_headers(entity)
    if name is None:
        return None
    return _decode_encoded_words(unsurrogate(str(name)))


def payload(entity: Message) -> bytes:
    """The transfer-decoded body of a leaf entity; PartUnreadable when its base64 cannot be decoded."""
    data = guarded("payload", lambda: entity.get_payload(decode=True))
    if any(isinstance(defect, _UNDECODABLE_PAYLOAD) for defect in entity.defects):
        raise PartUnreadable("payload base64 cannot be decoded")
    if not isinstance(data, bytes):
        raise PartUnreadable(f"payload is {type(data).__name__}, not bytes")
    return data


def raw_payload_text(entity: Message) -> str:
    """The body of an entity exactly as stored by the parser, before transfer decoding."""
    value = guarded("payload", lambda: entity.get_payload(decode=False))
    if not isinstance(value, str):
        raise PartUnreadable(f"payload is {type(value).__name__}, not text")
    return value


def transfer_encoding(entity: Message) -> str:
    """The Content-Transfer-Encoding, lower-cased ('7bit' when absent)."""
    value = guarded("Content-Transfer-Encoding", lambda: entity.get("content-transfer-encoding"))
    return str(value).strip().lower() if value is not None else "7bit"


def defect_names(entity: Message) -> tuple[str, ...]:
    """Names of the parse defects the stdlib recorded on this entity, each once, in order."""
    return tuple(dict.fromkeys(type(defect).__name__ for defect in entity.defects))


def children(entity: Message) -> list[Message]:
    """The sub-entities of a multipart or message/* entity; empty for a leaf."""
    value = guarded("parts", entity.get_payload)
    if not isinstance(value, list):
        return []
    return [child for child in value if isinstance(child, Message)]
