"""The email policy the robot parses mail with: the modern one, with the MIME structure headers read cheaply."""

from __future__ import annotations

from email.policy import EmailPolicy
from typing import Any

# Read by the parser itself and by the walk, several times per part: as plain unfolded text they go through the
# stdlib's parameter reader (the one compat32 uses) instead of building a structured header object on every read,
# which was two thirds of the CPU a mail's parse cost. Every other header (From, Subject, ...) is parsed as before.
_STRUCTURE_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})


class _StructureAsText(EmailPolicy):
    """policy.default, except that the MIME structure headers are fetched as unfolded text."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if name.lower() in _STRUCTURE_HEADERS and isinstance(value, str) and not hasattr(value, "name"):
            return "".join(value.splitlines())
        return super().header_fetch_parse(name, value)


MAIL_POLICY = _StructureAsText()
