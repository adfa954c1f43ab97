"""`lae-robot process`: runs mails (or bare PDFs) through the whole pipeline, the daemon's code path, one outcome per document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TextIO

from robot.app import Robot
from robot.commands.extract import MAIL_SUFFIXES, expand
from robot.ledger.base import StoredDocument
from robot.ledger.records import DocumentOutcome, MessageState
from robot.notify.delivery import deliver_due
from robot.privacy import mask_cpr, mask_cpr_text
from robot.stages.work import OPERATOR_CHANNEL
from robot.worker import process_message


def wrap_pdf(path: Path, data: bytes, sender: str) -> bytes:
    """A bare PDF becomes a minimal mail from `sender`, so it takes the same road as mailed ones."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "lae-robot@localhost"
    mail["Subject"] = f"Manuel indlæsning: {path.name}"
    mail["Date"] = format_datetime(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    mail.set_content("Indlæst med lae-robot process.")
    mail.add_attachment(data, maintype="application", subtype="pdf", filename=path.name)
    return mail.as_bytes()


async def run_process(paths: list[Path], robot: Robot, *, as_json: bool, pdf_sender: str, out: TextIO,
                      err: TextIO) -> int:
    """Accept each file into the ledger, process it (or report what an earlier run decided), then send notices."""
    ledger = robot.services.ledger
    usage_errors = 0
    for path in expand(paths):
        try:
            raw = path.read_bytes()
        except OSError as error:
            print(f"lae-robot process: cannot read {path}: {error.strerror}", file=err)
            usage_errors += 1
            continue
        if path.suffix.lower() not in MAIL_SUFFIXES and raw[:1024].find(b"%PDF-") >= 0:
            raw = wrap_pdf(path, raw, pdf_sender)
            source, mailbox = OPERATOR_CHANNEL  # the operator vouches for the sender they name
        else:
            source, mailbox = "file", None
        intake = ledger.accept(raw, source=source, source_ref=str(path), mailbox=mailbox)
        repeat = intake.duplicate and ledger.message(intake.message_id).state is MessageState.DONE
        if not repeat:
            await process_message(intake.message_id, robot.services)
        deferred = ledger.message(intake.message_id).state is not MessageState.DONE
        for document in ledger.documents(intake.message_id):
            record = outcome_record(str(path), document, repeat=repeat, deferred=deferred)
            print(json.dumps(record, ensure_ascii=False) if as_json else _line(record), file=out, flush=True)
    if robot.transport is not None:
        report = await deliver_due(ledger, robot.transport, robot.services.clock,
                                   robot.notice_backoff)
        print(f"notices: {report.sent} sent, {report.retrying} to retry, {report.failed} failed", file=err)
    return 2 if usage_errors else 0


def outcome_record(file: str, document: StoredDocument, *, repeat: bool, deferred: bool) -> dict[str, Any]:
    """One document's outcome as the operator reads it; CPR masked."""
    outcome = document.outcome.value if document.outcome else ("retry" if deferred else "unfinished")
    decision = document.decision
    return {
        "file": mask_cpr_text(file),
        "attachment": mask_cpr_text(document.name) if document.name else None,
        "part": document.part,
        "message": document.message_id,
        "document": document.id,
        "outcome": outcome,
        "case_id": document.case_id,
        "reason": document.reason if document.outcome is DocumentOutcome.ESCALATED else None,
        "rule": document.rule,
        "cpr": mask_cpr(document.cpr) if document.cpr else None,
        "blanket": document.blanket,
        "kind": document.kind,
        "detail": mask_cpr_text(document.detail or ""),
        "explanation": [mask_cpr_text(line) for line in decision.explanation] if decision else [],
        "repeat": repeat,
        # a scan: what OCR suggests (CPR masked), for a person to confirm with `escalations resolve N --accept-suggestion`
        "suggestion": decision.suggestion.to_json() if decision and decision.suggestion else None,
    }


def _line(record: dict[str, Any]) -> str:
    where = record["file"] + (f" [{record['attachment']}]" if record["attachment"] else "")
    what = record["case_id"] if record["outcome"] in ("filed", "duplicate") else record["reason"] or ""
    again = " (already done)" if record["repeat"] else ""
    line = f"{where}: {record['outcome']} {what}{again} - {record['detail'] or record['rule'] or ''}".rstrip(" -")
    suggestion = record["suggestion"]
    if suggestion and (suggestion["cpr"] or suggestion["form"]):
        parts = [f"CPR {suggestion['cpr']} ({suggestion['cpr_confidence']} %)" if suggestion["cpr"] else "",
                 f"{suggestion['form']}" if suggestion["form"] else "",
                 f"case {suggestion['case_id']}" if suggestion["case_id"] else ""]
        line += f" - OCR suggests: {', '.join(filter(None, parts))}"
    return line
