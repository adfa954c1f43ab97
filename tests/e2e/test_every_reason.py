"""Every escalation reason the robot can name, triggered from outside through the real `lae-robot process`.

For each member of `robot.model.Reason` one mail (tests/e2e/reason_mails.py), sometimes with a configuration that
makes a limit small, a narrowed copy of the rules or an HTTP case archive that refuses or is away, goes through the
CLI in a temporary installation. Each must end escalated with exactly that reason, with an escalation notice to the
operators in the outbox and the raw mail kept in the ledger. A reason added to the enum without a trigger here
fails `test_every_reason_has_a_trigger`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from robot.model import Reason
from tests.e2e import reason_mails as mails
from tests.e2e.parsers import parser_killer
from tests.e2e.test_process import FULL_CPR, ROOT, Home, closed_port
from tests.smime_factory import material as smime_material

OPERATORS = "lae-robot-drift@kommune.example"  # the embedded default of notify.operators
TOKEN_ENV = "LAE_TEST_EVERY_REASON_TOKEN"


# ---------------------------------------------------------------- installations beyond a config snippet


@dataclass
class Site:
    """What one test installs besides the mail: config text, the rules folder, and checks for afterwards."""

    tmp_path: Path
    stack: ExitStack
    config: str = ""
    rules: Path = ROOT / "rules"
    register: str | None = None  # the case register's text, in place of samples/cases.csv
    checks: list[Callable[[], None]] = field(default_factory=list)


def http_archive(port: int) -> str:
    """The http adapter on 127.0.0.1:port: GET cases?cpr= answers a list of cases, POST uploads one document."""
    return (
        '[archive]\nadapter = "http"\n'
        f'http = {{ base_url = "http://127.0.0.1:{port}/", timeout_seconds = 2, retries = 0, '
        f'auth = {{ type = "bearer", token_env = "{TOKEN_ENV}" }}, '
        'lookup = { method = "GET", path = "cases?cpr={cpr}", results = "", '
        'fields = { case_id = "id", case_type = "type", status = "status" } }, '
        'upload = { method = "POST", path = "cases/{case_id}/documents", mode = "json_base64", '
        'body = { data = "{document_base64}" }, document_ref = "id" }, '
        'health = { method = "GET", path = "health" } }\n'
    )


class _RefusingCaseSystem(BaseHTTPRequestHandler):
    """Finds one open sygedagpenge case for anyone; refuses every upload with HTTP 400."""

    server: _CaseSystemServer

    def do_GET(self) -> None:
        self.server.hits.append(("GET", self.path.split("?", 1)[0]))
        if self.path.startswith("/cases?cpr="):
            self._answer(200, [{"id": "SD-7001", "type": "sygedagpenge", "status": "open"}])
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        self._read_body()
        self.server.hits.append(("POST", self.path))
        self._answer(400, {"error": "dokumenttypen er ikke tilladt i sagen"})

    def _read_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _CaseSystemServer(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[tuple[str, str]]


@contextmanager
def refusing_case_system() -> Iterator[_CaseSystemServer]:
    server = _CaseSystemServer(("127.0.0.1", 0), _RefusingCaseSystem)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, name="refusing-case-system", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def archive_refuses_the_upload(site: Site) -> None:
    server = site.stack.enter_context(refusing_case_system())
    site.config += http_archive(server.server_address[1])

    def the_upload_was_refused() -> None:
        assert ("GET", "/cases") in server.hits  # the case was found ...
        assert ("POST", "/cases/SD-7001/documents") in server.hits  # ... and the document offered to it

    site.checks.append(the_upload_was_refused)


def archive_away(site: Site) -> None:
    site.config += "[retry]\nmax_attempts = 1\n" + http_archive(closed_port())


def rules_without_275(site: Site) -> None:
    """A copy of the shipped rules whose filing route no longer names LÆ 275 (shipped, every attest form is routed)."""
    rules = site.tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    routing = rules / "routing.toml"
    text = routing.read_text(encoding="utf-8")
    narrowed = re.sub(r'"275",\s*', "", text, count=1)
    assert narrowed != text, "routing.toml no longer lists LÆ 275 where this test expects it"
    routing.write_text(narrowed, encoding="utf-8")
    site.rules = rules


def rules_escalating_active_pdfs(site: Site) -> None:
    """A copy of the shipped rules with `escalate_active_pdf = true` for every sender."""
    rules = site.tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    senders = rules / "senders.toml"
    text = senders.read_text(encoding="utf-8")
    escalating = text.replace("\nescalate_active_pdf = false\n", "\nescalate_active_pdf = true\n", 1)
    assert escalating != text, "senders.toml no longer says escalate_active_pdf = false where this test expects it"
    senders.write_text(escalating, encoding="utf-8")
    site.rules = rules


def our_smime_key(site: Site) -> None:
    """The kommune's certificate and key in [smime]: a mail sealed to it with a cipher we do not support."""
    site.config += smime_material().config(site.tmp_path, keys=(smime_material().kommune_old,), anchors=False)


