"""Files holding personal data are owner-only (or owner + files.group) whatever the umask; wider ones are reported."""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from robot.archive.folder import FolderArchive
from robot.config_error import ConfigError
from robot.ledger.sqlite import SqliteLedger
from robot.notify.message import Notice
from robot.notify.outbox import OutboxFolderTransport
from robot.private_files import FileModes, audit
from robot.setting_tables import file_modes, load_settings
from tests.unit.test_archive_folder import PDF, REGISTER, case, metadata

RAW = b"From: psyk@rn.dk\r\nTo: lae-robot@localhost\r\nSubject: attest\r\n\r\nCPR 010190-1017\r\n"


def other_group() -> grp.struct_group:
    """A group on this machine other than the process's own, so a test sees the robot set it."""
    for group in grp.getgrall():
        if group.gr_gid != os.getgid():
            return group
    pytest.skip("this machine has only one group")


@pytest.fixture(autouse=True)
def umask_000() -> Iterator[None]:
    """The widest umask: whatever the robot writes must still come out private."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture(params=["owner-only", "with-group"])
def modes(request: pytest.FixtureRequest) -> FileModes:
    return FileModes() if request.param == "owner-only" else FileModes(other_group().gr_gid)


def assert_private(path: Path, modes: FileModes) -> None:
    status = path.stat()
    expected = modes.dir_mode if stat.S_ISDIR(status.st_mode) else modes.file_mode
    assert stat.S_IMODE(status.st_mode) == expected, f"{path}: {stat.S_IMODE(status.st_mode):04o}"
    if modes.gid is not None:
        assert status.st_gid == modes.gid, path
    assert not stat.S_IMODE(status.st_mode) & 0o007, f"{path} is readable by every local user"


def test_ledger_not_readable_by_other_users(tmp_path: Path, modes: FileModes) -> None:
    path = tmp_path / "var" / "state" / "ledger.sqlite3"
    ledger = SqliteLedger(path, modes)
    try:
        ledger.accept(RAW, source="smtp")  # the raw mail, CPR and all, lives in the ledger (and its WAL)
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        for private in (path, wal, shm, path.parent, path.parent.parent):
            assert_private(private, modes)
    finally:
        ledger.close()


async def test_archive_files_not_readable_by_other_users(tmp_path: Path, modes: FileModes) -> None:
    root, register = tmp_path / "archive", tmp_path / "register.csv"
    root.mkdir()
    register.write_text(REGISTER, encoding="utf-8")
    receipt = await FolderArchive(root, register, modes=modes).file(case(), PDF, metadata())
    pdf = root / receipt.document_ref
    for private in (pdf, pdf.with_suffix(".json"), pdf.parent):
        assert_private(private, modes)


async def test_outbox_files_not_readable_by_other_users(tmp_path: Path, modes: FileModes) -> None:
    folder = tmp_path / "spool" / "outbox"  # not there yet: the robot makes it
    transport = OutboxFolderTransport(folder, "Lægerobotten <lae-robot@kommune.example>", "kommune.example",
                                      clock=lambda: datetime(2024, 3, 1, tzinfo=UTC), modes=modes)
    await transport.send(Notice(key="filed:1", to=("anna@kommune.example",), subject="Attest journaliseret",
                                body="Sag SAG-1"))
    for private in (folder / "filed_3a1.eml", folder, folder.parent):
        assert_private(private, modes)


def test_existing_wider_files_are_reported_not_changed(tmp_path: Path) -> None:
    ledger, outbox, archive = tmp_path / "ledger.sqlite3", tmp_path / "outbox", tmp_path / "archive"
    ledger.write_bytes(b"")
    ledger.chmod(0o644)
    (archive / "SAG-1").mkdir(parents=True)
    (archive / "SAG-1").chmod(0o755)
    (archive / "SAG-1" / "a.pdf").write_bytes(PDF)
    (archive / "SAG-1" / "a.pdf").chmod(0o600)
    outbox.mkdir()
    (outbox / "n.eml").write_bytes(b"x")
    (outbox / "n.eml").chmod(0o640)
    findings = audit(FileModes(), [ledger, tmp_path / "missing-wal"], [outbox, archive])
    assert sorted(findings) == sorted([
        f"file {ledger} has mode 0644, wider than 0600",
        f"folder {archive / 'SAG-1'} has mode 0755, wider than 0700",
        f"file {outbox / 'n.eml'} has mode 0640, wider than 0600",
    ])
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o644  # reported, never chmodded behind the operator's back
    group = other_group()
    os.chown(outbox / "n.eml", -1, group.gr_gid)
    assert audit(FileModes(group.gr_gid), [], [outbox]) == []  # 0640 in the configured group is allowed
    os.chown(outbox / "n.eml", -1, os.getgid())
    assert audit(FileModes(group.gr_gid), [], [outbox]) == [
        f"file {outbox / 'n.eml'} is open to group {os.getgid()}, not the configured files.group"]


def test_audit_reports_at_most_twenty_findings_and_a_count(tmp_path: Path) -> None:
    (tmp_path / "SAG-1").mkdir(mode=0o700)
    for number in range(25):
        (tmp_path / "SAG-1" / f"{number}.pdf").write_bytes(b"x")
        (tmp_path / "SAG-1" / f"{number}.pdf").chmod(0o644)
    findings = audit(FileModes(), [], [tmp_path])
    assert len(findings) == 21 and findings[-1] == "and 5 more"


def test_files_group_must_exist_on_the_machine(tmp_path: Path) -> None:
    config = tmp_path / "robot.toml"
    group = other_group()
    config.write_text(f'[files]\ngroup = "{group.gr_name}"\n', encoding="utf-8")
    assert file_modes(load_settings(config)) == FileModes(group.gr_gid)
    config.write_text('[files]\ngroup = "no-such-group-here"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert str(config) in str(refused.value) and "files.group" in str(refused.value)
    assert "a group that exists on this machine" in str(refused.value)


@pytest.mark.parametrize("value", ["0", "-1", "2000000", "nan"])
def test_archive_free_space_floor_is_range_checked(tmp_path: Path, value: str) -> None:
    config = tmp_path / "robot.toml"
    config.write_text(f"[observe]\narchive_min_free_mb = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="observe.archive_min_free_mb"):
        load_settings(config)
