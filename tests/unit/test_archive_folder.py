"""FolderArchive on real temp folders: layout, sidecar, atomic and idempotent filing, the register and its reloads."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import resource
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import structlog

from robot.archive.folder import FolderArchive, RegisterError
from robot.archive.registry import build_archive
from robot.config_error import ConfigError
from robot.model import ArchiveRejected, ArchiveUnavailable, Case, FilingMetadata

FULL_CPR = re.compile(r"\d{6}[ \-]?\d{4}")
CITIZEN = "0101901017"
OTHER = "0202802028"
HEADER = "cpr,case_id,case_type,status,caseworker_email,team,title\n"
REGISTER = (
    HEADER
    + f"{CITIZEN[:6]}-{CITIZEN[6:]},SAG-1,sygedagpenge,open,anna@kommune.dk,Team Syd,27.12.08-G01-1234-22\n"
    + f"{CITIZEN},SAG-2,jobafklaring,closed,,,\n"
    + f"{OTHER},SAG-9,ressourceforløb,open,bo@kommune.dk,Team Nord,\n"
)
RECEIVED = datetime(2024, 2, 29, 23, 30, tzinfo=timezone.utc)  # 1 March 00:30 in Copenhagen
PDF = b"%PDF-1.7\n" + b"certificate body " * 200 + b"\n%%EOF\n"


def metadata(document: bytes = PDF, received: datetime = RECEIVED, form: str = "LÆ 125") -> FilingMetadata:
    return FilingMetadata(
        received=received,
        sender="psyk@rn.dk",
        message_id="<m1@rn.dk>",
        form=form,
        form_title="Statusattest",
        document_sha256=hashlib.sha256(document).hexdigest(),
        attachment_name="../../etc/passwd attest.pdf",
        rule="rn-psykiatri",
        evidence={"cpr": {"page": 1, "line": 3}, "blanket": "LÆ 125"},
        robot_version="0.1.0",
    )


def case(case_id: str = "SAG-1") -> Case:
    return Case(case_id=case_id, case_type="sygedagpenge", status="open")


def assert_no_cpr(text: str) -> None:
    assert not FULL_CPR.search(text), text


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(REGISTER, encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "archive"
    path.mkdir()
    return path


@pytest.fixture
def archive(root: Path, register: Path) -> FolderArchive:
    return FolderArchive(root, register)


# ---------------------------------------------------------------- filing: layout and sidecar


async def test_files_pdf_and_sidecar_under_case_folder(archive: FolderArchive, root: Path) -> None:
    receipt = await archive.file(case(), PDF, metadata())
    sha = hashlib.sha256(PDF).hexdigest()
    stem = f"2024-03-01_LAE125_{sha[:8]}"
    assert files_in(root) == ["SAG-1"]
    assert files_in(root / "SAG-1") == [f"{stem}.json", f"{stem}.pdf"]
    assert (root / "SAG-1" / f"{stem}.pdf").read_bytes() == PDF
    assert receipt.case_id == "SAG-1" and receipt.document_ref == f"SAG-1/{stem}.pdf"
    assert receipt.sha256 == sha and not receipt.already_filed
    sidecar = json.loads((root / "SAG-1" / f"{stem}.json").read_text(encoding="utf-8"))
    assert sidecar["received"] == RECEIVED.isoformat()
    assert sidecar["sender"] == "psyk@rn.dk" and sidecar["message_id"] == "<m1@rn.dk>"
    assert sidecar["form"] == "LÆ 125" and sidecar["form_title"] == "Statusattest"
    assert sidecar["document_sha256"] == sha
    assert sidecar["attachment_name"] == "../../etc/passwd attest.pdf"  # the mail's name lives here only
    assert sidecar["rule"] == "rn-psykiatri"
    assert sidecar["evidence"] == {"cpr": {"page": 1, "line": 3}, "blanket": "LÆ 125"}
    assert sidecar["robot_version"] == "0.1.0"
    assert datetime.fromisoformat(sidecar["filed_at"]).tzinfo is not None
    assert (root / "SAG-1" / f"{stem}.pdf").stat().st_mode & 0o777 == 0o600  # owner-only without files.group


@pytest.mark.parametrize(("form", "slug"), [("LÆ 125", "LAE125"), ("LAE265", "LAE265"), ("Læ-285", "LAE285")])
async def test_form_code_becomes_ascii_slug(archive: FolderArchive, form: str, slug: str) -> None:
    receipt = await archive.file(case(), PDF, metadata(form=form))
    assert f"_{slug}_" in receipt.document_ref


@pytest.mark.parametrize("form", ["Statusattest", "LÆ 12", "LÆ 125/../x", ""])
async def test_unknown_form_is_rejected_and_nothing_written(archive: FolderArchive, root: Path, form: str) -> None:
    with pytest.raises(ArchiveRejected):
        await archive.file(case(), PDF, metadata(form=form))
    assert files_in(root) == []


async def test_hash_that_does_not_match_the_bytes_is_rejected(archive: FolderArchive, root: Path) -> None:
    with pytest.raises(ArchiveRejected, match="does not match"):
        await archive.file(case(), PDF + b"tampered", metadata())
    assert files_in(root) == []


@pytest.mark.parametrize("case_id", ["../outside", "a/b", ".hidden", "..", "", "x" * 101, "a b", "SAG\n1", "c:\\x"])
async def test_hostile_case_id_is_rejected_at_filing(archive: FolderArchive, tmp_path: Path, case_id: str) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ArchiveRejected) as raised:
        await archive.file(case(case_id), PDF, metadata())
    assert "folder name" in str(raised.value)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# ---------------------------------------------------------------- idempotency


async def test_same_document_same_day_is_already_filed_and_nothing_written(archive: FolderArchive, root: Path) -> None:
    first = await archive.file(case(), PDF, metadata())
    folder = root / "SAG-1"
    before = {name: (folder / name).stat().st_mtime_ns for name in files_in(folder)}
    second = await archive.file(case(), PDF, metadata())
    assert second.already_filed and second.document_ref == first.document_ref and second.sha256 == first.sha256
    assert {name: (folder / name).stat().st_mtime_ns for name in files_in(folder)} == before


async def test_same_document_another_day_and_form_label_is_found(archive: FolderArchive, root: Path) -> None:
    first = await archive.file(case(), PDF, metadata())
    later = await archive.file(case(), PDF, metadata(received=RECEIVED + timedelta(days=9), form="LÆ 265"))
    assert later.already_filed and later.document_ref == first.document_ref
    assert len(files_in(root / "SAG-1")) == 2


async def test_two_documents_in_one_case_and_one_document_in_two_cases(archive: FolderArchive, root: Path) -> None:
    other = PDF.replace(b"certificate", b"second-cert")
    a = await archive.file(case(), PDF, metadata())
    b = await archive.file(case(), other, metadata(other))
    c = await archive.file(case("SAG-2"), PDF, metadata())
    assert not (a.already_filed or b.already_filed or c.already_filed)
    assert len(files_in(root / "SAG-1")) == 4 and len(files_in(root / "SAG-2")) == 2
    assert a.document_ref != b.document_ref


async def test_other_document_under_same_name_is_never_overwritten(archive: FolderArchive, root: Path) -> None:
    sha = hashlib.sha256(PDF).hexdigest()
    stem = f"2024-03-01_LAE125_{sha[:8]}"
    folder = root / "SAG-1"
    folder.mkdir()
    foreign = {"document_sha256": sha[:8] + "0" * 56}  # same first 8 hex, another document
    (folder / f"{stem}.json").write_text(json.dumps(foreign), encoding="utf-8")
    (folder / f"{stem}.pdf").write_bytes(b"%PDF other")
    with pytest.raises(ArchiveRejected, match="another document"):
        await archive.file(case(), PDF, metadata())
    assert (folder / f"{stem}.pdf").read_bytes() == b"%PDF other"


async def test_damaged_pdf_beside_its_sidecar_is_rejected(archive: FolderArchive, root: Path) -> None:
    receipt = await archive.file(case(), PDF, metadata())
    (root / receipt.document_ref).write_bytes(PDF[:100])
    with pytest.raises(ArchiveRejected, match="does not match its sidecar"):
        await archive.file(case(), PDF, metadata())


# ---------------------------------------------------------------- crashes


def crash_leftovers(folder: Path, stem: str, *, sidecar: bool, pdf_temp: bool, sidecar_temp: bool) -> None:
    """What a process killed part-way through _write_pair leaves behind."""
    folder.mkdir(exist_ok=True)
    if pdf_temp:
        (folder / f".{stem}.pdf.k1l2d3.tmp").write_bytes(PDF[:50])  # killed mid-write
    if sidecar_temp:
        (folder / f".{stem}.json.k1l2d4.tmp").write_bytes(b'{"rece')
    if sidecar:
        record = {"document_sha256": hashlib.sha256(PDF).hexdigest(), "filed_at": "2024-03-01T00:31:00+00:00"}
        (folder / f"{stem}.json").write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize("sidecar_temp", [False, True])
async def test_crash_before_any_rename_refiles_completely(
    archive: FolderArchive, root: Path, sidecar_temp: bool
) -> None:
    stem = f"2024-03-01_LAE125_{hashlib.sha256(PDF).hexdigest()[:8]}"
    crash_leftovers(root / "SAG-1", stem, sidecar=False, pdf_temp=True, sidecar_temp=sidecar_temp)
    receipt = await archive.file(case(), PDF, metadata())
    assert not receipt.already_filed
    assert files_in(root / "SAG-1") == [f"{stem}.json", f"{stem}.pdf"]  # temp files cleaned up
    assert (root / receipt.document_ref).read_bytes() == PDF


async def test_crash_between_renames_leaves_sidecar_and_refile_adds_pdf(archive: FolderArchive, root: Path) -> None:
    stem = f"2024-02-20_LAE125_{hashlib.sha256(PDF).hexdigest()[:8]}"  # the first attempt was days ago
    crash_leftovers(root / "SAG-1", stem, sidecar=True, pdf_temp=True, sidecar_temp=False)
    receipt = await archive.file(case(), PDF, metadata())
    assert not receipt.already_filed  # the PDF was not visible before: this is the real filing
    assert receipt.document_ref == f"SAG-1/{stem}.pdf"
    assert files_in(root / "SAG-1") == [f"{stem}.json", f"{stem}.pdf"]
    assert (root / receipt.document_ref).read_bytes() == PDF
    kept = json.loads((root / "SAG-1" / f"{stem}.json").read_text(encoding="utf-8"))
    assert kept["filed_at"] == "2024-03-01T00:31:00+00:00"  # the first record is kept, not overwritten


async def test_pdf_without_sidecar_gets_its_sidecar(archive: FolderArchive, root: Path) -> None:
    first = await archive.file(case(), PDF, metadata())
    (root / first.document_ref).with_suffix(".json").unlink()
    again = await archive.file(case(), PDF, metadata())
    assert again.already_filed and again.document_ref == first.document_ref
    sidecar = json.loads((root / first.document_ref).with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["document_sha256"] == hashlib.sha256(PDF).hexdigest()


# ---------------------------------------------------------------- disk errors


async def test_file_size_limit_like_a_full_disk_is_unavailable(archive: FolderArchive, root: Path) -> None:
    big = PDF * 20  # ~70 KB; the limit below lets no file grow past 16 KiB, even for root
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, old_limit[1]))
    try:
        with pytest.raises(ArchiveUnavailable) as raised:
            await archive.file(case(), big, metadata(big))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert str(root / "SAG-1") in str(raised.value) and "EFBIG" in str(raised.value)
    assert_no_cpr(str(raised.value))
    assert files_in(root / "SAG-1") == []  # no half file, no temp file


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """chmod 555; as root that does not stop writes, so also try the immutable flag; skip when neither works."""
    folder.chmod(0o555)
    immutable = False
    try:
        if os.access(folder, os.W_OK):
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
            if not immutable:
                pytest.skip("cannot make a folder read-only for this user")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


async def test_read_only_case_folder_is_unavailable_naming_the_folder(archive: FolderArchive, root: Path) -> None:
    folder = root / "SAG-1"
    folder.mkdir()
    with read_only(folder):
        with pytest.raises(ArchiveUnavailable) as raised:
            await archive.file(case(), PDF, metadata())
    assert f"cannot write in {folder}" in str(raised.value)
    assert_no_cpr(str(raised.value))


async def test_missing_root_is_unavailable_and_never_created(register: Path, tmp_path: Path) -> None:
    archive = FolderArchive(tmp_path / "unmounted", register)
    with pytest.raises(ArchiveUnavailable):
        await archive.file(case(), PDF, metadata())
    assert not (tmp_path / "unmounted").exists()
    health = await archive.health()
    assert not health.ok and "unmounted" in health.detail


# ---------------------------------------------------------------- the register


async def test_lookup_returns_all_cases_of_the_citizen(archive: FolderArchive) -> None:
    cases = await archive.lookup(CITIZEN)
    assert [c.case_id for c in cases] == ["SAG-1", "SAG-2"]
    first, second = cases
    assert first.is_open and first.caseworker_email == "anna@kommune.dk" and first.team == "Team Syd"
    assert first.title == "27.12.08-G01-1234-22" and first.case_type == "sygedagpenge"
    assert not second.is_open and second.caseworker_email is None and second.team is None and second.title is None
    assert await archive.lookup(f"{CITIZEN[:6]}-{CITIZEN[6:]}") == cases
    assert await archive.lookup("1111111118") == []


async def test_a_name_column_gives_the_citizens_name_and_turns_the_name_check_on(
    archive: FolderArchive, register: Path, root: Path
) -> None:
    assert archive.name_source() is None  # no name column: the check is off
    rows = REGISTER.splitlines()
    named_rows = [rows[0] + ",name", rows[1] + ",Anders Jensen", *(row + "," for row in rows[2:])]
    register.write_text("\n".join(named_rows) + "\n", encoding="utf-8")
    named = FolderArchive(root, register)
    (first, second) = await named.lookup(CITIZEN)
    assert (first.citizen_name, second.citizen_name) == ("Anders Jensen", None)
    assert named.name_source() == "the case register's name column (1 of 3 cases named)"
    assert "1 with the citizen's name" in (await named.health()).detail


async def test_the_sidecar_masks_a_cpr_in_the_mails_names(archive: FolderArchive, root: Path) -> None:
    named = replace(metadata(), attachment_name=f"LÆ125_{CITIZEN[:6]} {CITIZEN[6:]}.pdf",
                    message_id=f"<{CITIZEN}@rn.dk>")
    receipt = await archive.file(case(), PDF, named)
    sidecar = (root / receipt.document_ref).with_suffix(".json").read_text(encoding="utf-8")
    assert f"LÆ125_{CITIZEN[:6]}-xxxx.pdf" in sidecar and f"<{CITIZEN[:6]}-xxxx@rn.dk>" in sidecar
    assert CITIZEN[6:] not in sidecar


async def test_lookup_with_no_cpr_is_rejected_without_echoing_it(archive: FolderArchive) -> None:
    with pytest.raises(ArchiveRejected) as raised:
        await archive.lookup(CITIZEN + "9")
    assert_no_cpr(str(raised.value))


def test_semicolon_register_with_bom_and_open_values(tmp_path: Path, root: Path) -> None:
    path = tmp_path / "export.csv"
    header = "\ufeffCPR;Case_ID;case_type;status;caseworker_email;team\n"
    path.write_bytes(header.encode() + f"{CITIZEN};A1;x;Aktiv;;\n".encode())
    archive = FolderArchive(root, path, open_values=("Aktiv",))
    assert archive._watch.current().cases[CITIZEN][0].status == "open"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("cpr,case_id,case_type,status,team\n", 1, "caseworker_email"),
        (HEADER + f"{CITIZEN},../../etc,t,open,,,\n", 2, "folder name"),
        (HEADER + f"{CITIZEN},SAG-1,t,open,,,\n{OTHER},.git,t,open,,,\n", 3, "folder name"),
        (HEADER + f"{CITIZEN},a/b,t,open,,,\n", 2, "folder name"),
        (HEADER + f"{CITIZEN},{'x' * 101},t,open,,,\n", 2, "folder name"),
        (HEADER + f"{CITIZEN},SAG 1,t,open,,,\n", 2, "folder name"),
        (HEADER + f"{CITIZEN[:9]},SAG-1,t,open,,,\n", 2, "a CPR"),  # leading zero lost in a spreadsheet
        (HEADER + f"{CITIZEN}x,SAG-1,t,open,,,\n", 2, "a CPR"),
        (HEADER + f"{CITIZEN},SAG-1,t,open,,\n", 2, "7 fields"),
        (HEADER + f"{CITIZEN},SAG-1,t,,,,\n", 2, "column status"),
        (HEADER + f"{CITIZEN},SAG-1,t,open,,,\n{OTHER},sag-1,t,open,,,\n", 3, "already on line 2"),
        (HEADER + f'{CITIZEN},"SAG-1,t,open,,,\n', 2, "CSV"),
    ],
)
def test_bad_register_names_file_line_and_expectation(
    tmp_path: Path, root: Path, text: str, line: int, expected: str
) -> None:
    path = tmp_path / "register.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegisterError) as raised:
        FolderArchive(root, path)
    error = raised.value
    assert error.file == path and error.line == line and expected in error.expected, str(error)
    assert str(path) in str(error) and f":{line}:" in str(error)
    assert_no_cpr(str(error))


def test_register_that_is_not_utf8_is_an_error(tmp_path: Path, root: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(HEADER.encode() + f"{CITIZEN},SAG-1,ressourceforl\xf8b,open,,,\n".encode("latin-1"))
    with pytest.raises(RegisterError, match="UTF-8") as raised:
        FolderArchive(root, path)
    assert raised.value.line == 2


def rewrite(path: Path, text: str) -> None:
    """Replace the register as an export job would, with a visibly newer modification time."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


