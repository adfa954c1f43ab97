"""Typed records that flow between the robot's steps: letters, PDF content, findings, extractions, reasons."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime


class Reason(str, enum.Enum):
    """Why a document or mail cannot be handled automatically; ops count and search these."""

    # reading the PDF
    PDF_ENCRYPTED = "pdf_encrypted"
    NO_TEXT_LAYER = "no_text_layer"
    PDF_UNREADABLE = "pdf_unreadable"
    PDF_TIMEOUT = "pdf_timeout"
    PDF_TOO_LARGE = "pdf_too_large"
    # the citizen
    NO_CPR = "no_cpr"
    AMBIGUOUS_CPR = "ambiguous_cpr"
    INVALID_CPR = "invalid_cpr"
    # the form
    NO_BLANKET = "no_blanket"
    UNKNOWN_BLANKET = "unknown_blanket"
    AMBIGUOUS_BLANKET = "ambiguous_blanket"
    NOT_CERTIFICATE = "not_certificate"
    # the mail
    MAIL_TOO_LARGE = "mail_too_large"
    MAIL_TIMEOUT = "mail_timeout"
    PARSER_CRASHED = "parser_crashed"
    TOO_MANY_PARTS = "too_many_parts"
    MIME_TOO_DEEP = "mime_too_deep"
    MALFORMED_MIME = "malformed_mime"
    NO_PDF = "no_pdf"
    TOO_MANY_PDFS = "too_many_pdfs"
    ZIP_UNSAFE = "zip_unsafe"
    ZIP_UNREADABLE = "zip_unreadable"
    SMIME_ENCRYPTED = "smime_encrypted"  # sealed, and to none of the configured certificates (smime.keys)
    SMIME_UNDECRYPTABLE = "smime_undecryptable"  # to our certificate, but garbled, wrong key or unsupported cipher
    TNEF_UNREADABLE = "tnef_unreadable"  # an Outlook winmail.dat that is damaged (a checksum, its framing) or hostile
    MSG_UNREADABLE = "msg_unreadable"  # an attached Outlook .msg mail that cannot be read
    # the decision
    UNTRUSTED_SENDER = "untrusted_sender"
    NO_ROUTE = "no_route"
    NO_CASE = "no_case"
    AMBIGUOUS_CASE = "ambiguous_case"
    CPR_CONFLICT = "cpr_conflict"
    NAME_MISMATCH = "name_mismatch"
    ROUTED_TO_HUMAN = "routed_to_human"
    ACTIVE_PDF_CONTENT = "active_pdf_content"  # JavaScript, a launch action or embedded files, and a rule escalates
    # the archive
    ARCHIVE_UNAVAILABLE = "archive_unavailable"
    ARCHIVE_REJECTED = "archive_rejected"
    # the robot itself
    INTERNAL_ERROR = "internal_error"


# ---------------------------------------------------------------- mail


@dataclass(frozen=True)
class Attachment:
    """One PDF found in a mail. `name` is for display only and never reaches a path."""

    name: str | None
    content_type: str
    data: bytes
    part: str  # where in the mail: MIME part path such as "2" or "3.1/zip:a.pdf"
    # the numbers the mail's subject, body and this file's name name that may be a person's (read with the mail)
    mentioned_cprs: frozenset[str] = frozenset()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class MailProblem:
    """Something in a mail that was refused or could not be read, with its named reason."""

    reason: Reason
    detail: str
    part: str | None = None
    lost: bool = True  # False for a mere defect noted while everything was still read


@dataclass(frozen=True)
class Letter:
    """A received mail as the robot sees it: who, what about, and the PDFs it carries."""

    sender: str | None  # From address (addr-spec), lower-cased
    recipients: tuple[str, ...]
    subject: str
    message_id: str | None
    date: datetime | None
    body_text: str
    attachments: tuple[Attachment, ...]
    problems: tuple[MailProblem, ...] = ()
    authentication_results: tuple[str, ...] = ()
    from_addresses: int = 1  # addresses in all From headers together; a sender is only judged when it is one
    # what the S/MIME layers said: "part 2: decrypted with CN=..., serial 0x...", "part 2: signature valid (...)"
    smime_notes: tuple[str, ...] = ()

    @property
    def sender_domain(self) -> str | None:
        if not self.sender or "@" not in self.sender:
            return None
        return self.sender.rsplit("@", 1)[1]


# ---------------------------------------------------------------- PDF content


@dataclass(frozen=True)
class TextLine:
    """One line of page text; page and line are 1-based."""

    page: int
    line: int
    text: str


@dataclass(frozen=True)
class FormField:
    """An AcroForm field with a value. `label` is the field's tooltip (/TU) when it has one."""

    name: str
    label: str | None
    value: str


