"""Decides whether a mail comes from a trusted sender organisation, and says why not when it does not."""

from __future__ import annotations

import re
from dataclasses import dataclass

from robot.decisions.senders import Organisation, SenderRules
from robot.model import Letter

_RESULT = re.compile(r"^\s*dkim\s*=\s*pass\b", re.IGNORECASE)
_HEADER_D = re.compile(r"\bheader\.d\s*=\s*([A-Za-z0-9.-]+)", re.IGNORECASE)
_HEADER_I = re.compile(r"\bheader\.i\s*=\s*([^\s;]+)", re.IGNORECASE)


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
    """A dkim=pass result from one of our own gateways whose signing domain is the organisation's."""
    for header in letter.authentication_results:
        authserv_id, *results = header.split(";")
        if not authserv_id.strip() or authserv_id.strip().split()[0].lower() not in authserv_ids:
            continue
        for result in results:
            if _RESULT.match(result) and organisation.owns(_signing_domain(result) or ""):
                return True
    return False


def _signing_domain(result: str) -> str | None:
    """header.d, else the domain part of header.i (its local part is the signer's to choose)."""
    found = _HEADER_D.search(result)
    if found:
        return found.group(1)
    identity = _HEADER_I.search(result)
    if identity and "@" in identity.group(1):
        return identity.group(1).rsplit("@", 1)[1]
    return None
