"""Decides whether a mail comes from a trusted sender organisation, and says why not when it does not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from robot.decisions.senders import Organisation, SenderRules
from robot.model import Letter

_DKIM_PASS = re.compile(r"\bdkim\s*=\s*pass\b[^;]*?\bheader\.[di]\s*=\s*@?([A-Za-z0-9.-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class SenderVerdict:
    organisation: Organisation | None  # None: not trusted
    why: str


def judge_sender(letter: Letter, envelope_sender: str | None, rules: SenderRules) -> SenderVerdict:
    """Trusted only when the From domain belongs to an organisation, the envelope sender (when known)
    belongs to the same one, and DKIM passed at our own gateway where the organisation requires it."""
    if letter.from_addresses > 1:
        return SenderVerdict(None, f"the mail names {letter.from_addresses} From addresses; only one can be judged")
    domain = letter.sender_domain
    if not domain:
        return SenderVerdict(None, "no usable From address")
    if not domain.isascii():
        return SenderVerdict(None, f"From domain {domain!r} is not plain ASCII (look-alike letters?)")
    organisation = rules.organisation_for(domain)
    if organisation is None:
        return SenderVerdict(None, f"From domain {domain} belongs to no trusted organisation")
    if envelope_sender:
        envelope_domain = envelope_sender.rsplit("@", 1)[-1].lower() if "@" in envelope_sender else ""
        if not organisation.owns(envelope_domain):
            return SenderVerdict(None, f"envelope sender domain {envelope_domain or '(none)'} is not "
                                       f"{organisation.name}'s, though From is")
    if organisation.require_dkim and not _dkim_passed(letter, organisation, rules.authserv_ids):
        return SenderVerdict(None, f"{organisation.name} requires DKIM and no Authentication-Results from "
                                   f"{list(rules.authserv_ids)} shows dkim=pass for its domains")
    return SenderVerdict(organisation, f"From domain {domain} belongs to {organisation.name}")


def _dkim_passed(letter: Letter, organisation: Organisation, authserv_ids: tuple[str, ...]) -> bool:
    for header in letter.authentication_results:
        authserv_id = header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""
        if authserv_id not in authserv_ids:
            continue
        for match in _DKIM_PASS.finditer(header):
            if organisation.owns(match.group(1)):
                return True
    return False
