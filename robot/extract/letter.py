"""Reads a raw mail or a FHIR Bundle into a Letter, in a parser process: each attachment with the person numbers its
mail names."""

from __future__ import annotations

import re
from dataclasses import replace

from robot.extract.cpr import find_cpr_in_text
from robot.mail.parse import parse_bundle, parse_letter
from robot.mail.smime_open import Decryptor
from robot.model import Attachment, CprVerdict, Letter, Limits

# File names join their words with underscores and plus signs: "LAE125_<the number>.pdf".
_FILE_NAME_PARTS = re.compile(r"[_+]")


def read_letter(raw: bytes, limits: Limits, decryptor: Decryptor | None = None) -> Letter:
    """A raw mail parsed (S/MIME to `decryptor`'s keys opened), each attachment with the numbers its mail names (in
    a parser process: untrusted text)."""
    return with_mentioned_cprs(parse_letter(raw, limits, decryptor))


def read_bundle(raw: bytes, limits: Limits) -> Letter:
    """A FHIR Bundle handed over as a file read into a Letter, each PDF with the numbers its message names (in a
    parser process: untrusted text)."""
    return with_mentioned_cprs(parse_bundle(raw, limits))


def with_mentioned_cprs(letter: Letter) -> Letter:
    """The letter with each attachment's `mentioned_cprs`: every number in the subject, body lines and the file
    name's parts that may be a person's (the CPR reader's rules: only what it rejects outright is left out)."""
    attachments = tuple(replace(attachment, mentioned_cprs=_mentioned_cprs(letter, attachment))
                        for attachment in letter.attachments)
    return replace(letter, attachments=attachments)


def _mentioned_cprs(letter: Letter, attachment: Attachment) -> frozenset[str]:
    texts = [letter.subject, *_FILE_NAME_PARTS.split(attachment.name or ""), *letter.body_text.splitlines()]
    message = attachment.care_communication
    if message is not None:  # the CareCommunication's own topic and text speak about the PDF too
        texts += [message.topic, *message.text.splitlines()]
    found = find_cpr_in_text(texts)
    return frozenset(c.digits for c in found.candidates if c.verdict is not CprVerdict.REJECTED)
