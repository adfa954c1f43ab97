"""Safe display names for attachments: no control or format characters, no path, bounded length."""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 120
_MAX_KEPT_EXTENSION = 10
# Control, format (RTL override U+202E, zero-width joiners ...), lone surrogates from
# undecodable bytes, private use, and line/paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def strip_invisible(text: str) -> str:
    """Remove characters that are invisible or can reorder or break a line of display text."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)


def shown_visibly(text: str) -> str:
    """`text` with every invisible or reordering character written out as `<U+200B>`, so a look-alike address
    (`x@rn<U+200B>.dk`) cannot pass for the real one in front of a person."""
    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in text)


def last_component(text: str) -> str:
    """The part after the last '/' or '\\', so a name can never carry a directory."""
    return text.replace("\\", "/").rsplit("/", 1)[-1]


def cap_length(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """Shorten `name` to `limit` characters, keeping a short extension such as '.pdf'."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= _MAX_KEPT_EXTENSION:
        return stem[: limit - len(extension) - 1].rstrip() + "." + extension
    return name[:limit].rstrip()


def safe_name(raw: str | None) -> str | None:
    """The display form of an untrusted file name, or None when nothing displayable is left."""
    if raw is None:
        return None
    cleaned = last_component(strip_invisible(unicodedata.normalize("NFC", raw))).strip()
    if cleaned in ("", ".", ".."):
        return None
    return cap_length(cleaned)


def display_name(raw: str | None, part: str) -> str:
    """The safe name of an attachment, or `part-<part>.pdf` (slashes made '_') when it has none."""
    return safe_name(raw) or cap_length(f"part-{part}.pdf".replace("/", "_"))
