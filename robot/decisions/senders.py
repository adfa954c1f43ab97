"""The trusted sender organisations, loaded and validated from rules/senders.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.rules.rulefile import RuleFile, RuleFileError, RuleProblem

_TOP_KEYS = {"authserv_ids", "escalate_active_pdf", "organisation"}
SHIPPED_AUTHSERV_ID = "mx.kommune.example"  # the placeholder in the shipped senders.toml
_RESERVED_TOP_LEVEL = frozenset({"example", "invalid", "test", "localhost"})
_ORGANISATION_KEYS = {"name", "domains", "sor", "ean", "require_dkim", "escalate_active_pdf"}
_SOR = re.compile(r"^[0-9]{6,18}$")  # a SOR code: digits, 15-16 today (Sundhedsvæsenets Organisationsregister)
_EAN = re.compile(r"^[0-9]{13}$")  # an EAN (GLN) location number: 13 digits
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Organisation:
    """A trusted sender: its name and the mail domains (with their subdomains) it sends from, and the SOR and EAN
    (GLN) numbers its MedCom messages name it by."""

    name: str
    domains: tuple[str, ...]
    require_dkim: bool = False
    escalate_active_pdf: bool | None = None  # None: the file's top-level escalate_active_pdf decides
    sor: tuple[str, ...] = ()
    ean: tuple[str, ...] = ()

    def owns(self, domain: str) -> bool:
        """True when `domain` is one of ours or a subdomain of one (suffix match on a dot)."""
        domain = domain.lower().rstrip(".")
        return any(domain == own or domain.endswith("." + own) for own in self.domains)


@dataclass(frozen=True)
class SenderRules:
    authserv_ids: tuple[str, ...]
    organisations: tuple[Organisation, ...]
    escalate_active_pdf: bool = False  # for every organisation that does not say otherwise

    def organisation_for(self, domain: str) -> Organisation | None:
        return next((o for o in self.organisations if o.owns(domain)), None)

    def organisations_for_numbers(self, sor: tuple[str, ...], ean: tuple[str, ...]) -> tuple[Organisation, ...]:
        """Every organisation one of these SOR or EAN numbers belongs to (more than one: they contradict)."""
        return tuple(o for o in self.organisations if set(sor) & set(o.sor) or set(ean) & set(o.ean))

    def escalates_active_pdf(self, organisation: Organisation) -> bool:
        """Whether a PDF from `organisation` with active content (or one that could not be checked) goes to a human."""
        own = organisation.escalate_active_pdf
        return self.escalate_active_pdf if own is None else own

    def placeholder_authserv_ids(self) -> tuple[str, ...]:
        """authserv-ids still as shipped (example or reserved names): nobody's gateway, so anyone may write them."""
        return tuple(a for a in self.authserv_ids if a == SHIPPED_AUTHSERV_ID or a.rsplit(".", 1)[-1] in
                     _RESERVED_TOP_LEVEL)


def load_senders(path: Path) -> SenderRules:
    """Read and validate the trusted senders; raises RuleFileError listing every problem."""
    rules = RuleFile.read(path)
    problems: list[RuleProblem] = []
    data = rules.data
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(rules.problem(f"unknown key '{key}' (expected one of {sorted(_TOP_KEYS)})", key=key))
    authserv_ids = data.get("authserv_ids", [])
    if not isinstance(authserv_ids, list) or not all(isinstance(a, str) and a.strip() for a in authserv_ids):
        problems.append(rules.problem("'authserv_ids' must be a list of host names", key="authserv_ids"))
        authserv_ids = []
    escalate_active_pdf = data.get("escalate_active_pdf", False)
    if not isinstance(escalate_active_pdf, bool):
        problems.append(rules.problem("'escalate_active_pdf' must be true or false", key="escalate_active_pdf"))
        escalate_active_pdf = False
    organisations = _organisations(rules, problems, data.get("organisation", []))
    for index, organisation in enumerate(organisations):
        for other in organisations:
            if other is not organisation and any(other.owns(d) and d not in other.domains for d in organisation.domains):
                problems.append(rules.problem(f"{organisation.name!r} lists a domain inside {other.name!r}'s; "
                                              "a mail domain must belong to one organisation only",
                                              "organisation", index, "domains"))
    if any(o.require_dkim for o in organisations) and not authserv_ids:
        problems.append(rules.problem("an organisation requires DKIM but 'authserv_ids' names no mail gateway "
                                      "whose Authentication-Results can be believed", key="authserv_ids"))
    if problems:
        raise RuleFileError(problems)
    return SenderRules(tuple(a.strip().lower() for a in authserv_ids), tuple(organisations), escalate_active_pdf)


