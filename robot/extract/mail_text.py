"""What the mail around one attachment says about it: the person numbers read with the mail (extract/letter.py, in a
parser process) and the form codes its subject and file name name."""

from __future__ import annotations

from robot.extract.blanket import codes_in
from robot.model import Attachment, Letter, MailText
from robot.rules.catalogue import Catalogue


def read_mail_text(letter: Letter, attachment: Attachment, catalogue: Catalogue) -> MailText:
    """What the mail says about one attachment: the numbers read with the mail, and the known form codes of the
    subject and of the file name (by the catalogue in force now)."""
    name = attachment.name or ""
    return MailText(cprs=attachment.mentioned_cprs, subject_forms=tuple(codes_in(letter.subject, catalogue)),
                    file_name_forms=tuple(codes_in(name, catalogue)), smime_notes=letter.smime_notes)
