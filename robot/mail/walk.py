"""Walk of a parsed mail's MIME tree: finds PDFs (also in zips, S/MIME, TNEF and .msg) and body text, within the limits."""

from __future__ import annotations

import binascii
import quopri
from dataclasses import dataclass, field, replace
from email.message import Message
from email.parser import BytesParser

from robot.mail.enclosed import Budget, ContainerTooDeep, ContainerTooLarge, ContainerUnreadable, OutlookMessage
from robot.mail.mime_policy import MAIL_POLICY
from robot.mail.msg import read_msg
from robot.mail.names import cap_length, display_name, safe_name
from robot.mail.parts import (
    PartUnreadable,
    charset,
    children,
    content_type,
    defect_names,
    disposition,
    filename,
    payload,
    raw_payload_text,
    transfer_encoding,
    type_param,
)
from robot.mail.prescan import count_part_delimiters
from robot.mail.smime import SmimeSealed, SmimeUnreadable, content_kind, signed_content
from robot.mail.smime_open import Decryptor, SmimeNotForUs, SmimeUndecryptable
from robot.mail.smime_verify import verify_signed_data
from robot.mail.text import decode_text, html_to_text
from robot.mail.tnef import is_tnef_bytes, read_tnef
from robot.mail.zipped import is_pdf_bytes, is_zip_bytes, pdfs_in_zip
from robot.model import Attachment, Limits, MailProblem, Reason

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
MSG_TYPES = frozenset({"application/vnd.ms-outlook"})
PKCS7_MIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})
BODY_TYPES = frozenset({"text/plain", "text/html"})
_ENVELOPED = "enveloped-data"
_SEALED_SMIME_TYPES = frozenset({"authenveloped-data", "compressed-data"})
_NO_MAGIC_PREFIXES = ("text/", "multipart/", "message/")
_ENCODED_FORWARD = frozenset({"base64", "quoted-printable"})
# Defects that payload() already reports as the part's own problem.
_DEFECTS_REPORTED_AS_UNREADABLE = frozenset({"InvalidBase64LengthDefect"})
# A TNEF attachment takes about seven objects; the message itself a dozen or two.
_TNEF_OBJECTS_PER_PART = 16
_CONTAINER_REASONS = {"tnef": Reason.TNEF_UNREADABLE, "msg": Reason.MSG_UNREADABLE}


class WalkStopped(Exception):
    """A structure limit (parts or depth) was passed; the problem is already recorded."""


@dataclass
class _Texts:
    """The plain and HTML body parts of one message (the mail itself or one forwarded mail)."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def add(self, ctype: str, text: str) -> None:
        (self.plain if ctype == "text/plain" else self.html).append(text)

    def text(self) -> str:
        if self.plain:
            return "\n".join(part.strip("\n") for part in self.plain).strip()
        return "\n\n".join(html_to_text(part) for part in self.html).strip()


@dataclass(frozen=True)
class WalkResult:
    """What the walk found: the PDFs it may hand on, the problems, and the mail's body text."""

    attachments: tuple[Attachment, ...]
    problems: tuple[MailProblem, ...]
    body_text: str
    smime_notes: tuple[str, ...] = ()


def parse_entity(raw: bytes) -> Message:
    """Parse bytes as a MIME message with the modern policy (may raise RecursionError when deep)."""
    return BytesParser(policy=MAIL_POLICY).parsebytes(raw)


def child_path(prefix: str, index: int) -> str:
    """IMAP-style section number of the index-th (1-based) child under `prefix`."""
    return f"{prefix}.{index}" if prefix else str(index)


def _is_container(entity: Message, ctype: str) -> bool:
    """True for a multipart whose parts the parser could split."""
    return ctype.startswith("multipart/") and entity.is_multipart()


def _addressed_as_container(entity: Message) -> bool:
    """True when a message's body is a multipart (its parts get the numbers, not the message)."""
    try:
        return _is_container(entity, content_type(entity))
    except PartUnreadable:
        return False  # reported when the entity itself is visited


def _transfer_decode(text: str, encoding: str) -> bytes:
    """Undo base64 or quoted-printable on text the parser kept undecoded."""
    data = text.encode("ascii", "surrogateescape")
    if encoding == "quoted-printable":
        return quopri.decodestring(data)
    try:
        return binascii.a2b_base64(data, strict_mode=False)
    except binascii.Error as exc:
        raise PartUnreadable(f"forwarded message base64 cannot be decoded ({exc})") from exc


