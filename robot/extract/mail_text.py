"""Reads the mail around one attachment as the PDF is read: the person numbers and form codes its text names."""

from __future__ import annotations

import re

from robot.extract.blanket import codes_in
from robot.extract.cpr import find_cpr_in_text
from robot.model import Attachment, CprVerdict, Letter, MailText
from robot.rules.catalogue import Catalogue

# File names join their words with underscores and plus signs: "LAE125_1203651038.pdf".
_FILE_NAME_PARTS = re.compile(r"[_+]")


def read_mail_text(letter: Letter, attachment: Attachment, catalogue: Catalogue) -> MailText:
    """Every number in the subject, body lines and file name parts that may be a person's (the CPR reader's rules:
    only what it rejects outright is left out), and the known form codes of the subject and of the file name."""
    name = attachment.name or ""
    texts = [letter.subject, *_FILE_NAME_PARTS.split(name), *letter.body_text.splitlines()]
    found = find_cpr_in_text(texts)
    cprs = frozenset(c.digits for c in found.candidates if c.verdict is not CprVerdict.REJECTED)
    return MailText(cprs=cprs, subject_forms=tuple(codes_in(letter.subject, catalogue)),
                    file_name_forms=tuple(codes_in(name, catalogue)))
