"""No full CPR in anything the robot puts out, whatever shape the number reaches it in: the CLI's output (process,
extract, escalations, status, check-rules), its log, the notices, and the archive's file names and JSON sidecars.

The mails carry CPR numbers where a sender puts them: in attachment file names (`LÆ125_<cpr>.pdf`, spaced, dotted),
subjects, bodies, Message-IDs and display names, in every written form; bare PDFs are named after the citizen.
Everything is scanned by the one scanner in tests/cpr_scanner.py. The ledger is the audit store and may hold them."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest

from tests.cpr_scanner import full_cprs, masked
from tests.e2e.test_process import MAILS, Home
from tests.gateway import stamped
from tests.pdf_factory import text_pdf

CITIZEN = "220487-0503"  # SD-1001 in samples/cases.csv: filed
OTHER = "171063-0883"  # two open cases: escalated as ambiguous_case
FORMS = ("{d}{s}", "{d}-{s}", "{d} {s}", "{dd} {mm} {yy}-{s}", "{dd}.{mm}.{yy}-{s}", "{d}\u2009{s}", "{d} - {s}")


def written(cpr: str, form: str) -> str:
    date, serial = cpr.split("-")
    return form.format(d=date, s=serial, dd=date[0:2], mm=date[2:4], yy=date[4:6])


def certificate(cpr: str) -> bytes:
    return text_pdf([["LÆ 125 Statusattest", f"CPR-nr.: {cpr}", "Borgeren er fortsat uarbejdsdygtig."]])


def mail(cpr: str, form: str, index: int) -> bytes:
    shown = written(cpr, form)
    msg = EmailMessage()
    msg["From"] = f"Psykiatrien vedr. {shown} <psykiatri.attester@rn.dk>"
    msg["To"] = "jobcenter@kommune.example"
    msg["Subject"] = f"Statusattest vedr. CPR {shown}"
    msg["Message-ID"] = f"<{written(cpr, FORMS[0])}.{index}@rn.dk>"
    msg.set_content(f"Hermed attest for borger {shown}.")
    msg.add_attachment(certificate(cpr), maintype="application", subtype="pdf", filename=f"LÆ125_{shown}.pdf")
    return stamped(msg.as_bytes(), "psykiatri.attester@rn.dk")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, dict[str, str]]:
    """One installation, fed the samples and the mails above, every command run; what each command printed."""
    folder = tmp_path_factory.mktemp("privacy")
    home = Home(folder)
    inputs = folder / "in"
    inputs.mkdir()
    files = [str(path) for path in MAILS]
    for index, form in enumerate(FORMS):
        for cpr in (CITIZEN, OTHER):
            path = inputs / f"{cpr.replace('-', '')}_{index}.eml"
            path.write_bytes(mail(cpr, form, index))
            files.append(str(path))
        bare = inputs / f"LÆ125_{written(CITIZEN, form).replace('/', '')}_{index}.pdf"
        bare.write_bytes(certificate(CITIZEN) + f"% {index}\n".encode())  # distinct bytes, same certificate
        files.append(str(bare))
    printed: dict[str, str] = {}

    def run(name: str, *args: str) -> str:
        done = home.run(*args, check=False)
        printed[f"{name} (stdout)"] = done.stdout
        printed[f"{name} (stderr)"] = done.stderr
        return done.stdout

    run("process --json", "process", "--json", "--pdf-from", "psykiatri.attester@rn.dk", *files)
    run("process", "process", "--pdf-from", "psykiatri.attester@rn.dk", *files)
    run("extract --json", "extract", "--json", *files)
    run("extract", "extract", *files)
    listing = run("escalations list --json", "escalations", "list", "--all", "--json")
    run("escalations list", "escalations", "list", "--all")
    for line in listing.splitlines():
        escalation = json.loads(line)["id"]
        run(f"escalations show {escalation}", "escalations", "show", str(escalation))
    run("escalations show --json", "escalations", "show", str(json.loads(listing.splitlines()[0])["id"]), "--json")
    run("trail", "trail", "--sender", "psykiatri.attester@rn.dk")
    run("status", "status")
    run("status --json", "status", "--json")
    run("check-rules", "check-rules")
    return home, printed


def test_the_run_filed_and_escalated_what_it_was_given(outputs: tuple[Home, dict[str, str]]) -> None:
    home, printed = outputs
    records = [json.loads(line) for line in printed["process --json (stdout)"].splitlines()]
    outcomes = {record["outcome"] for record in records}
    assert {"filed", "escalated"} <= outcomes
    assert any(name.startswith("escalations show") for name in printed)
    assert len(home.archived()) > 1


def test_nothing_the_commands_print_holds_a_full_cpr(outputs: tuple[Home, dict[str, str]]) -> None:
    _, printed = outputs
    leaks = {name: [masked(d) for d in full_cprs(text)] for name, text in printed.items() if full_cprs(text)}
    assert leaks == {}
    # the masked forms are there: the check looked at the right text
    assert f"{CITIZEN[:6]}-xxxx" in printed["process --json (stdout)"]
    assert "LÆ125_" in printed["process --json (stdout)"]


def test_no_notice_holds_a_full_cpr(outputs: tuple[Home, dict[str, str]]) -> None:
    home, _ = outputs
    notices = sorted((home.folder / "var" / "outbox").glob("*.eml"))
    assert notices
    for path in notices:
        text = path.read_bytes().decode("utf-8", "replace")
        assert full_cprs(text) == [], path.name


def test_no_archive_file_name_or_sidecar_holds_a_full_cpr(outputs: tuple[Home, dict[str, str]]) -> None:
    home, _ = outputs
    archive = home.folder / "var" / "archive"
    files = sorted(path for path in archive.rglob("*") if path.is_file())
    sidecars = [path for path in files if path.suffix == ".json"]
    assert sidecars
    for path in files:
        assert full_cprs(str(path.relative_to(archive))) == [], path.name
    for path in sidecars:
        sidecar = json.loads(path.read_text(encoding="utf-8"))
        assert full_cprs(json.dumps(sidecar, ensure_ascii=False)) == [], path.name
    names = [json.loads(path.read_text(encoding="utf-8"))["attachment_name"] for path in sidecars]
    assert any(name and "LÆ125_" in name and "xxxx" in name for name in names)  # kept, masked


def test_the_ledger_the_audit_store_does_keep_the_full_number(outputs: tuple[Home, dict[str, str]]) -> None:
    import sqlite3

    home, _ = outputs
    ledger = sqlite3.connect(home.folder / "var" / "ledger.sqlite3")
    try:
        cprs = {row[0] for row in ledger.execute("SELECT cpr FROM documents WHERE cpr IS NOT NULL")}
    finally:
        ledger.close()
    assert CITIZEN.replace("-", "") in cprs