def _organisations(rules: RuleFile, problems: list[RuleProblem], entries: Any) -> list[Organisation]:
    if not isinstance(entries, list):
        problems.append(rules.problem("'organisation' must be an array of tables: [[organisation]]",
                                      key="organisation"))
        return []
    organisations: list[Organisation] = []
    seen_domains: dict[str, str] = {}
    seen_numbers: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(rules.problem("each 'organisation' must be a table", "organisation", index))
            continue
        for key in sorted(set(entry) - _ORGANISATION_KEYS):
            problems.append(rules.problem(f"unknown key '{key}' in [[organisation]] (expected one of "
                                          f"{sorted(_ORGANISATION_KEYS)})", "organisation", index, key))
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(rules.problem("'name' must be a non-empty string", "organisation", index, "name"))
            name = ""
        sor = _numbers(rules, problems, entry, index, "sor", _SOR, "a SOR code (6-18 digits)", seen_numbers, name)
        ean = _numbers(rules, problems, entry, index, "ean", _EAN, "an EAN (GLN) number (13 digits)", seen_numbers,
                       name)
        domains = entry.get("domains", [] if sor or ean else None)
        if not isinstance(domains, list) or not (domains or sor or ean):
            problems.append(rules.problem("'domains' must be a non-empty list of domain names (it may be left out "
                                          "when 'sor' or 'ean' names the organisation)", "organisation",
                                          index, "domains" if "domains" in entry else None))
            domains = []
        clean: list[str] = []
        for domain in domains:
            text = domain.strip().lower().rstrip(".") if isinstance(domain, str) else ""
            if not _DOMAIN.match(text):
                problems.append(rules.problem(f"{domain!r} is not a domain name (ASCII, e.g. \"rn.dk\")",
                                              "organisation", index, "domains"))
                continue
            if text in seen_domains:
                problems.append(rules.problem(f"domain {text} is also listed under {seen_domains[text]!r}",
                                              "organisation", index, "domains"))
            seen_domains[text] = name
            clean.append(text)
        require_dkim = entry.get("require_dkim", False)
        if not isinstance(require_dkim, bool):
            problems.append(rules.problem("'require_dkim' must be true or false", "organisation", index,
                                          "require_dkim"))
            require_dkim = False
        escalate = entry.get("escalate_active_pdf")
        if escalate is not None and not isinstance(escalate, bool):
            problems.append(rules.problem("'escalate_active_pdf' must be true or false", "organisation", index,
                                          "escalate_active_pdf"))
            escalate = None
        organisations.append(Organisation(name=name.strip(), domains=tuple(clean), require_dkim=require_dkim,
                                          escalate_active_pdf=escalate, sor=sor, ean=ean))
    return organisations


def _numbers(rules: RuleFile, problems: list[RuleProblem], entry: dict[str, Any], index: int, key: str,
             shape: re.Pattern[str], expected: str, seen: dict[str, str], name: Any) -> tuple[str, ...]:
    """An organisation's SOR or EAN numbers: a list of strings of digits, none listed under two organisations."""
    values = entry.get(key, [])
    if not isinstance(values, list):
        problems.append(rules.problem(f"'{key}' must be a list of strings, each {expected}", "organisation", index,
                                      key))
        return ()
    clean: list[str] = []
    for value in values:
        if not isinstance(value, str) or not shape.match(value.strip()):
            problems.append(rules.problem(f"{value!r} is not {expected}, written as a string", "organisation",
                                          index, key))
            continue
        number = value.strip()
        if f"{key}:{number}" in seen:
            problems.append(rules.problem(f"{key} {number} is also listed under {seen[f'{key}:{number}']!r}",
                                          "organisation", index, key))
        seen[f"{key}:{number}"] = name if isinstance(name, str) else ""
        clean.append(number)
    return tuple(clean)