def register_with_names(site: Site) -> None:
    """The sample register with the citizens' names (the name check on): the certificate's citizen is someone else
    by name than the one the case system knows under that CPR."""
    with (ROOT / "samples" / "cases.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys([*rows[0], "name"])), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "name": "Karen Lund"} for row in rows)
    site.register = out.getvalue()


def parser_killed(site: Site) -> None:
    """SIGKILL the robot's parser process once it is busy with the mail, as a crash of the parser would end it."""
    killed = site.stack.enter_context(parser_killer(str(site.tmp_path)))
    site.checks.append(lambda: _killed_once(killed))


def _killed_once(killed: list[int]) -> None:
    assert len(killed) == 1, killed


# ---------------------------------------------------------------- the triggers


@dataclass(frozen=True)
class Trigger:
    """How to make the robot escalate with one reason: the mail, its config, and any installation beyond that."""

    mail: Callable[[], bytes]
    config: str = ""
    install: Callable[[Site], None] | None = None
    detail: str = ""  # a piece of the escalation's detail, where it tells this trigger from another road


TRIGGERS: dict[Reason, Trigger] = {
    # reading the PDF
    Reason.PDF_ENCRYPTED: Trigger(mails.pdf_encrypted, detail="password"),
    Reason.NO_TEXT_LAYER: Trigger(mails.no_text_layer),
    Reason.PDF_UNREADABLE: Trigger(mails.pdf_unreadable, config="[limits]\npdf_memory_mb = 512\n"),
    Reason.PDF_TIMEOUT: Trigger(mails.pdf_timeout, config="[limits]\npdf_seconds = 0.01\n", detail="no result within"),
    Reason.PDF_TOO_LARGE: Trigger(mails.pdf_too_large, config="[limits]\npdf_max_bytes = 500\n",
                                  detail="over the limit of 500 bytes (0.0 MiB) in limits.pdf_max_bytes"),
    # the citizen
    Reason.NO_CPR: Trigger(mails.no_cpr),
    Reason.AMBIGUOUS_CPR: Trigger(mails.ambiguous_cpr),
    Reason.INVALID_CPR: Trigger(mails.invalid_cpr),
    # the form
    Reason.NO_BLANKET: Trigger(mails.no_blanket),
    Reason.UNKNOWN_BLANKET: Trigger(mails.unknown_blanket),
    Reason.AMBIGUOUS_BLANKET: Trigger(mails.ambiguous_blanket),
    Reason.NOT_CERTIFICATE: Trigger(mails.not_certificate),
    # the mail
    Reason.MAIL_TOO_LARGE: Trigger(mails.mail_too_large, config="[limits]\npdf_max_bytes = 500\nmail_max_bytes = 70000\n",
                                   detail="over the limit of 70000 bytes (0.1 MiB) in limits.mail_max_bytes"),
    Reason.MAIL_TIMEOUT: Trigger(mails.mail_timeout, config="[limits]\nmail_seconds = 0.2\n",
                                 detail="no result within 0.2 s"),
    Reason.PARSER_CRASHED: Trigger(mails.parser_crashed, install=parser_killed, detail="parser process died (SIGKILL)"),
    Reason.TOO_MANY_PARTS: Trigger(mails.too_many_parts, config="[limits]\nmail_max_parts = 3\n"),
    Reason.MIME_TOO_DEEP: Trigger(mails.mime_too_deep, config="[limits]\nmail_max_depth = 2\n"),
    Reason.MALFORMED_MIME: Trigger(mails.malformed_mime, detail="base64"),
    Reason.NO_PDF: Trigger(mails.no_pdf),
    Reason.TOO_MANY_PDFS: Trigger(mails.too_many_pdfs, config="[limits]\nmail_max_pdfs = 2\n"),
    Reason.ZIP_UNSAFE: Trigger(mails.zip_unsafe, config="[limits]\nzip_max_members = 1\n", detail="members"),
    Reason.ZIP_UNREADABLE: Trigger(mails.zip_unreadable, detail="encrypted member"),
    Reason.SMIME_ENCRYPTED: Trigger(mails.smime_encrypted),
    Reason.TNEF_UNREADABLE: Trigger(mails.tnef_unreadable, detail="checksum"),
    Reason.MSG_UNREADABLE: Trigger(mails.msg_unreadable, detail=".msg"),
    Reason.FHIR_UNREADABLE: Trigger(mails.fhir_unreadable, detail="not valid JSON"),
    Reason.FHIR_REFUSED: Trigger(mails.fhir_refused, detail="DTD"),
    Reason.SMIME_UNDECRYPTABLE: Trigger(mails.smime_undecryptable, install=our_smime_key,
                                        detail="unsupported algorithm"),
    # the decision
    Reason.UNTRUSTED_SENDER: Trigger(mails.untrusted_sender),
    Reason.NO_ROUTE: Trigger(mails.no_route, install=rules_without_275),
    Reason.NO_CASE: Trigger(mails.no_case),
    Reason.AMBIGUOUS_CASE: Trigger(mails.ambiguous_case),
    Reason.CPR_CONFLICT: Trigger(mails.cpr_conflict),
    Reason.NAME_MISMATCH: Trigger(mails.name_mismatch, install=register_with_names, detail="Karen Lund"),
    Reason.ROUTED_TO_HUMAN: Trigger(mails.routed_to_human),
    Reason.ACTIVE_PDF_CONTENT: Trigger(mails.active_pdf_content, install=rules_escalating_active_pdfs,
                                       detail="escalate_active_pdf"),
    # the archive
    Reason.ARCHIVE_UNAVAILABLE: Trigger(mails.archive_unavailable, install=archive_away, detail="after 1 attempts"),
    Reason.ARCHIVE_REJECTED: Trigger(mails.archive_rejected, install=archive_refuses_the_upload, detail="HTTP 400"),
    # the robot itself
    # A fault in the robot, not in the mail: a memory cap so small that no parser process can start (the settings
    # accept any positive number). The parse stage raises ParserStartError, and robot/worker.py escalates what
    # is not yet placed as internal_error instead of dropping the mail.
    Reason.INTERNAL_ERROR: Trigger(mails.internal_error, config="[limits]\npdf_memory_mb = 1\n",
                                   detail="ParserStartError"),
}


def test_every_reason_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(Reason)


# ---------------------------------------------------------------- the test


def install(tmp_path: Path, stack: ExitStack, trigger: Trigger) -> tuple[Home, Site]:
    site = Site(tmp_path, stack, config=trigger.config)
    if trigger.install is not None:
        trigger.install(site)
    home = Home(tmp_path, extra_config=site.config)
    if site.register is not None:
        (home.folder / "var" / "cases.csv").write_text(site.register, encoding="utf-8")
    if site.rules != ROOT / "rules":
        text = home.config.read_text(encoding="utf-8")
        home.config.write_text(text.replace(f'dir = "{ROOT / "rules"}"', f'dir = "{site.rules}"', 1),
                               encoding="utf-8")
        assert str(site.rules) in home.config.read_text(encoding="utf-8")
    return home, site


@pytest.mark.parametrize("reason", list(Reason), ids=lambda reason: reason.value)
def test_the_mail_is_escalated_with_its_reason(reason: Reason, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    trigger = TRIGGERS[reason]
    monkeypatch.setenv(TOKEN_ENV, "not-a-real-token")
    raw = trigger.mail()
    with ExitStack() as stack:
        home, site = install(tmp_path, stack, trigger)
        path = tmp_path / f"{reason.value}.eml"
        path.write_bytes(raw)

        records = home.process(str(path))

        for check in site.checks:
            check()
    # exactly this reason, for every document the mail gave
    assert records, "process printed no outcome"
    assert [(r["outcome"], r["reason"]) for r in records] == [("escalated", reason.value)] * len(records), records
    assert all(trigger.detail in str(r["detail"]) for r in records), records
    assert home.archived() == []
    # the escalations are open in the ledger, one per document, and the mail is kept there as received
    ledger = sqlite3.connect(home.folder / "var" / "ledger.sqlite3")
    try:
        messages = ledger.execute("SELECT raw, state FROM messages").fetchall()
        escalations = ledger.execute("SELECT reason, state FROM escalations").fetchall()
    finally:
        ledger.close()
    assert len(messages) == 1 and messages[0][0] is not None, "the raw mail is not kept"
    assert bytes(messages[0][0]) == raw and messages[0][1] == "done"
    assert escalations == [(reason.value, "open")] * len(records)
    # and the operators were told, once per escalation
    notices = home.notices()
    assert len(notices) == len(records), [str(n["Subject"]) for n in notices]
    for notice in notices:
        assert str(notice["To"]) == OPERATORS
        assert "kunne ikke placere" in str(notice["Subject"]) and f"({reason.value})" in str(notice["Subject"])
        body = notice.get_body()
        assert body is not None and not FULL_CPR.search(notice.as_string() + body.get_content())