class _Walker:
    """One walk over one mail; collects attachments, problems and texts as it goes."""

    def __init__(self, limits: Limits, decryptor: Decryptor | None = None) -> None:
        self.limits = limits
        self.decryptor = decryptor
        self.smime_notes: list[str] = []
        self.parts = 0
        self.pdf_count = 0
        self.unpacked = Budget(limits.zip_max_total_bytes)  # bytes taken out of zips, TNEF and .msg files
        self.withheld = False  # something that may hold a PDF could not be taken
        self.attachments: list[Attachment] = []
        self.problems: list[MailProblem] = []
        self.content_types: list[str] = []
        self.messages: list[_Texts] = []

    # ---------------------------------------------------------------- bookkeeping

    def problem(self, reason: Reason, detail: str, path: str | None, lost: bool = True) -> None:
        self.problems.append(MailProblem(reason, detail, part=path or None, lost=lost))

    def withhold(self, reason: Reason, detail: str, path: str | None) -> None:
        """Record a problem that may hide a PDF, so the mail is not called PDF-less."""
        self.withheld = True
        self.problem(reason, detail, path)

    def count_part(self, path: str) -> None:
        self.parts += 1
        if self.parts > self.limits.mail_max_parts:
            self.problem(Reason.TOO_MANY_PARTS, f"more than {self.limits.mail_max_parts} MIME parts", path)
            raise WalkStopped

    def enter(self, depth: int, path: str) -> int:
        """The nesting level of a container at `depth`; stops the walk when it is too deep."""
        level = depth + 1
        if level > self.limits.mail_max_depth:
            self.problem(Reason.MIME_TOO_DEEP, f"MIME nesting deeper than {self.limits.mail_max_depth}", path)
            raise WalkStopped
        return level

    def add_pdf(self, attachment: Attachment) -> None:
        """Keep a PDF while within the PDF limit; past it only count (the walk result refuses all)."""
        self.pdf_count += 1
        if self.pdf_count <= self.limits.mail_max_pdfs:
            self.attachments.append(attachment)

    def parse_nested(self, raw: bytes, path: str) -> Message:
        """Parse an entity found inside a part (opened S/MIME, encoded forward) within the limits."""
        delimiters = count_part_delimiters(raw)
        if self.parts + delimiters > self.limits.mail_max_parts:
            self.problem(Reason.TOO_MANY_PARTS, f"more than {self.limits.mail_max_parts} MIME parts", path)
            raise WalkStopped
        try:
            return parse_entity(raw)
        except RecursionError:
            self.problem(Reason.MIME_TOO_DEEP, "MIME nesting too deep to parse", path)
            raise WalkStopped from None

    # ---------------------------------------------------------------- the tree

    def visit_message(self, msg: Message, prefix: str, depth: int) -> None:
        """A mail or a forwarded mail: its body text is kept apart from the other messages'."""
        texts = _Texts()
        self.messages.append(texts)
        self.visit_body(msg, prefix, depth, texts)

    def visit_body(self, entity: Message, prefix: str, depth: int, texts: _Texts) -> None:
        """An entity addressed like a message: a multipart's parts are prefix.N, a single part is prefix.1."""
        if _addressed_as_container(entity):
            self.visit(entity, prefix, depth, texts)
        else:
            self.visit(entity, child_path(prefix, 1), depth, texts)

    def visit(self, entity: Message, path: str, depth: int, texts: _Texts) -> None:
        self.count_part(path)
        try:
            self.dispatch(entity, path, depth, texts)
        except PartUnreadable as exc:
            self.withhold(Reason.MALFORMED_MIME, str(exc), path)
        defects = [name for name in defect_names(entity) if name not in _DEFECTS_REPORTED_AS_UNREADABLE]
        if defects:
            self.problem(Reason.MALFORMED_MIME, "MIME defects: " + ", ".join(defects), path, lost=False)

    def dispatch(self, entity: Message, path: str, depth: int, texts: _Texts) -> None:
        ctype = content_type(entity)
        self.content_types.append(ctype)
        if _is_container(entity, ctype):
            self.visit_multipart(entity, ctype, path, depth, texts)
        elif ctype in FORWARD_TYPES and entity.is_multipart():
            self.visit_forward(entity, path, depth)
        elif ctype in PKCS7_MIME_TYPES or self.is_p7m_file(entity, ctype):
            self.visit_smime(entity, path, depth, texts)
        elif not entity.is_multipart():  # message/delivery-status and the like hold header blocks only
            self.visit_leaf(entity, ctype, path, depth, texts)

    def visit_multipart(self, entity: Message, ctype: str, path: str, depth: int, texts: _Texts) -> None:
        level = self.enter(depth, path)
        parts = children(entity)
        if ctype == "multipart/signed":
            parts = parts[:1]  # the signed content; the signature part holds no document
            if self.decryptor is not None and self.decryptor.anchors:  # its exact bytes are not kept by the parser
                self.smime_notes.append(f"part {path or '1'}: signature unverifiable (a detached multipart/signed "
                                        f"signature is not checked)")
        for index, part in enumerate(parts, start=1):
            self.visit(part, child_path(path, index), level, texts)

    def visit_forward(self, entity: Message, path: str, depth: int) -> None:
        level = self.enter(depth, path)
        self.visit_message(self.forwarded_message(entity, path), path, level)

    def forwarded_message(self, entity: Message, path: str) -> Message:
        """The mail inside a message/rfc822 part, re-parsed when it was (wrongly) transfer-encoded."""
        enclosed = children(entity)
        if not enclosed:
            raise PartUnreadable("message/rfc822 part holds no message")
        encoding = transfer_encoding(entity)
        if encoding in _ENCODED_FORWARD and not enclosed[0].keys():
            return self.parse_nested(_transfer_decode(raw_payload_text(enclosed[0]), encoding), path)
        return enclosed[0]

    @staticmethod
    def is_p7m_file(entity: Message, ctype: str) -> bool:
        """An S/MIME object sent as application/octet-stream named *.p7m (older clients do this)."""
        name = filename(entity)
        return ctype == "application/octet-stream" and name is not None and name.lower().endswith(".p7m")

    def visit_smime(self, entity: Message, path: str, depth: int, texts: _Texts) -> None:
        smime_type = (type_param(entity, "smime-type") or "").strip().lower()
        if smime_type in _SEALED_SMIME_TYPES:
            self.withhold(Reason.SMIME_ENCRYPTED, f"S/MIME {smime_type} cannot be opened", path)
            return
        if smime_type == "certs-only":
            return
        level = self.enter(depth, path)
        data = payload(entity)
        try:
            enveloped = smime_type == _ENVELOPED or (not smime_type and content_kind(data) == "enveloped_data")
            inner = b"" if enveloped else signed_content(data)
        except SmimeSealed as exc:
            self.withhold(Reason.SMIME_ENCRYPTED, str(exc), path)
            return
        except SmimeUnreadable as exc:
            self.withhold(Reason.MALFORMED_MIME, str(exc), path)
            return
        if enveloped:
            self.visit_enveloped(data, path, level, texts)
            return
        if self.decryptor is not None and self.decryptor.anchors:
            self.smime_notes.append(f"part {path}: signature {verify_signed_data(data, self.decryptor.anchors)}")
        self.visit_body(self.parse_nested(inner, path), path, level, texts)

    def visit_enveloped(self, data: bytes, path: str, level: int, texts: _Texts) -> None:
        """Decrypt with the configured key it names and walk what it held, like any mail; else name why not."""
        if self.decryptor is None or not self.decryptor.has_keys:
            self.withhold(Reason.SMIME_ENCRYPTED, "S/MIME enveloped-data cannot be opened (no decryption key is "
                                                  "configured: smime.keys)", path)
            return
        try:
            opened = self.decryptor.open(data)
        except SmimeNotForUs as exc:
            self.withhold(Reason.SMIME_ENCRYPTED, str(exc), path)
            return
        except SmimeUndecryptable as exc:
            self.withhold(Reason.SMIME_UNDECRYPTABLE, str(exc), path)
            return
        # No size check of its own: CBC content is no longer than its ciphertext, which the mail limit bounds;
        # the part, depth and PDF limits meet the decrypted mail in parse_nested and the walk.
        self.smime_notes.append(f"part {path}: decrypted with {opened.label}")
        self.visit_body(self.parse_nested(opened.content, path), path, level, texts)

    def visit_leaf(self, entity: Message, ctype: str, path: str, depth: int, texts: _Texts) -> None:
        name = filename(entity)
        named = (name or "").strip().lower()
        if ctype in BODY_TYPES and disposition(entity) != "attachment" and not named.endswith(".pdf"):
            texts.add(ctype, decode_text(payload(entity), charset(entity)))
            return
        self.visit_file(payload(entity), ctype, name, path, depth)

    def visit_file(self, data: bytes, ctype: str, name: str | None, path: str, depth: int) -> None:
        """An attached file (a MIME leaf, or a file inside TNEF or .msg): a PDF, or a container that may hold one."""
        named = (name or "").strip().lower()
        magic_allowed = not ctype.startswith(_NO_MAGIC_PREFIXES)
        # A stored zip or a TNEF stream shows its members' '%PDF-' early, so they are told apart before PDF magic.
        if ctype in PDF_TYPES or named.endswith(".pdf"):
            self.add_pdf(Attachment(display_name(name, path), ctype, data, path))
        elif ctype in ZIP_TYPES or named.endswith(".zip") or (magic_allowed and is_zip_bytes(data)):
            self.visit_zip(data, path, safe_name(name))
        elif ctype in TNEF_TYPES or named == "winmail.dat" or (magic_allowed and is_tnef_bytes(data)):
            self.visit_outlook("tnef", data, path, depth)
        elif ctype in MSG_TYPES or named.endswith(".msg"):
            self.visit_outlook("msg", data, path, depth)
        elif magic_allowed and is_pdf_bytes(data):
            self.add_pdf(Attachment(display_name(name, path), ctype, data, path))

    def visit_outlook(self, kind: str, data: bytes, path: str, depth: int) -> None:
        """A TNEF stream or an attached .msg mail: its text joins the mail's, its attachments are walked as parts."""
        level = self.enter(depth, path)
        depth_left = self.limits.mail_max_depth - level
        try:
            if kind == "tnef":
                max_objects = _TNEF_OBJECTS_PER_PART * self.limits.mail_max_parts
                message = read_tnef(data, depth_left, self.unpacked, max_objects)
            else:
                message = read_msg(data, depth_left, self.unpacked, self.limits.mail_max_parts)
        except ContainerUnreadable as exc:
            self.withhold(_CONTAINER_REASONS[kind], str(exc), path)
            return
        except ContainerTooLarge as exc:
            self.withhold(Reason.MAIL_TOO_LARGE, str(exc), path)
            return
        except ContainerTooDeep as exc:
            self.problem(Reason.MIME_TOO_DEEP, f"{exc} (limits.mail_max_depth = {self.limits.mail_max_depth})", path)
            raise WalkStopped from None
        self.visit_outlook_message(message, kind, path, level)

    def visit_outlook_message(self, message: OutlookMessage, kind: str, path: str, level: int) -> None:
        """One Outlook message's text kept apart like a forwarded mail's; each attachment is `path/kind:name`."""
        texts = _Texts()
        self.messages.append(texts)
        texts.add("text/plain", "\n".join(text for text in (message.subject, message.body) if text))
        for index, enclosed in enumerate(message.attachments, start=1):
            inner = f"{path}/{kind}:{safe_name(enclosed.name) or f'#{index}'}"
            self.count_part(inner)
            if enclosed.message is not None:
                self.visit_outlook_message(enclosed.message, kind, inner, self.enter(level, inner))
            else:
                self.visit_file(enclosed.data, "application/octet-stream", enclosed.name, inner, level)

    def visit_zip(self, data: bytes, path: str, zip_name: str | None) -> None:
        budget = max(self.unpacked.limit - self.unpacked.used, 0)
        result = pdfs_in_zip(data, path, self.limits, budget)
        self.unpacked.used += result.bytes_read
        for attachment in result.attachments:
            # a member shows as "bilag.zip/attest1.pdf": where it came from, as display text only
            shown = f"{zip_name or f'part-{path}.zip'}/{attachment.name}"
            self.add_pdf(replace(attachment, name=cap_length(shown)))
        if result.problems:
            self.withheld = True
            self.problems.extend(result.problems)

    # ---------------------------------------------------------------- the result

    def result(self, stopped: bool) -> WalkResult:
        attachments = self.kept_attachments(stopped)
        body = "\n\n".join(text for text in (texts.text() for texts in self.messages) if text)
        return WalkResult(attachments, tuple(self.problems), body, tuple(self.smime_notes))

    def kept_attachments(self, stopped: bool) -> tuple[Attachment, ...]:
        """All PDFs found, or none when a limit refused the mail; adds TOO_MANY_PDFS / NO_PDF."""
        if stopped:
            return ()
        if self.pdf_count > self.limits.mail_max_pdfs:
            self.problem(Reason.TOO_MANY_PDFS, f"{self.pdf_count} PDFs > {self.limits.mail_max_pdfs}", None)
            return ()
        if not self.attachments and not self.withheld:
            self.problem(Reason.NO_PDF, "no PDF among the parts: " + ", ".join(self.content_types), None)
        return tuple(self.attachments)


def walk_mail(msg: Message, limits: Limits, decryptor: Decryptor | None = None) -> WalkResult:
    """Walk the whole parsed mail, decrypting S/MIME addressed to `decryptor`'s keys; a limit passed refuses every
    attachment, never raises WalkStopped."""
    walker = _Walker(limits, decryptor)
    try:
        walker.visit_message(msg, prefix="", depth=0)
    except WalkStopped:
        return walker.result(stopped=True)
    return walker.result(stopped=False)