class ActiveFinding(str, enum.Enum):
    """Something in a PDF that could act when a viewer opens it (the robot never runs it), or that it could not
    be checked for such things."""

    JAVASCRIPT = "javascript"  # document, page, annotation or form-field actions, the JavaScript name tree
    LAUNCH = "launch_action"  # an action that starts a program or opens a file
    EMBEDDED_FILE = "embedded_file"  # files inside the PDF: the EmbeddedFiles name tree, file attachment annotations
    NOT_CHECKED = "not_checked"  # the PDF's structure could not be walked within the bounds


@dataclass(frozen=True)
class ActiveContent:
    """The active content of a PDF, each finding with where it was first seen (a path of PDF keys, no text)."""

    findings: tuple[ActiveFinding, ...] = ()
    where: tuple[str, ...] = ()  # one per finding; for NOT_CHECKED the cause

    def __bool__(self) -> bool:
        return bool(self.findings)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(finding.value for finding in self.findings)

    def described(self) -> str:
        """In words for operators and the ledger: "javascript at /Root/OpenAction; embedded_file at ..."."""
        return "; ".join(f"{f.value} ({where})" for f, where in zip(self.findings, self.where, strict=False))


@dataclass(frozen=True)
class PdfContent:
    """Everything readable in a PDF: its text lines in reading order and its filled form fields, and its active
    content (found, never run)."""

    pages: int
    lines: tuple[TextLine, ...]
    fields: tuple[FormField, ...] = ()
    engine: str = "pdfium"
    active: ActiveContent = ActiveContent()

    @property
    def has_text(self) -> bool:
        return any(line.text.strip() for line in self.lines) or any(f.value.strip() for f in self.fields)


@dataclass(frozen=True)
class PageImages:
    """A PDF's first pages drawn as PNG images (for a person to look at), and how many pages the PDF has.
    `withheld`: the pages (numbered from 1) drawn blank because they have no text layer (a scan), so no CPR number in
    them can be found to be covered; they are drawn only when the full CPR is asked for."""

    pages: int
    images: tuple[bytes, ...]
    withheld: tuple[int, ...] = ()


@dataclass(frozen=True)
class PdfFailure:
    """A PDF that could not be read, with the named reason."""

    reason: Reason
    detail: str


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class Evidence:
    """Where a value was found, so a human can check it: page and line, or form field, and the label beside it."""

    source: str  # "text" | "field" | "subject" | "filename"
    snippet: str  # the surrounding text; may hold a CPR, so mask before showing
    page: int | None = None
    line: int | None = None
    field: str | None = None
    label: str | None = None


class CprVerdict(str, enum.Enum):
    """What a CPR-shaped number counts as."""

    ACCEPTED = "accepted"  # a person's CPR
    DOUBTFUL = "doubtful"  # may be a person's CPR: cannot establish one, but blocks another
    INVALID = "invalid"  # a CPR label whose value is not exactly one valid CPR number: blocks
    OTHER_PERSON = "other_person"  # a valid date where the document names another person (a relative): blocks
    REJECTED = "rejected"  # not a CPR (part of a longer number, another number's label, no date)


@dataclass(frozen=True)
class CprCandidate:
    """A CPR-shaped number and the verdict on it, with the reason in words."""

    digits: str  # ten digits, no separator
    evidence: Evidence
    verdict: CprVerdict
    why: str
    labelled: bool  # a CPR label stands next to it
    mod11: bool  # passes the modulus-11 check (raises confidence, never vetoes)
    birth_date: date | None = None
    substitute: bool = False

    @property
    def accepted(self) -> bool:
        return self.verdict is CprVerdict.ACCEPTED


@dataclass(frozen=True)
class CprResult:
    """The document's one CPR, or the reason there is not exactly one."""

    cpr: str | None
    reason: Reason | None
    candidates: tuple[CprCandidate, ...]
    detail: str = ""  # the reason in words; may be shown to operators (no CPR in it)


@dataclass(frozen=True)
class PrintedName:
    """A name the document prints for the patient, and where (personal data: never logged)."""

    text: str
    evidence: Evidence


@dataclass(frozen=True)
class PersonFindings:
    """Whom a PDF's text is about: its one CPR (or why there is not one) and the patient names printed beside it."""

    cpr: CprResult
    names: tuple[PrintedName, ...]


@dataclass(frozen=True)
class DocumentReading:
    """One PDF as a parser process reads it: its content (or why it could not be read) and, when it has text, whom
    it is about."""

    content: PdfContent | PdfFailure
    people: PersonFindings | None = None


@dataclass(frozen=True)
class OcrOptions:
    """Whether and how a PDF without a text layer is read with Tesseract OCR, for a suggestion only ([extract])."""

    enabled: bool = True
    pages: int = 2  # the first pages read: an LÆ form names its patient and its code on the first
    dpi: int = 300
    seconds: float = 120.0  # wall-clock limit for reading one scan (every page together)
    language: str = "dan"


