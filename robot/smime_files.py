"""Reads the S/MIME keys and trust anchors the `[smime]` section names, with the cryptography library."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from robot.config_error import ConfigError
from robot.model import SmimeKey, SmimeKeys
from robot.settings import Settings

_KEY_FIELDS = frozenset({"cert", "key", "passphrase_env"})


def read_smime_files(settings: Settings, env: Mapping[str, str]) -> SmimeKeys:
    """Each certificate and its owner-only key opened with its passphrase, and the anchors (see smime_keys)."""
    file, base = settings.source, settings.base_dir
    keys = tuple(_key(entry, f"smime.keys[{index}]", file, base, env)
                 for index, entry in enumerate(settings.smime.keys))
    anchors: list[bytes] = []
    for index, name in enumerate(settings.smime.trust_anchors):
        anchors.extend(_certificates(base / name, f"smime.trust_anchors[{index}]", file))
    return SmimeKeys(keys, tuple(anchors))


def _key(entry: dict[str, Any], prefix: str, file: str, base: Path, env: Mapping[str, str]) -> SmimeKey:
    if "passphrase" in entry:  # a secret written into the file: say where it belongs
        raise ConfigError(f"{prefix}.passphrase", "no passphrase in the configuration file: use passphrase_env", file)
    unknown = sorted(set(entry) - _KEY_FIELDS)
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]}", f"no such setting (known: {', '.join(sorted(_KEY_FIELDS))})",
                          file)
    cert_path, key_path = _path(entry, "cert", prefix, file, base), _path(entry, "key", prefix, file, base)
    certificate = x509.load_der_x509_certificate(_certificates(cert_path, f"{prefix}.cert", file)[0])
    private_key = _private_key(key_path, _passphrase(entry, prefix, file, env), prefix, file)
    if private_key.public_key().public_numbers() != _rsa_public(certificate, prefix, file).public_numbers():
        raise ConfigError(f"{prefix}.key", f"the private key of the certificate {cert_path}, but {key_path} holds "
                                           f"another key", file)
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    label = f"{certificate.subject.rfc4514_string()}, serial {certificate.serial_number:#x}"
    return SmimeKey(certificate.public_bytes(serialization.Encoding.DER), der, label)


def _path(entry: dict[str, Any], name: str, prefix: str, file: str, base: Path) -> Path:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{prefix}.{name}", f"a path as a string, got {value!r}", file)
    return base / value


def _passphrase(entry: dict[str, Any], prefix: str, file: str, env: Mapping[str, str]) -> bytes | None:
    name = entry.get("passphrase_env")
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{prefix}.passphrase_env", f"an environment variable's name, got {name!r}", file)
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"{prefix}.passphrase_env", f"the environment variable {name} to be set (the key's "
                                                      f"passphrase)", file)
    return value.encode("utf-8")


def _read(path: Path, key: str, file: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(key, f"a readable file, got {path} ({error.strerror})", file) from None


def _certificates(path: Path, key: str, file: str) -> list[bytes]:
    """The DER of every certificate in a PEM file (or the one of a DER file); at least one."""
    data = _read(path, key, file)
    try:
        certificates = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                        else [x509.load_der_x509_certificate(data)])
    except ValueError:
        raise ConfigError(key, f"an X.509 certificate (PEM or DER), got {path}", file) from None
    return [certificate.public_bytes(serialization.Encoding.DER) for certificate in certificates]


def _private_key(path: Path, passphrase: bytes | None, prefix: str, file: str) -> rsa.RSAPrivateKey:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as error:
        raise ConfigError(f"{prefix}.key", f"a readable file, got {path} ({error.strerror})", file) from None
    if mode & 0o077:
        raise ConfigError(f"{prefix}.key", f"a key file only its owner can read (chmod 600), got mode {mode:03o} on "
                                           f"{path}", file)
    data = _read(path, f"{prefix}.key", file)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        key = loader(data, passphrase)
    except TypeError:  # encrypted without a passphrase given, or a passphrase given for a plain key
        wanted = ("passphrase_env for the encrypted key" if passphrase is None
                  else "no passphrase_env: it is not encrypted,")
        raise ConfigError(f"{prefix}.passphrase_env", f"{wanted} {path}", file) from None
    except ValueError:  # a wrong passphrase, or no private key at all
        raise ConfigError(f"{prefix}.key", f"a private key that opens with its passphrase, got {path} (wrong "
                                           f"passphrase in passphrase_env, or not a PEM/DER private key)",
                          file) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{prefix}.key", f"an RSA private key (S/MIME decryption supports RSA only), got "
                                           f"{type(key).__name__.lstrip('_')} in {path}", file)
    return key


def _rsa_public(certificate: x509.Certificate, prefix: str, file: str) -> rsa.RSAPublicKey:
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ConfigError(f"{prefix}.cert", "an RSA certificate (S/MIME decryption supports RSA only)", file)
    return public
