"""Decrypting S/MIME enveloped-data with our own certificates' keys, in a parser process: which key, or why not."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key, pkcs7

from robot.model import SmimeKeys

_ENVELOPED = "enveloped_data"
_DETAIL_CHARS = 200  # a library's message, cut short: it names an algorithm or a fault, never content


class SmimeNotForUs(Exception):
    """The envelope is addressed to none of the configured certificates."""


class SmimeUndecryptable(Exception):
    """The envelope names one of our certificates but cannot be opened: garbled, wrong key, unsupported cipher."""


@dataclass(frozen=True)
class Opened:
    """The decrypted MIME entity and the certificate whose key opened it."""

    content: bytes
    label: str


@dataclass(frozen=True)
class _Recipient:
    """One RecipientInfo's identifier: issuer and serial, or a subject key identifier."""

    issuer: bytes | None = None  # DER of the issuer Name
    serial: int | None = None
    key_id: bytes | None = None
    other: str | None = None  # a recipient of another kind (key agreement, key-encryption key): never ours

    def described(self) -> str:
        if self.other is not None:
            return f"a {self.other} recipient"
        if self.serial is not None:
            return f"serial {self.serial:#x}"
        return f"key id {self.key_id.hex() if self.key_id else '?'}"


@dataclass(frozen=True)
class _OurKey:
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    label: str

    def __repr__(self) -> str:  # the private key stays out of every repr
        return f"_OurKey({self.label})"

    def addressed_by(self, recipient: _Recipient) -> bool:
        if recipient.other is not None:
            return False
        if recipient.serial is not None:
            return (recipient.serial == self.certificate.serial_number
                    and recipient.issuer == self.certificate.issuer.public_bytes())
        try:
            ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            return False
        return recipient.key_id == ski


class Decryptor:
    """Our certificates and their keys, loaded once per parser process; opens the envelopes addressed to them. Also
    holds the trust anchors signatures are verified against."""

    def __init__(self, keys: SmimeKeys) -> None:
        self.anchors = tuple(x509.load_der_x509_certificate(anchor) for anchor in keys.trust_anchors)
        self._keys: list[_OurKey] = []
        for key in keys.keys:
            private = load_der_private_key(key.private_key, None)
            if isinstance(private, rsa.RSAPrivateKey):  # the settings loader refuses any other kind
                self._keys.append(_OurKey(x509.load_der_x509_certificate(key.certificate), private, key.label))

    def __repr__(self) -> str:
        return f"Decryptor({len(self._keys)} keys)"

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    def open(self, der: bytes) -> Opened:
        """The content of the enveloped-data `der`; raises SmimeNotForUs or SmimeUndecryptable (with the detail)."""
        recipients = _recipients(der)
        for key in self._keys:
            if any(key.addressed_by(recipient) for recipient in recipients):
                return Opened(_decrypt(der, key), key.label)
        named = ", ".join(recipient.described() for recipient in recipients) or "no recipient"
        raise SmimeNotForUs(f"S/MIME enveloped-data encrypted to {named}; no configured certificate (smime.keys) "
                            f"matches")


def _decrypt(der: bytes, key: _OurKey) -> bytes:
    try:
        return pkcs7.pkcs7_decrypt_der(der, key.certificate, key.private_key, [])
    except UnsupportedAlgorithm as exc:
        raise SmimeUndecryptable(f"S/MIME enveloped-data to {key.label} uses an unsupported algorithm "
                                 f"({str(exc)[:_DETAIL_CHARS]})") from None
    # the Rust binding raises ValueError for a wrong key or a garbled envelope; anything else is the same to us
    except Exception as exc:
        raise SmimeUndecryptable(f"S/MIME enveloped-data to {key.label} cannot be decrypted "
                                 f"({type(exc).__name__}: {str(exc)[:_DETAIL_CHARS]})") from None


def _recipients(der: bytes) -> list[_Recipient]:
    """The recipients an enveloped-data names; SmimeUndecryptable when it is not one or cannot be parsed."""
    try:
        info = cms.ContentInfo.load(der)
        kind = str(info["content_type"].native)
        if kind != _ENVELOPED:
            raise SmimeUndecryptable(f"S/MIME object is {kind}, not enveloped-data")
        return [_recipient(info_choice) for info_choice in info["content"]["recipient_infos"]]
    except SmimeUndecryptable:
        raise
    # asn1crypto raises ValueError, TypeError, KeyError, OverflowError ... on malformed input.
    except Exception as exc:
        raise SmimeUndecryptable(f"S/MIME enveloped-data cannot be parsed ({type(exc).__name__})") from None


def _recipient(choice: cms.RecipientInfo) -> _Recipient:
    if choice.name != "ktri":  # key agreement (EC) and key-encryption-key recipients: never one of our RSA keys
        return _Recipient(other=str(choice.name))
    rid = choice.chosen["rid"]
    if rid.name == "issuer_and_serial_number":
        return _Recipient(issuer=rid.chosen["issuer"].dump(), serial=int(rid.chosen["serial_number"].native))
    return _Recipient(key_id=bytes(rid.chosen.native))
