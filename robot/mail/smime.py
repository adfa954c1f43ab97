"""Opening S/MIME application/pkcs7-mime: signed-data gives up the MIME entity it signs; the rest is sealed."""

from __future__ import annotations

from types import ModuleType

_SIGNED_DATA = "signed_data"


def _load_cms() -> ModuleType | None:
    """asn1crypto's CMS module, or None when the optional dependency is not installed."""
    try:
        from asn1crypto import cms
    except ImportError:  # without it, signed-data is reported as sealed instead of opened
        return None
    module: ModuleType = cms
    return module


_CMS = _load_cms()


class SmimeSealed(Exception):
    """The S/MIME object hides its content (enveloped/encrypted, or a kind we do not open)."""


class SmimeUnreadable(Exception):
    """The S/MIME object is not valid DER/BER PKCS#7, or carries no content."""


def _kind_and_content(cms: ModuleType, der: bytes) -> tuple[str, object]:
    """The ContentInfo type and, for SignedData, its encapsulated content (parsed lazily, so guarded)."""
    try:
        info = cms.ContentInfo.load(der)
        kind = str(info["content_type"].native)
        content = info["content"]["encap_content_info"]["content"].native if kind == _SIGNED_DATA else None
    # asn1crypto raises ValueError, TypeError, KeyError, OverflowError ... on malformed input.
    except Exception as exc:
        raise SmimeUnreadable(f"PKCS#7 cannot be parsed ({type(exc).__name__})") from exc
    return kind, content


def content_kind(der: bytes) -> str:
    """The ContentInfo type of a PKCS#7 object ("signed_data", "enveloped_data", ...); raises SmimeUnreadable,
    or SmimeSealed without asn1crypto."""
    if _CMS is None:
        raise SmimeSealed("S/MIME not opened (asn1crypto is not installed)")
    return _kind_and_content(_CMS, der)[0]


def signed_content(der: bytes) -> bytes:
    """The encapsulated content of an opaque SignedData: the signed MIME entity, as bytes."""
    if _CMS is None:
        raise SmimeSealed("opaque S/MIME signed-data not unwrapped (asn1crypto is not installed)")
    kind, content = _kind_and_content(_CMS, der)
    if kind != _SIGNED_DATA:
        raise SmimeSealed(f"S/MIME {kind} cannot be opened")
    if not isinstance(content, bytes) or not content:
        raise SmimeUnreadable("S/MIME signed-data carries no content (detached)")
    return content
