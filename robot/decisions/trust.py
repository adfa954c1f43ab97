"""Decides whether a mail comes from a trusted sender organisation, and says why not when it does not.

A From domain on the operators' list is necessary and never enough by itself. Besides it:

* our own gateway's Authentication-Results (authserv-id in `senders.toml`) must not report `dmarc=fail`, nor
  `spf=fail` without a `dkim=pass` aligned with the From domain; results stamped by anyone else are ignored;
* the mail came through a trusted channel (a mailbox or listener only the authenticated network can deliver to,
  declared in the configuration), or our gateway reports `dmarc=pass` for the From domain or a `dkim=pass`
  aligned with it;
* an organisation with `require_dkim` needs the aligned `dkim=pass` on every channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from robot.decisions.authresults import AuthenticationResults, MethodResult, stamped_by
from robot.decisions.senders import Organisation, SenderRules
from robot.mail.names import shown_visibly
from robot.model import Letter

# A domain as the mail system sees it: ASCII letters, digits and hyphens in dot-separated labels. Anything else
# (an invisible character, a look-alike letter) makes it another domain, never one of ours.
_PLAIN_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$")


@dataclass(frozen=True)
class SenderVerdict:
    organisation: Organisation | None  # None: not trusted
    why: str


@dataclass(frozen=True)
class _Gateway:
    """What our own gateway reported for this mail."""

    failure: str | None  # why it is untrusted whatever else holds
    passed: str | None  # the pass that authenticates the From domain
    aligned_dkim: bool


def judge_sender(letter: Letter, envelope_sender: str | None, rules: SenderRules, *,
                 trusted_channel: bool = False) -> SenderVerdict:
    """Trusted only when the From domain belongs to an organisation, the envelope sender (when known) belongs to the
    same one, our gateway reports no failure, and the mail is authenticated: by its channel or by our gateway."""
    if letter.from_addresses > 1:
        return SenderVerdict(None, f"the mail names {letter.from_addresses} From addresses; only one can be judged")
    domain = letter.sender_domain
    if not domain:
        return SenderVerdict(None, "no usable From address")
    if not _PLAIN_DOMAIN.match(domain):
        return SenderVerdict(None, f"From domain {shown_visibly(domain)!r} is not a plain ASCII domain name "
                                   "(invisible or look-alike characters make it another domain)")
    organisation = rules.organisation_for(domain)
    if organisation is None:
        return SenderVerdict(None, f"From domain {domain} belongs to no trusted organisation")
    if envelope_sender:
        envelope_domain = envelope_sender.rsplit("@", 1)[-1].lower() if "@" in envelope_sender else ""
        if not _PLAIN_DOMAIN.match(envelope_domain) or not organisation.owns(envelope_domain):
            return SenderVerdict(None, f"envelope sender domain {shown_visibly(envelope_domain) or '(none)'} is not "
                                       f"{organisation.name}'s, though From is")
    gateway = _gateway_verdict(stamped_by(letter.authentication_results, rules.authserv_ids), domain)
    if gateway.failure:
        return SenderVerdict(None, f"our gateway reports {gateway.failure} for From domain {domain}")
    if organisation.require_dkim and not gateway.aligned_dkim:
        return SenderVerdict(None, f"{organisation.name} requires DKIM and no Authentication-Results from "
                                   f"{list(rules.authserv_ids)} shows a dkim=pass aligned with {domain}")
    if trusted_channel:
        return SenderVerdict(organisation, f"From domain {domain} belongs to {organisation.name}; the mail came "
                                           "through a trusted channel")
    if gateway.passed:
        return SenderVerdict(organisation, f"From domain {domain} belongs to {organisation.name}; our gateway "
                                           f"reports {gateway.passed}")
    return SenderVerdict(None, f"From domain {domain} belongs to {organisation.name}, but the mail did not come "
                               f"through a trusted channel and no Authentication-Results from our gateway "
                               f"{list(rules.authserv_ids)} shows dmarc=pass or a dkim=pass aligned with it")


def _gateway_verdict(stamped: list[AuthenticationResults], from_domain: str) -> _Gateway:
    """Any of our gateway's fields reporting a failure sinks the mail: dmarc=fail, or spf=fail where that same field
    shows no dkim=pass aligned with the From domain."""
    aligned_dkim = False
    passes: list[str] = []
    for fields in stamped:
        results = fields.results
        aligned_here = any(r.method == "dkim" and r.result == "pass" and _aligned(_signing_domain(r), from_domain)
                           for r in results)
        if any(r.method == "dmarc" and r.result == "fail" for r in results):
            return _Gateway("dmarc=fail", None, aligned_dkim)
        if any(r.method == "spf" and r.result == "fail" for r in results) and not aligned_here:
            return _Gateway("spf=fail and no dkim=pass aligned with the From domain", None, aligned_dkim)
        aligned_dkim = aligned_dkim or aligned_here
        if any(r.method == "dmarc" and r.result == "pass" and _about(r, from_domain) for r in results):
            passes.append("dmarc=pass")
        if aligned_here:
            passes.append("a dkim=pass aligned with the From domain")
    return _Gateway(None, passes[0] if passes else None, aligned_dkim)


def _about(result: MethodResult, from_domain: str) -> bool:
    """A DMARC result is about this mail's From domain (header.from, when given, names it)."""
    header_from = result.properties.get("header.from")
    return header_from is None or header_from.lower().rstrip(".") == from_domain.rstrip(".")


def _aligned(signing_domain: str | None, from_domain: str) -> bool:
    """Relaxed DMARC alignment: the signing domain is the From domain, or one is a subdomain of the other (never a
    bare top-level domain)."""
    if not signing_domain:
        return False
    d, f = signing_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if "." not in d or not _PLAIN_DOMAIN.match(d):
        return False
    return d == f or f.endswith("." + d) or d.endswith("." + f)


def _signing_domain(result: MethodResult) -> str | None:
    """header.d, else the domain part of header.i (its local part is the signer's to choose)."""
    domain = result.properties.get("header.d")
    if domain:
        return domain
    identity = result.properties.get("header.i", "")
    return identity.rsplit("@", 1)[1] if "@" in identity else None
