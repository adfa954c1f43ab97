"""S/MIME mails sealed by openssl, read with our configured keys: decrypted, refused by name, signatures judged."""

from __future__ import annotations

import base64
from email import policy
from email.message import EmailMessage

import pytest

from robot.mail.parse import parse_letter
from robot.mail.smime_open import Decryptor
from robot.model import Letter, Limits, Reason, SmimeKeys
from robot.settings import read_settings
from robot.smime_config import smime_keys
from tests.e2e.reason_mails import TRUSTED, certificate
from tests.smime_factory import (
    PASSPHRASE,
    PASSPHRASE_ENV,
    certificate_entity,
    encrypt,
    material,
    sealed_mail,
    sign,
)

ENTITY = certificate_entity(certificate())


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> SmimeKeys:
    folder = tmp_path_factory.mktemp("smime")
    (folder / "robot.toml").write_text(material().config(folder), encoding="utf-8")
    return smime_keys(read_settings(folder / "robot.toml"), {PASSPHRASE_ENV: PASSPHRASE})


_DECRYPTORS: dict[SmimeKeys, Decryptor] = {}


def read(part: bytes, keys: SmimeKeys | None, limits: Limits | None = None) -> Letter:
    """The sealed part in a whole mail, parsed with a Decryptor of `keys` (loaded once per key set, as a worker does)."""
    decryptor = None if keys is None else _DECRYPTORS.get(keys) or _DECRYPTORS.setdefault(keys, Decryptor(keys))
    return parse_letter(sealed_mail(part, TRUSTED, "Lægeattest", "t"), limits or Limits(), decryptor)


def problems(letter: Letter) -> list[tuple[Reason, str]]:
    return [(p.reason, p.detail) for p in letter.problems]


@pytest.mark.parametrize("to", ["kommune_old", "kommune_new", "both"])
def test_a_mail_to_any_configured_certificate_gives_up_its_pdf(keys: SmimeKeys, to: str) -> None:
    m = material()
    recipients = (m.kommune_old, m.kommune_new) if to == "both" else (getattr(m, to),)
    letter = read(encrypt(ENTITY, *recipients), keys)
    assert problems(letter) == []
    assert [(a.name, a.data) for a in letter.attachments] == [("attest.pdf", certificate())]
    assert letter.body_text == "Hermed attest."
    used = recipients[0]
    assert letter.smime_notes == (f"part 1: decrypted with CN={used.name}, serial {used.serial:#x}",)


def test_a_mail_to_someone_else_stays_sealed_and_names_its_recipient(keys: SmimeKeys) -> None:
    foreign = material().foreign
    letter = read(encrypt(ENTITY, foreign), keys)
    assert letter.attachments == ()
    [(reason, detail)] = problems(letter)
    assert reason is Reason.SMIME_ENCRYPTED
    assert f"serial {foreign.serial:#x}" in detail and "no configured certificate (smime.keys)" in detail


def test_without_keys_an_envelope_is_sealed_as_before() -> None:
    letter = read(encrypt(ENTITY, material().kommune_old), None)
    assert [reason for reason, _ in problems(letter)] == [Reason.SMIME_ENCRYPTED]
    assert "smime.keys" in problems(letter)[0][1]


def test_an_unsupported_cipher_is_named(keys: SmimeKeys) -> None:
    letter = read(encrypt(ENTITY, material().kommune_old, cipher=""), keys)  # openssl smime's default: 3DES
    [(reason, detail)] = problems(letter)
    assert reason is Reason.SMIME_UNDECRYPTABLE and "unsupported algorithm" in detail