async def test_register_is_reloaded_when_the_file_changes(archive: FolderArchive, register: Path) -> None:
    assert [c.case_id for c in await archive.lookup(OTHER)] == ["SAG-9"]
    rewrite(register, REGISTER + f"{OTHER},SAG-10,sygedagpenge,open,,,\n")
    assert [c.case_id for c in await archive.lookup(OTHER)] == ["SAG-9", "SAG-10"]


async def test_bad_reload_keeps_old_register_and_health_says_why(archive: FolderArchive, register: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        rewrite(register, REGISTER + f"{OTHER},../escape,t,open,,,\n")
        assert [c.case_id for c in await archive.lookup(CITIZEN)] == ["SAG-1", "SAG-2"]  # old register in force
        assert [c.case_id for c in await archive.lookup(OTHER)] == ["SAG-9"]
        health = await archive.health()
    problem = health.register.problem if health.register else None
    assert problem and f"{register}:5" in problem and "folder name" in problem and problem in health.detail
    assert_no_cpr(health.detail)
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1 and "register" in warnings[0]["event"]  # logged once, not on every lookup
    assert_no_cpr(json.dumps(logs, default=str))
    rewrite(register, REGISTER + f"{OTHER},SAG-11,t,open,,,\n")
    recovered = await archive.health()
    assert recovered.ok and recovered.register is not None and recovered.register.problem is None
    assert [c.case_id for c in await archive.lookup(OTHER)] == ["SAG-9", "SAG-11"]


async def test_bad_cpr_in_reloaded_register_is_reported_masked(archive: FolderArchive, register: Path) -> None:
    with structlog.testing.capture_logs() as logs:
        rewrite(register, REGISTER + f"{OTHER}-1,SAG-12,t,open,,,\n")
        await archive.lookup(OTHER)
    health = await archive.health()
    assert health.register is not None and health.register.problem and "a CPR" in health.detail
    assert_no_cpr(health.detail + json.dumps(logs, default=str))


async def test_deleted_register_keeps_old_cases_and_health_says_so(archive: FolderArchive, register: Path) -> None:
    register.unlink()
    assert [c.case_id for c in await archive.lookup(CITIZEN)] == ["SAG-1", "SAG-2"]
    health = await archive.health()
    assert health.register is not None and health.register.problem and "cannot be read" in health.detail


async def test_health_reports_root_and_register(archive: FolderArchive, root: Path) -> None:
    health = await archive.health()
    assert health.ok and str(root) in health.detail and "3 cases of 2 citizens" in health.detail
    assert files_in(root) == []  # the write probe leaves nothing


# ---------------------------------------------------------------- the registry


async def test_registry_builds_folder_archive_with_relative_paths(tmp_path: Path, register: Path, root: Path) -> None:
    archive = build_archive("folder", {"root": "archive", "register": "register.csv"}, tmp_path)
    assert archive.name == "folder"
    assert [c.case_id for c in await archive.lookup(CITIZEN)] == ["SAG-1", "SAG-2"]
    await archive.close()


@pytest.mark.parametrize(
    ("name", "table", "key"),
    [
        ("folder", {"root": "archive"}, "register"),
        ("folder", {"root": "archive", "register": "nowhere/missing.csv"}, "register"),  # the file may come later
        ("folder", {"root": "archive", "register": "register.csv", "rooot": "x"}, "rooot"),
        ("folder", {"root": 3, "register": "register.csv"}, "root"),
        ("folder", {"root": "nowhere", "register": "register.csv"}, "root"),
        ("folder", {"root": "archive", "register": "register.csv", "open_values": "open"}, "open_values"),
        ("ftp", {}, "archive"),
    ],
)
def test_registry_config_errors_name_the_key(
    tmp_path: Path, register: Path, root: Path, name: str, table: dict[str, object], key: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        build_archive(name, table, tmp_path)
    assert raised.value.key == key and raised.value.expected


# ---------------------------------------------------------------- no register yet (a container before the first export)


@pytest.mark.parametrize("content", [None, "", HEADER], ids=["missing", "empty", "header-only"])
async def test_no_register_at_start_waits_for_one(tmp_path: Path, root: Path, content: str | None) -> None:
    path = tmp_path / "register.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    archive = FolderArchive(root, path)  # starts: no RegisterError for a register still to come
    with pytest.raises(ArchiveUnavailable, match="no case register in force"):  # the mail waits, never "no case"
        await archive.lookup(CITIZEN)
    health = await archive.health()
    assert health.register is not None and health.register.rows == 0 and health.register.read_at is None
    assert health.register.problem is not None and str(path) in health.register.problem
    assert archive.name_source() is None
    if path.exists():
        rewrite(path, REGISTER)
    else:
        path.write_text(REGISTER, encoding="utf-8")
    assert [c.case_id for c in await archive.lookup(CITIZEN)] == ["SAG-1", "SAG-2"]
    health = await archive.health()
    assert health.ok and health.register is not None and health.register.problem is None
    assert health.register.rows == 3 and health.register.read_at is not None


async def test_reload_to_a_register_without_cases_is_refused(archive: FolderArchive, register: Path) -> None:
    rewrite(register, HEADER)  # an export job that wrote only the header
    assert [c.case_id for c in await archive.lookup(CITIZEN)] == ["SAG-1", "SAG-2"]  # the old register in force
    health = await archive.health()
    assert health.register is not None and health.register.problem and "has no cases" in health.register.problem
