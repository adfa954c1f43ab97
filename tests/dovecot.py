"""A throwaway Dovecot IMAP server for integration tests: own config, users, maildir and port, run unprivileged."""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DOVECOT = Path("/usr/sbin/dovecot")
HOST = "127.0.0.1"
START_SECONDS = 10.0
STOP_SECONDS = 10.0
STOP_GRACE_SECONDS = 0.5

# Dovecot refuses to run its login and mail processes as root. When the tests run as root, these
# unprivileged users run them (the Debian package creates dovenull and dovecot; nobody always exists);
# when the tests run as an ordinary user, Dovecot runs rootless as that user.
LOGIN_USER, INTERNAL_USER, MAIL_USER = "dovenull", "dovecot", "nobody"


@dataclass(frozen=True)
class Account:
    """One mailbox user of the test server; `secret` is the password (or the accepted XOAUTH2 token)."""

    name: str
    secret: str


@dataclass(frozen=True)
class TlsFiles:
    """The server's certificate and key, and the CA file a client trusts to verify it."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def require_dovecot() -> Path:
    """The dovecot binary; a missing one fails the test under CI (CI is set) and skips it elsewhere."""
    if DOVECOT.is_file() and os.access(DOVECOT, os.X_OK):
        return DOVECOT
    message = f"{DOVECOT} is missing: install the Debian package dovecot-imapd to run the IMAP integration tests"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def ensure_system_user(name: str) -> pwd.struct_passwd:
    """The system user `name`, created (once, as a no-login system account) when it does not exist yet."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd")
    if useradd is None:
        pytest.fail(f"system user {name!r} is missing and useradd is not available to create it", pytrace=False)
    completed = subprocess.run(
        [useradd, "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if completed.returncode not in (0, 9):  # 9: created meanwhile by a parallel run
        pytest.fail(f"useradd {name} failed: {completed.stderr.strip()}", pytrace=False)
    return pwd.getpwnam(name)


def make_tls_files(folder: Path) -> TlsFiles:
    """A private CA and a server certificate it signed for 127.0.0.1 and "localhost"."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LAE test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "server.crt", folder / "server.key", folder / "ca.crt")
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files.key_file.chmod(0o600)
    return files


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_cert_sign=ca,
        crl_sign=ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Dovecot:
    """One Dovecot instance under `root` (config, runtime dir, log, maildirs), listening on 127.0.0.1 only.

    `port` speaks plain IMAP (always on: the tests deliver through it); `tls_port` speaks implicit TLS
    when the server was made with TLS files."""

    root: Path
    accounts: tuple[Account, ...]
    tls: TlsFiles | None = None
    port: int = field(default_factory=free_port)
    tls_port: int | None = None
    capabilities: str | None = None  # imap_capability: what the server announces after login
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.tls is not None and self.tls_port is None:
            self.tls_port = free_port()

    @property
    def host(self) -> str:
        return HOST

    @property
    def conf_file(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    # life cycle

    def prepare(self) -> None:
        """Write the users, the config and the maildir root, owned by the users Dovecot will run as."""
        (self.root / "run").mkdir(exist_ok=True)
        (self.root / "state").mkdir(exist_ok=True)
        mail_root = self.root / "mail"
        mail_root.mkdir(exist_ok=True)
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{account.name}:{{PLAIN}}{account.secret}::::::\n" for account in self.accounts))
        passwd.chmod(0o644)  # read by the auth process, which may run as the internal user
        if os.geteuid() == 0:
            mail_user = ensure_system_user(MAIL_USER)
            ensure_system_user(LOGIN_USER)
            ensure_system_user(INTERNAL_USER)
            os.chown(mail_root, mail_user.pw_uid, mail_user.pw_gid)
        self.conf_file.write_text(self._config_text())

    def start(self) -> None:
        """Start `dovecot -F` and wait until the plain port greets."""
        if self.process is not None:
            raise RuntimeError("Dovecot is already running")
        log = (self.root / "dovecot.stderr").open("ab")
        try:
            self.process = subprocess.Popen(  # its own process group: stop() ends all of its processes
                [str(DOVECOT), "-F", "-c", str(self.conf_file)], stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _greets(self.port) and (self.tls_port is None or _accepts(self.tls_port)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not start on {HOST}:{self.port}:\n{self.diagnostics()}")

    def stop(self) -> None:
        """Stop Dovecot as a service manager would: SIGTERM to all of its processes at once (the master
        alone leaves mail processes serving their clients for 10 s more), SIGKILL to what is left after
        STOP_GRACE_SECONDS (the master sometimes naps a second or two while reaping its children)."""
        process, self.process = self.process, None
        if process is None:
            return
        group = process.pid  # start_new_session: the master leads the group of every process it started
        _signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while _signal_group(group, 0) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        _signal_group(group, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
        deadline = time.monotonic() + STOP_SECONDS
        while (_signal_group(group, 0) or _accepts(self.port)) and time.monotonic() < deadline:
            time.sleep(0.02)

    def diagnostics(self) -> str:
        """The tail of Dovecot's own log and stderr, for failure messages."""
        parts = []
        for path in (self.log_file, self.root / "dovecot.stderr"):
            if path.exists():
                parts.append(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-40:]))
        return "\n".join(parts)

    def _config_text(self) -> str:
        root = self.root
        if os.geteuid() == 0:
            users = (
                f"default_login_user = {LOGIN_USER}\n"
                f"default_internal_user = {INTERNAL_USER}\n"
                f"default_internal_group = {INTERNAL_USER}\n"
                f"mail_uid = {MAIL_USER}\n"
                f"mail_gid = {pwd.getpwnam(MAIL_USER).pw_gid}\n"
                "first_valid_uid = 1\nfirst_valid_gid = 1\n"
            )
            chroot = ""
        else:  # rootless: everything runs as the current user, and nothing can chroot
            me, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
            users = (
                f"default_login_user = {me}\ndefault_internal_user = {me}\ndefault_internal_group = {group}\n"
                "first_valid_uid = 1\nfirst_valid_gid = 1\n"
            )
            chroot = "  chroot =\n"
        capabilities = f"imap_capability = {self.capabilities}\n" if self.capabilities else ""
        ssl_settings = "ssl = no\n"
        tls_listener = "  inet_listener imaps {\n    port = 0\n  }\n"
        if self.tls is not None:
            ssl_settings = (
                f"ssl = yes\nssl_cert = <{self.tls.cert_file}\nssl_key = <{self.tls.key_file}\n"
                "ssl_min_protocol = TLSv1.2\n"
            )
            tls_listener = (
                f"  inet_listener imaps {{\n    address = {HOST}\n    port = {self.tls_port}\n    ssl = yes\n  }}\n"
            )
        return (
            f"instance_name = lae-test-{root.name}\n"
            f"base_dir = {root}/run\nstate_dir = {root}/state\n"
            f"log_path = {self.log_file}\n"
            "protocols = imap\n"
            f"listen = {HOST}\n"
            f"{ssl_settings}"
            "disable_plaintext_auth = no\n"
            # xoauth2: Dovecot 2.3 checks the bearer token like a password against the passdb below
            "auth_mechanisms = plain login xoauth2\n"
            # no growing penalty after failed logins from the tests (it would reach 15 s)
            f"login_trusted_networks = {HOST}/32\nauth_failure_delay = 0\n"
            f"{users}"
            f"mail_location = maildir:{root}/mail/%u\n"
            "mailbox_idle_check_interval = 1 secs\n"
            f"{capabilities}"
            "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {root}/passwd\n}}\n"
            f"userdb {{\n  driver = static\n  args = home={root}/mail/%u allow_all_users=yes\n}}\n"
            "service imap-login {\n"
            f"{chroot}"
            f"  inet_listener imap {{\n    address = {HOST}\n    port = {self.port}\n  }}\n"
            f"{tls_listener}"
            "}\n"
            f"service anvil {{\n{chroot}}}\n"
        )

    # a plain client for the tests (blocking: run it with asyncio.to_thread from async tests)

    @contextmanager
    def client(self, account: Account | None = None) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib client on the plain port."""
        account = account or self.accounts[0]
        imap = imaplib.IMAP4(HOST, self.port, timeout=30)
        try:
            imap.login(account.name, account.secret)
            yield imap
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                imap.shutdown()

    def append(self, raw: bytes, folder: str = "INBOX", account: Account | None = None) -> int:
        """APPEND one mail; return its UID (from APPENDUID)."""
        with self.client(account) as imap:
            status, data = imap.append(_q(folder), None, None, raw)
        if status != "OK":
            raise RuntimeError(f"APPEND to {folder} failed: {data!r}")
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        if match is None:
            raise RuntimeError(f"no APPENDUID in {data!r}")
        return int(match.group(1))

    def messages(self, folder: str = "INBOX", account: Account | None = None) -> list[bytes]:
        """The raw bytes of every mail in `folder` (mUTF-7 name), in UID order, without setting \\Seen."""
        with self.client(account) as imap:
            status, data = imap.select(_q(folder), readonly=True)
            if status != "OK":
                raise RuntimeError(f"SELECT {folder} failed: {data!r}")
            status, data = imap.uid("SEARCH", "ALL")
            uids = [int(uid) for uid in (data[0] or b"").split()]
            found: list[bytes] = []
            for uid in uids:
                status, fetched = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
                found.extend(part[1] for part in fetched if isinstance(part, tuple))
        return found

    def flags(self, folder: str = "INBOX", account: Account | None = None) -> list[str]:
        """The FLAGS of every mail in `folder`, in UID order."""
        with self.client(account) as imap:
            imap.select(_q(folder), readonly=True)
            _status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        return [part.decode() for part in data if isinstance(part, bytes)]

    def folders(self, account: Account | None = None) -> set[str]:
        """Every mailbox name (as the server spells it, mUTF-7)."""
        with self.client(account) as imap:
            _status, data = imap.list()
        names = set()
        for line in data:
            if not isinstance(line, bytes):
                continue  # a name sent as a literal: not used by these tests
            match = re.match(rb'\([^)]*\) (?:NIL|"(?:\\.|[^"\\])*") (.*)$', line)
            if match:
                names.add(match.group(1).decode().strip('"'))
        return names

    def uidvalidity(self, folder: str = "INBOX", account: Account | None = None) -> int:
        with self.client(account) as imap:
            status, data = imap.status(_q(folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        if status != "OK" or match is None:
            raise RuntimeError(f"STATUS {folder} failed: {data!r}")
        return int(match.group(1))

    def create(self, folder: str, account: Account | None = None) -> None:
        with self.client(account) as imap:
            status, data = imap.create(_q(folder))
        if status != "OK":
            raise RuntimeError(f"CREATE {folder} failed: {data!r}")

    def delete(self, folder: str, account: Account | None = None) -> None:
        with self.client(account) as imap:
            status, data = imap.delete(_q(folder))
        if status != "OK":
            raise RuntimeError(f"DELETE {folder} failed: {data!r}")


def _q(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _signal_group(group: int, signum: int) -> bool:
    """Signal the process group `group` (0: only probe it); False when no process is left in it."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


def _greets(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as conn:
            return conn.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def running_dovecot(
    accounts: tuple[Account, ...], *, tls: bool = False, capabilities: str | None = None
) -> Iterator[Dovecot]:
    """A started Dovecot in a fresh directory (removed afterwards); its log is shown if it fails to start."""
    require_dovecot()
    # not pytest's tmp_path: its 0700 parents would lock out Dovecot's unprivileged processes
    root = Path(tempfile.mkdtemp(prefix="lae-dovecot-"))
    root.chmod(0o755)
    try:
        files = make_tls_files(root) if tls else None
        server = Dovecot(root=root, accounts=accounts, tls=files, capabilities=capabilities)
        server.prepare()
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def tls_client_context(files: TlsFiles) -> ssl.SSLContext:
    """A client context trusting only the test CA."""
    return ssl.create_default_context(cafile=str(files.ca_file))
