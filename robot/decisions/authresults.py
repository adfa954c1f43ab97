"""Reads Authentication-Results header fields (RFC 8601): who stamped them and each method's result and properties."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_METHOD = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:\s*/\s*\d+)?\s*=\s*([A-Za-z0-9_-]+)")
_PROPERTY = re.compile(r'\b([A-Za-z0-9_-]+)\.([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')
_AUTHSERV_ID = re.compile(r"^\s*([^\s;]+)")


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` with its properties: `dkim=pass header.d=rn.dk` is ("dkim", "pass", {"header.d": ...})."""

    method: str  # lower case
    result: str  # lower case
    properties: dict[str, str] = field(default_factory=dict)  # keys lower case, values as written (unquoted)


@dataclass(frozen=True)
class AuthenticationResults:
    """One Authentication-Results field: the authserv-id of the host that added it and its results."""

    authserv_id: str  # lower case
    results: tuple[MethodResult, ...]


def parse_authentication_results(value: str) -> AuthenticationResults | None:
    """One header field's value; None when it names no authserv-id."""
    text = _without_comments(value)
    parts = _split_semicolons(text)
    found = _AUTHSERV_ID.match(parts[0]) if parts else None
    if found is None:
        return None
    results: list[MethodResult] = []
    for part in parts[1:]:
        method = _METHOD.match(part)
        if method is None:
            continue
        rest = part[method.end():]
        properties = {f"{m.group(1).lower()}.{m.group(2).lower()}": m.group(3).strip('"')
                      for m in _PROPERTY.finditer(rest)}
        results.append(MethodResult(method.group(1).lower(), method.group(2).lower(), properties))
    return AuthenticationResults(found.group(1).lower().rstrip("."), tuple(results))


def stamped_by(values: Iterable[str], authserv_ids: Iterable[str]) -> list[AuthenticationResults]:
    """The parsed fields whose authserv-id is one of ours; every other field may be forged and is left out."""
    ours = {a.lower().rstrip(".") for a in authserv_ids}
    parsed = (parse_authentication_results(value) for value in values)
    return [fields for fields in parsed if fields is not None and fields.authserv_id in ours]


def _without_comments(value: str) -> str:
    """RFC 5322 comments (nested parentheses, outside quoted strings) removed."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            out.append(ch)
        elif ch == '"' and depth == 0:
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _split_semicolons(text: str) -> list[str]:
    """Split at semicolons outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts
