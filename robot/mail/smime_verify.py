"""Verifying an opaque S/MIME signed-data against the configured trust anchors: valid, invalid or unverifiable."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MAX_CHAIN = 6  # signer, intermediates, anchor: more than this is no chain we follow


def verify_signed_data(der: bytes, anchors: Sequence[x509.Certificate], now: datetime | None = None) -> str:
    """"valid (...)", "invalid (...)" or "unverifiable (...)" for the first signer of `der`; never raises."""
    try:
        return _verify(cms.ContentInfo.load(der)["content"], anchors, now or datetime.now(UTC))
    # asn1crypto and the x509 loader raise many kinds of exception on malformed input: that is unverifiable
    except Exception as exc:
        return f"unverifiable (the signature cannot be read: {type(exc).__name__})"


def _verify(signed: cms.SignedData, anchors: Sequence[x509.Certificate], now: datetime) -> str:
    content = signed["encap_content_info"]["content"].native
    if not isinstance(content, bytes):
        return "unverifiable (no signed content)"
    infos = signed["signer_infos"]
    if len(infos) == 0:
        return "unverifiable (no signer)"
    info = infos[0]
    certificates = [x509.load_der_x509_certificate(choice.chosen.dump())
                    for choice in (signed["certificates"] or ()) if choice.name == "certificate"]
    signer = _signer(info["sid"], certificates)
    if signer is None:
        return "unverifiable (the signer's certificate is not in the mail)"
    digest = _HASHES.get(str(info["digest_algorithm"]["algorithm"].native))
    if digest is None:
        return f"unverifiable (digest {info['digest_algorithm']['algorithm'].native} not supported)"
    who = f"signer {signer.subject.rfc4514_string()}, serial {signer.serial_number:#x}"
    signed_bytes = _signed_bytes(info, content, digest)
    if signed_bytes is None:
        return f"invalid (the content does not match its signed digest; {who})"
    problem = _signature_problem(signer, info["signature"].native, signed_bytes, digest())
    if problem:
        return f"{problem}; {who})"
    return _chain_outcome(signer, certificates, anchors, now, who)


def _signer(sid: cms.SignerIdentifier, certificates: list[x509.Certificate]) -> x509.Certificate | None:
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            if (certificate.serial_number == int(sid.chosen["serial_number"].native)
                    and certificate.issuer.public_bytes() == sid.chosen["issuer"].dump()):
                return certificate
        else:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == bytes(sid.chosen.native):
                return certificate
    return None


def _signed_bytes(info: cms.SignerInfo, content: bytes, digest: type[hashes.HashAlgorithm]) -> bytes | None:
    """What the signature covers: the signed attributes (as a SET) when present, after their message digest is
    checked against the content (None when it differs); else the content itself."""
    attributes = info["signed_attrs"]
    if not attributes:
        return content
    digests = [attribute["values"][0].native for attribute in attributes
               if attribute["type"].native == "message_digest"]
    if digests != [hashlib.new(digest().name, content).digest()]:
        return None
    encoded: bytes = attributes.dump()
    return b"\x31" + encoded[1:]  # signed over as SET OF, not as the [0] IMPLICIT it is carried in


def _signature_problem(signer: x509.Certificate, signature: bytes, data: bytes,
                       digest: hashes.HashAlgorithm) -> str | None:
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        else:
            return f"unverifiable ({type(key).__name__} signatures are not checked"
    except InvalidSignature:
        return "invalid (the signature does not match the content"
    return None


def _chain_outcome(signer: x509.Certificate, certificates: list[x509.Certificate],
                   anchors: Sequence[x509.Certificate], now: datetime, who: str) -> str:
    if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
        return f"invalid (the signer's certificate is not valid now; {who})"
    current = signer
    for _ in range(_MAX_CHAIN):
        if current in anchors:
            return f"valid ({who})"
        for anchor in anchors:
            if _issued_by(current, anchor):
                return f"valid ({who}, anchor {anchor.subject.rfc4514_string()})"
        issuer = next((c for c in certificates if c != current and _issued_by(current, c)), None)
        if issuer is None:
            break
        current = issuer
    return f"unverifiable (the signer's certificate leads to no configured trust anchor; {who})"


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