@dataclass(frozen=True)
class OcrReading:
    """What Tesseract read on a scan's first pages, in a parser process: the text as lines, each word's confidence,
    and whom the text is about; or why nothing was read (`failure`, a NoSuggestion value)."""

    content: PdfContent | None = None  # engine "tesseract"
    confidences: tuple[tuple[float, ...], ...] = ()  # one per line of content.lines: each word's confidence, 0-100
    people: PersonFindings | None = None
    failure: str | None = None
    detail: str = ""
    pages_read: int = 0


class NoSuggestion(str, enum.Enum):
    """Why OCR suggests nothing, or not all three of citizen, form and case, for a scan."""

    OCR_OFF = "ocr_off"  # extract.ocr = false
    TESSERACT_MISSING = "tesseract_missing"  # the tesseract program (or its language data) is not installed
    OCR_TIMEOUT = "ocr_timeout"  # past extract.ocr_seconds
    OCR_FAILED = "ocr_failed"  # tesseract or the page drawing failed (memory, a damaged page)
    NOTHING_READ = "nothing_read"  # OCR read no text
    TWO_PEOPLE = "two_people"  # OCR read more than one person's CPR, or two patient names
    CPR_INVALID = "cpr_invalid"  # a CPR label whose value fails the date rules: nothing is suggested
    NO_CPR = "no_cpr"  # OCR read no CPR number
    UNSURE_CPR = "unsure_cpr"  # OCR read the CPR with too little confidence
    NO_FORM = "no_form"  # OCR read no known LÆ form code
    NO_CASE = "no_case"  # the citizen has not exactly one case the rules would file into


@dataclass(frozen=True)
class Suggestion:
    """What OCR read on a scan, offered to a person to confirm with one action: never files by itself. Each part
    with the OCR confidence (0-100, mean of the words it was read from); `missing` names what is not suggested."""

    cpr: str | None = None  # ten digits: personal data, masked in every output
    cpr_confidence: int | None = None
    form: str | None = None  # the catalogue code, "125"
    form_confidence: int | None = None
    case_id: str | None = None
    case_title: str | None = None
    missing: tuple[NoSuggestion, ...] = ()
    source: str = "ocr"

    @property
    def empty(self) -> bool:
        return self.cpr is None and self.form is None and self.case_id is None


@dataclass(frozen=True)
class BlanketMention:
    """A mention of an LÆ form code (or a known document title) in the document."""

    code: str | None  # "125"; None for a document recognised by its title only
    evidence: Evidence
    heading: bool  # in the document's heading area (top of the first page with text)
    reference: bool  # names another form ("tidligere fremsendt LÆ 265")
    prose: bool = False  # inside a sentence rather than a heading, footer or form line