def test_a_garbled_envelope_to_us_is_named_not_raised(keys: SmimeKeys) -> None:
    part = encrypt(ENTITY, material().kommune_old)
    head, _, body = part.partition(b"\n\n")
    der = base64.b64decode(body)
    truncated = head + b"\n\n" + base64.encodebytes(der[: len(der) // 2])
    assert [r for r, _ in problems(read(truncated, keys))] == [Reason.SMIME_UNDECRYPTABLE]
    # the encrypted key flipped: the recipient is still ours, the key no longer opens it
    index = der.index(b"\x04\x82\x01\x00") + 10  # the 256-byte OCTET STRING of the RSA-encrypted content key
    flipped = der[:index] + bytes([der[index] ^ 0xFF]) + der[index + 1:]
    letter = read(head + b"\n\n" + base64.encodebytes(flipped), keys)
    [(reason, detail)] = problems(letter)
    assert reason is Reason.SMIME_UNDECRYPTABLE and "cannot be decrypted" in detail and letter.attachments == ()


@pytest.mark.parametrize(("limits", "reason"), [(Limits(mail_max_parts=3), Reason.TOO_MANY_PARTS),
                                                (Limits(mail_max_pdfs=2), Reason.TOO_MANY_PDFS)])
def test_the_limits_hold_inside_the_envelope(keys: SmimeKeys, limits: Limits, reason: Reason) -> None:
    msg = EmailMessage(policy=policy.SMTP)
    msg.set_content("Hermed attester.")
    for n in range(3):
        msg.add_attachment(certificate(), maintype="application", subtype="pdf", filename=f"attest{n}.pdf")
    letter = read(encrypt(msg.as_bytes(), material().kommune_old), keys, limits)  # the sealed mail: 2 parts
    assert [r for r, _ in problems(letter)] == [reason] and letter.attachments == ()


def test_a_signed_then_encrypted_mail_has_its_signature_checked(keys: SmimeKeys) -> None:
    m = material()
    letter = read(encrypt(sign(ENTITY, m.region), m.kommune_new), keys)
    assert [a.name for a in letter.attachments] == ["attest.pdf"] and problems(letter) == []
    assert letter.smime_notes[1].startswith("part 1.1: signature valid (signer CN=Region Signer")


def test_a_signature_without_a_path_to_an_anchor_is_unverifiable_and_still_read(keys: SmimeKeys) -> None:
    m = material()
    self_signed_anchorless = SmimeKeys(keys.keys, trust_anchors=(keys.keys[0].certificate,))  # not the CA
    letter = read(encrypt(sign(ENTITY, m.region), m.kommune_old), self_signed_anchorless)
    assert [a.name for a in letter.attachments] == ["attest.pdf"] and problems(letter) == []
    assert "signature unverifiable (the signer's certificate leads to no configured trust anchor" in \
        letter.smime_notes[1]


def test_a_changed_signed_content_is_invalid(keys: SmimeKeys) -> None:
    m = material()
    signed = sign(certificate_entity(certificate(), body="Hermed attest."), m.region)
    head, _, body = signed.partition(b"\n\n")
    der = base64.b64decode(body)
    assert der.count(b"Hermed") == 1
    changed = head + b"\n\n" + base64.encodebytes(der.replace(b"Hermed", b"Herned"))
    letter = read(encrypt(changed, m.kommune_old), keys)
    assert "signature invalid (the content does not match its signed digest" in letter.smime_notes[1]
    assert [a.name for a in letter.attachments] == ["attest.pdf"]  # recorded, not by itself escalated


def test_the_keys_never_show_in_a_repr(keys: SmimeKeys) -> None:
    shown = repr(keys) + repr(keys.keys) + repr(Decryptor(keys))
    assert "private_key" not in shown and keys.keys[0].private_key.hex()[:40] not in shown
    assert repr(keys) == "SmimeKeys(2 keys, 1 trust anchors)"


def test_a_detached_signature_is_recorded_as_unverifiable(keys: SmimeKeys) -> None:
    m = material()
    detached = sign(ENTITY, m.region, detached=True)
    assert b"multipart/signed" in detached
    letter = read(encrypt(detached, m.kommune_old), keys)
    assert [a.name for a in letter.attachments] == ["attest.pdf"] and problems(letter) == []
    assert letter.smime_notes[1] == "part 1: signature unverifiable (a detached multipart/signed signature is not checked)"
