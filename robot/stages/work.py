"""The per-message work item that flows through the stages, and the services the stages are given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from robot.archive.base import CaseArchive
from robot.archive.request_export import RequestExport
from robot.decisions.decide import Decision
from robot.decisions.rulebook import Rulebook
from robot.decisions.trust import SenderVerdict
from robot.extract.reader import DocumentReader
from robot.ledger.base import Ledger, StoredDocument, StoredMessage
from robot.ledger.group_sync import GroupSync
from robot.model import Attachment, Extraction, Letter, Limits, MailProblem, MailText, Outcome, RetryPolicy
from robot.private_files import OWNER_ONLY, FileModes

# A bare PDF that an operator hands to `lae-robot process`, wrapped in a mail from the sender they name: the
# operator is the channel, and vouches for the sender.
OPERATOR_CHANNEL = ("file", "operator")
# The ledger source of a FHIR Bundle that a VANS provider dropped in the FHIR folder: no mail, the folder vouches.
FHIR_FOLDER_SOURCE = "fhir_folder"


def arrived_through_trusted_channel(message: StoredMessage, services: Services) -> bool:
    return (message.source, message.mailbox or "") in services.trusted_channels


@dataclass
class DocumentWork:
    """One document of a message: a PDF, or a refused part standing in for what was lost."""

    stored: StoredDocument
    attachment: Attachment | None = None
    problem: MailProblem | None = None
    extraction: Extraction | None = None
    mail_text: MailText | None = None  # what the mail around the PDF says about it
    decision: Decision | None = None
    outcome: Outcome | None = None

    @property
    def pending(self) -> bool:
        """Still to be decided and filed in this run."""
        return self.outcome is None


@dataclass
class MessageWork:
    """One received mail on its way through the stages."""

    message: StoredMessage
    letter: Letter | None = None
    sender: SenderVerdict | None = None
    documents: list[DocumentWork] = field(default_factory=list)


@dataclass(frozen=True)
class Services:
    """Everything the stages use, passed explicitly; only app wiring builds one."""

    ledger: Ledger
    reader: DocumentReader
    rules: Callable[[], Rulebook]  # the rules in force now (they reload)
    archive: CaseArchive
    limits: Limits
    robot_version: str
    operators: tuple[str, ...]  # who gets escalation notices
    retry: RetryPolicy  # from the settings' [retry]: the defaults live in one place, settings.py
    # (source, mailbox) of the channels only the authenticated network can deliver to: ("imap", "tunnel") ...
    trusted_channels: frozenset[tuple[str, str]] = frozenset()
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    request_export: RequestExport | None = None  # the case system's export of requests sent, when configured
    settled: GroupSync = field(default_factory=GroupSync)  # the fsyncs making filings and settles durable
    acknowledgement_dir: Path | None = None  # [fhir] acknowledgement_dir: MedCom Acknowledgements go here; None: none
    file_modes: FileModes = OWNER_ONLY  # [files] group: who may read what the robot writes