@dataclass(frozen=True)
class BlanketResult:
    """The document's form: code, title and kind, or the reason it cannot be told."""

    code: str | None
    title: str | None
    kind: str | None  # "attest" | "anmodning" | "kvittering" | "andet"
    reason: Reason | None
    mentions: tuple[BlanketMention, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Extraction:
    """What one PDF says: the citizen and the form, with evidence, or the reason it cannot be placed."""

    reason: Reason | None  # None means ok
    cpr: CprResult | None
    blanket: BlanketResult | None
    detail: str = ""
    pages: int = 0
    engine: str | None = None
    content: PdfContent | None = field(default=None, repr=False, compare=False)  # for case numbers in the text
    patient_names: tuple[PrintedName, ...] = ()  # printed beside the accepted CPR, best evidence first
    # a scan (no_text_layer): what its OCR text would say, for the suggestion's case only, and the suggestion
    ocr: Extraction | None = field(default=None, repr=False, compare=False)
    suggestion: Suggestion | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def active(self) -> ActiveContent:
        """The PDF's active content; none for a PDF that could not be read."""
        return self.content.active if self.content is not None else ActiveContent()

    @property
    def status(self) -> str:
        return "ok" if self.reason is None else self.reason.value


@dataclass(frozen=True)
class MailText:
    """What the mail around one attachment says about it: the person numbers its subject, body and file name name
    (any that may be someone's), and the form codes its subject and its file name name."""

    cprs: frozenset[str] = frozenset()
    subject_forms: tuple[str, ...] = ()
    file_name_forms: tuple[str, ...] = ()
    smime_notes: tuple[str, ...] = ()  # the mail's S/MIME notes (decrypted with which certificate, signature)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff (first delay, doubling up to a cap) and the attempts after which a human is told."""

    first_seconds: float
    max_seconds: float
    max_attempts: int

    def delay(self, attempt: int) -> float:
        """The wait before attempt `attempt + 1`, after `attempt` (1 = the first) failed."""
        return min(self.first_seconds * 2.0 ** max(0, attempt - 1), self.max_seconds)


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading untrusted input; all configurable."""

    pdf_seconds: float = 10.0
    pdf_memory_mb: int = 1024
    pdf_max_bytes: int = 50 * 1024 * 1024
    pdf_max_pages: int = 200
    mail_max_bytes: int = 70 * 1024 * 1024  # carries a PDF of pdf_max_bytes: see mail_bytes_to_carry
    mail_seconds: float = 30.0  # wall-clock limit for parsing one mail in a parser process
    mail_max_parts: int = 200
    mail_max_depth: int = 8
    mail_max_pdfs: int = 50
    zip_max_members: int = 50
    zip_max_total_bytes: int = 100 * 1024 * 1024
    zip_max_ratio: int = 100


@dataclass(frozen=True)
class SmimeKey:
    """One certificate of ours that secure mail is encrypted to, and its private key (PKCS#8 DER, not encrypted:
    the passphrase was used when the settings were loaded). The key never shows in a repr, log or exception."""

    certificate: bytes  # DER
    private_key: bytes = field(repr=False)
    label: str = ""  # "CN=..., serial 0x...": names the certificate in notes and errors


@dataclass(frozen=True)
class SmimeKeys:
    """What the parser processes may open S/MIME with: our certificates and keys (several during a key rollover)
    and the certificates (DER) a signature is verified against; empty: nothing is decrypted or verified."""

    keys: tuple[SmimeKey, ...] = ()
    trust_anchors: tuple[bytes, ...] = ()

    def __repr__(self) -> str:
        return f"SmimeKeys({len(self.keys)} keys, {len(self.trust_anchors)} trust anchors)"


MAIL_HEADROOM_BYTES = 64 * 1024  # a mail's headers (a gateway's Received, DKIM, ARC lines), text body and boundaries


def mail_bytes_to_carry(pdf_bytes: int) -> int:
    """The smallest mail that can carry a PDF of `pdf_bytes`: base64 makes 4 characters of every 3 bytes (rounded
    up), each line of 76 characters ends in CRLF, and the mail's headers and text get MAIL_HEADROOM_BYTES."""
    encoded = -(-pdf_bytes // 3) * 4
    line_breaks = -(-encoded // 76) * 2
    return encoded + line_breaks + MAIL_HEADROOM_BYTES


def over_limit(size: int, limit: int, key: str) -> str:
    """A size refused by a limit, in words that name the setting to change: "73400321 bytes (70.0 MiB), over the
    limit of 73400320 bytes (70.0 MiB) in limits.mail_max_bytes"."""
    return f"{size} bytes ({size / 2**20:.1f} MiB), over the limit of {limit} bytes ({limit / 2**20:.1f} MiB) in {key}"


# ---------------------------------------------------------------- cases and filing


@dataclass(frozen=True)
class Case:
    """A citizen's case in the case system, as the archive adapter reports it."""

    case_id: str
    case_type: str
    status: str  # "open" | "closed" (anything else is treated as not open)
    caseworker_email: str | None = None
    team: str | None = None
    title: str | None = None  # journal/case number as printed on documents, when it differs from case_id
    citizen_name: str | None = None  # the citizen's name as the case system knows it (a second check), if it does

    @property
    def is_open(self) -> bool:
        return self.status.strip().lower() == "open"


@dataclass(frozen=True)
class FilingMetadata:
    """What is stored beside a filed document: where it came from and why it went where it went."""

    received: datetime
    sender: str | None
    message_id: str | None
    form: str  # "LÆ 125"
    form_title: str
    document_sha256: str
    attachment_name: str | None
    rule: str  # the route that decided
    evidence: dict[str, object]
    robot_version: str
    warnings: tuple[str, ...] = ()  # for the people who open it, in Danish: "PDF'en indeholder JavaScript (ikke kørt)"


@dataclass(frozen=True)
class Receipt:
    """Proof that a document is in a case: where it lies in the archive."""

    case_id: str
    document_ref: str  # path in the folder archive, id in a remote system
    sha256: str
    already_filed: bool = False  # the same document was already in this case


class ArchiveUnavailable(Exception):
    """The archive cannot be reached or answered with a transient error: try again later."""


class ArchiveRejected(Exception):
    """The archive refused the request for good (bad case id, document refused): a human must look."""


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Filed:
    """The document is in the case."""

    case_id: str
    document_ref: str
    duplicate: bool = False  # the same bytes were already in this case: nothing new was filed


@dataclass(frozen=True)
class Escalated:
    """A human must place the document; the reason is named."""

    reason: Reason
    detail: str
    escalation_id: int | None = None


@dataclass(frozen=True)
class Retry:
    """Something outside the robot failed for now; try again after this many seconds."""

    after: float
    detail: str


Outcome = Filed | Escalated | Retry
