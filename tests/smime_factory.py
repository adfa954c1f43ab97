"""S/MIME test material: a CA, the kommune's certificates (old and new), a foreign one, and mails sealed by openssl."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.gateway import passed

PASSPHRASE = "rollover-2026 æøå"  # the new key's passphrase (the old key is stored unencrypted)
PASSPHRASE_ENV = "LAE_TEST_SMIME_PASS"


@dataclass(frozen=True)
class Identity:
    name: str
    cert_file: Path
    key_file: Path
    serial: int


@dataclass(frozen=True)
class Material:
    folder: Path
    ca_file: Path
    kommune_old: Identity  # key unencrypted
    kommune_new: Identity  # key encrypted with PASSPHRASE
    foreign: Identity
    region: Identity  # the sender's signing certificate, issued by the CA

    def config(self, folder: Path, *, keys: tuple[Identity, ...] | None = None, anchors: bool = True) -> str:
        """The [smime] section for an installation in `folder`; the files are copied there (keys owner-only)."""
        entries = []
        for identity in keys if keys is not None else (self.kommune_old, self.kommune_new):
            cert, key = copy_private(identity.cert_file, folder), copy_private(identity.key_file, folder)
            passphrase = f', passphrase_env = "{PASSPHRASE_ENV}"' if identity is self.kommune_new else ""
            entries.append(f'{{ cert = "{cert.name}", key = "{key.name}"{passphrase} }}')
        anchor = f'trust_anchors = ["{copy_private(self.ca_file, folder).name}"]\n' if anchors else ""
        return f"[smime]\nkeys = [{', '.join(entries)}]\n{anchor}"


def copy_private(source: Path, folder: Path) -> Path:
    target = folder / source.name
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return target


_SERIALS = itertools.count(0x5E1000)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(folder: Path, common: str, issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None,
           passphrase: str | None = None, ca: bool = False) -> tuple[Identity, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (_name(common), key)
    serial = next(_SERIALS)  # not random: a random serial, printed in hex, can hold ten digits a CPR scanner flags
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))
    stem = common.lower().replace(" ", "-")
    cert_file, key_file = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    key_file.chmod(0o600)
    return Identity(common, cert_file, key_file, serial), key


@functools.cache
def material() -> Material:
    """Made once per test session, in a temporary folder of its own."""
    folder = Path(tempfile.mkdtemp(prefix="lae-smime-"))
    ca, ca_key = _issue(folder, "Test CA", None, ca=True)
    ca_name = _name("Test CA")
    old, _ = _issue(folder, "Kommune 2025", (ca_name, ca_key))
    new, _ = _issue(folder, "Kommune 2026", (ca_name, ca_key), passphrase=PASSPHRASE)
    foreign, _ = _issue(folder, "Another Kommune", (ca_name, ca_key))
    region, _ = _issue(folder, "Region Signer", (ca_name, ca_key))
    return Material(folder, ca.cert_file, old, new, foreign, region)


def _openssl(*args: str, data: bytes) -> bytes:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def encrypt(entity: bytes, *recipients: Identity, cipher: str = "-aes256") -> bytes:
    """`entity` enveloped to the recipients by `openssl cms -encrypt`: the S/MIME part with its MIME headers.
    cipher "" leaves openssl smime's default (3DES), which the robot does not decrypt."""
    if cipher:
        return _openssl("cms", "-encrypt", "-binary", cipher, *(str(r.cert_file) for r in recipients), data=entity)
    return _openssl("smime", "-encrypt", "-binary", *(str(r.cert_file) for r in recipients), data=entity)


def sign(entity: bytes, signer: Identity, *, detached: bool = False) -> bytes:
    """`entity` as opaque signed-data (smime-type=signed-data), signed by `signer` with its certificate included;
    `detached`: as multipart/signed, the entity beside the signature."""
    return _openssl("cms", "-sign", *(() if detached else ("-nodetach",)), "-binary", "-md", "sha256", "-signer",
                    str(signer.cert_file), "-inkey", str(signer.key_file), data=entity)


def certificate_entity(pdf: bytes, body: str = "Hermed attest.") -> bytes:
    """The MIME entity a secure mail seals: a text part and the certificate PDF."""
    msg = EmailMessage(policy=policy.SMTP)
    msg.set_content(body)
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="attest.pdf")
    del msg["MIME-Version"]
    return msg.as_bytes()


def sealed_mail(smime_part: bytes, sender: str, subject: str, tag: str) -> bytes:
    """The whole mail: the sender's headers (gateway-passed) above openssl's S/MIME part and its headers."""
    domain = sender.rsplit("@", 1)[1].strip(">")
    headers = (f"Authentication-Results: {passed(domain)}\r\nFrom: {sender}\r\nTo: Jobcenter <jobcenter@kommune.example>"
               f"\r\nSubject: {subject}\r\nDate: Mon, 03 Feb 2025 09:15:00 +0100\r\nMessage-ID: <{tag}@rn.dk>\r\n")
    return headers.encode() + smime_part.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
