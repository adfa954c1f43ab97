"""judge_sender: a mail is trusted only when From and envelope point to one organisation, our gateway reports no
failure, and the mail is authenticated: by a trusted channel, or by our gateway's dmarc=pass or aligned dkim=pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.decisions.senders import Organisation, SenderRules, load_senders
from robot.decisions.trust import judge_sender
from robot.mail.parse import parse_letter
from robot.model import Letter, Limits

RULES = Path(__file__).parents[2] / "rules"
SHIPPED = load_senders(RULES / "senders.toml")
GATEWAY = "mx.kommune.example"
DKIM_RULES = SenderRules(
    authserv_ids=(GATEWAY,),
    organisations=(Organisation("Region Nordjylland", ("rn.dk",), require_dkim=True),
                   Organisation("Region Hovedstaden", ("regionh.dk",))),
)


def raw_mail(*headers: str, body: str = "Hermed attesten.") -> bytes:
    """A plain-text mail whose header block is exactly `headers` (plus To, Subject and MIME headers)."""
    lines = [*headers, "To: jobcenter@kommune.example", "Subject: LÆ 125", "Message-ID: <m1@example>",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def letter(*headers: str) -> Letter:
    return parse_letter(raw_mail(*headers), Limits())


def passed(domain: str) -> str:
    """What our gateway stamps on a mail that authenticated as `domain`."""
    return (f"Authentication-Results: {GATEWAY}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
            f"dmarc=pass header.from={domain}")


def trusted(*headers: str, envelope: str | None = None, rules: SenderRules = SHIPPED,
            channel: bool = False) -> str | None:
    """The name of the organisation the mail is trusted as, or None."""
    verdict = judge_sender(letter(*headers), envelope, rules, trusted_channel=channel)
    assert verdict.why  # every verdict explains itself
    return verdict.organisation.name if verdict.organisation else None


# ---------------------------------------------------------------- From domain


@pytest.mark.parametrize("address, organisation", [
    ("psyk@rn.dk", "Region Nordjylland"),
    ("Afsnit P1 <sekretaer@psykiatri.rn.dk>", "Region Nordjylland"),
    ("LAEGE@PSYKIATRI.RN.DK", "Region Nordjylland"),
    ("a@regionmidtjylland.dk", "Region Midtjylland"),
    ("a@rm.dk", "Region Midtjylland"),
])
def test_from_domain_and_its_subdomains_are_trusted_when_authenticated(address: str, organisation: str) -> None:
    domain = address.rsplit("@", 1)[1].strip(">").lower()
    assert trusted(f"From: {address}", passed(domain)) == organisation
    assert trusted(f"From: {address}", channel=True) == organisation
    assert trusted(f"From: {address}") is None  # a From header alone is what a forger writes


@pytest.mark.parametrize("address", [
    "psyk@rn-dk.com",
    "psyk@rn.dk.evil.com",
    "psyk@xrn.dk",
    "psyk@evil.com",
    "psyk@xn--rn-dk-7qa.dk",  # punycode of a look-alike: another domain
    '"psyk@rn.dk" <evil@evil.com>',  # the display name is no address
])
def test_look_alike_from_domains_are_not_trusted(address: str) -> None:
    verdict = judge_sender(letter(f"From: {address}"), None, SHIPPED, trusted_channel=True)
    assert verdict.organisation is None
    assert "no trusted organisation" in verdict.why


def test_a_mail_without_from_is_not_trusted() -> None:
    verdict = judge_sender(letter(), None, SHIPPED)
    assert verdict.organisation is None
    assert verdict.why == "no usable From address"


@pytest.mark.parametrize("address", [
    "psyk@rn.d\u043a",  # Cyrillic ka
    "psyk@r\u043f.dk",  # Cyrillic pe
    "psyk@psykiatri.\u0433n.dk",
    "psyk@psyk\u0456atri.rn.dk",  # Ukrainian i in a subdomain of a trusted domain
])
def test_non_ascii_look_alike_domain_is_not_trusted(address: str) -> None:
    parsed = letter(f"From: {address}", passed(address.rsplit("@", 1)[1]))
    assert parsed.sender == address  # the parser kept the look-alike letters: the decision is trust's
    assert judge_sender(parsed, None, SHIPPED, trusted_channel=True).organisation is None


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"])
def test_an_invisible_character_in_the_from_domain_makes_another_domain(invisible: str) -> None:
    parsed = letter(f"From: Region <psyk@rn{invisible}.dk>", passed("rn.dk"))
    assert parsed.sender == f"psyk@rn{invisible}.dk"  # kept as the mail system sees it
    verdict = judge_sender(parsed, None, SHIPPED, trusted_channel=True)
    assert verdict.organisation is None
    assert f"<U+{ord(invisible):04X}>" in verdict.why  # shown visibly to the person who reads why


# ---------------------------------------------------------------- envelope sender


def test_envelope_sender_of_another_domain_makes_the_mail_untrusted() -> None:
    verdict = judge_sender(letter("From: psyk@rn.dk"), "bounce@evil.com", SHIPPED)
    assert verdict.organisation is None
    assert "envelope sender domain evil.com" in verdict.why


def test_envelope_sender_of_another_trusted_organisation_is_not_enough() -> None:
    assert trusted("From: psyk@rn.dk", envelope="bounce@regionh.dk") is None


def test_envelope_sender_from_a_subdomain_of_the_same_organisation_is_trusted() -> None:
    assert trusted("From: psyk@rn.dk", passed("rn.dk"), envelope="Bounces@Mail.Psykiatri.RN.dk") == "Region Nordjylland"


def test_envelope_sender_without_a_domain_is_untrusted() -> None:
    assert trusted("From: psyk@rn.dk", envelope="bounce") is None


# ---------------------------------------------------------------- DKIM


def test_require_dkim_with_our_gateways_pass_is_trusted() -> None:
    headers = ("From: psyk@rn.dk",
               (f"Authentication-Results: {GATEWAY}; spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk "
               "header.s=sel1"))
    assert trusted(*headers, rules=DKIM_RULES) == "Region Nordjylland"


def test_require_dkim_pass_for_a_subdomain_via_header_i() -> None:
    headers = ("From: psyk@psykiatri.rn.dk",
               f"Authentication-Results: {GATEWAY} 1; dkim=pass (2048-bit key) header.i=@psykiatri.rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) == "Region Nordjylland"


def test_require_dkim_without_any_authentication_results_is_untrusted() -> None:
    verdict = judge_sender(letter("From: psyk@rn.dk"), None, DKIM_RULES)
    assert verdict.organisation is None
    assert "requires DKIM" in verdict.why


def test_require_dkim_pass_from_a_foreign_authserv_id_is_untrusted() -> None:
    headers = ("From: psyk@rn.dk", "Authentication-Results: mx.evil.com; dkim=pass header.d=rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) is None


def test_require_dkim_authserv_id_must_match_exactly() -> None:
    headers = ("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}.evil.com; dkim=pass header.d=rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) is None


@pytest.mark.parametrize("result", ["fail", "none", "neutral", "temperror", "policy", "passed"])
def test_require_dkim_that_did_not_pass_is_untrusted(result: str) -> None:
    headers = ("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; dkim={result} header.d=rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) is None


@pytest.mark.parametrize("domain", ["evil.com", "rn.dk.evil.com", "xrn.dk", "regionh.dk"])
def test_require_dkim_pass_for_another_domain_is_untrusted(domain: str) -> None:
    headers = ("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; dkim=pass header.d={domain}")
    assert trusted(*headers, rules=DKIM_RULES) is None


def test_require_dkim_pass_only_in_a_foreign_header_beside_our_fail() -> None:
    headers = ("From: psyk@rn.dk",
               f"Authentication-Results: {GATEWAY}; dkim=fail header.d=rn.dk",
               "Authentication-Results: mx.evil.com; dkim=pass header.d=rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) is None


def test_organisation_without_require_dkim_is_trusted_on_a_dmarc_pass_alone() -> None:
    headers = ("From: a@regionh.dk", f"Authentication-Results: {GATEWAY}; dkim=fail header.d=regionh.dk; "
               "dmarc=pass header.from=regionh.dk")
    assert trusted(*headers, rules=DKIM_RULES) == "Region Hovedstaden"


def test_require_dkim_holds_on_a_trusted_channel_too() -> None:
    assert trusted("From: psyk@rn.dk", rules=DKIM_RULES, channel=True) is None
    assert trusted("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; dkim=pass header.d=rn.dk",
                   rules=DKIM_RULES, channel=True) == "Region Nordjylland"


# ---------------------------------------------------------------- our gateway's results, on every channel


def test_the_forgery_our_gateway_caught_is_never_trusted() -> None:
    forged = ("From: Psykiatrien <attester@psykiatri.rn.dk>",
              f"Authentication-Results: {GATEWAY}; spf=fail smtp.mailfrom=psykiatri.rn.dk; dkim=none; dmarc=fail "
              "header.from=psykiatri.rn.dk")
    assert trusted(*forged) is None
    assert trusted(*forged, channel=True) is None  # a failure from our gateway outweighs the channel
    verdict = judge_sender(letter(*forged), None, SHIPPED, trusted_channel=True)
    assert "dmarc=fail" in verdict.why


@pytest.mark.parametrize("results", [
    "dmarc=fail",
    "spf=pass smtp.mailfrom=rn.dk; dkim=pass header.d=rn.dk; dmarc=fail header.from=rn.dk",
    "spf=fail smtp.mailfrom=rn.dk",
    "spf=fail smtp.mailfrom=rn.dk; dkim=pass header.d=evil.com",
    "spf=fail smtp.mailfrom=rn.dk; dkim=none",
])
def test_a_failure_from_our_gateway_makes_the_mail_untrusted_whatever_else(results: str) -> None:
    headers = ("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; {results}", passed("rn.dk"))
    assert trusted(*headers) is None
    assert trusted(*headers, channel=True) is None


def test_spf_fail_with_an_aligned_dkim_pass_is_trusted() -> None:
    # a forwarded mail breaks SPF and keeps its DKIM signature
    headers = ("From: psyk@psykiatri.rn.dk",
               f"Authentication-Results: {GATEWAY}; spf=fail smtp.mailfrom=fwd.example; dkim=pass header.d=rn.dk")
    assert trusted(*headers) == "Region Nordjylland"


@pytest.mark.parametrize("results", [
    "spf=pass smtp.mailfrom=rn.dk",  # SPF alone says nothing about From
    "dkim=pass header.d=evil.com",
    "dkim=pass header.d=dk",
    "dmarc=pass header.from=evil.com",
    "dmarc=none; dkim=none; spf=none",
    "dkim=neutral header.d=rn.dk; dmarc=temperror",
])
def test_without_dmarc_pass_or_aligned_dkim_pass_the_mail_is_untrusted(results: str) -> None:
    assert trusted("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; {results}") is None


@pytest.mark.parametrize("results", [
    "dmarc=pass header.from=rn.dk",
    "dmarc=pass",
    "dkim=pass header.d=rn.dk",
    "dkim=pass header.d=psykiatri.rn.dk",  # relaxed alignment: a subdomain of the From domain
    "dkim=pass (1024-bit key; unprotected) header.d=rn.dk header.b=\"ab;cd\"",  # comments and quotes keep ';'
    "DKIM=PASS header.d=RN.DK",
])
def test_our_gateways_dmarc_pass_or_aligned_dkim_pass_is_trusted(results: str) -> None:
    assert trusted("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; {results}") == "Region Nordjylland"


@pytest.mark.parametrize("authserv", ["mx.evil.com", f"{GATEWAY}.evil.com", f"evil.{GATEWAY}", "mx.kommune"])
def test_results_stamped_by_anyone_else_are_ignored(authserv: str) -> None:
    assert trusted("From: psyk@rn.dk", f"Authentication-Results: {authserv}; dkim=pass header.d=rn.dk; "
                   "dmarc=pass header.from=rn.dk") is None
    # and a failure stamped by anyone else does not sink a mail that came through a trusted channel
    assert trusted("From: psyk@rn.dk", f"Authentication-Results: {authserv}; dmarc=fail", channel=True) == (
        "Region Nordjylland")


# ---------------------------------------------------------------- several From headers


def test_two_from_headers_make_the_mail_untrusted_even_when_the_first_is_trusted() -> None:
    parsed = letter("From: psyk@rn.dk", "From: someone@evil.com")
    assert parsed.sender == "psyk@rn.dk"
    assert any("2 From headers" in p.detail for p in parsed.problems)
    verdict = judge_sender(parsed, "bounce@rn.dk", SHIPPED)
    assert verdict.organisation is None
    assert "2 From" in verdict.why


def test_two_identical_trusted_from_headers_are_still_untrusted() -> None:
    assert trusted("From: psyk@rn.dk", "From: psyk@rn.dk", passed("rn.dk"), channel=True) is None


def test_one_from_header_naming_two_addresses_is_untrusted() -> None:
    assert trusted("From: psyk@rn.dk, evil@evil.com") is None


@pytest.mark.parametrize("froms", [
    ("From: psyk@rn.dk", 'From: "john doe"@evil.com'),
    ('From: "john doe"@evil.com', "From: psyk@rn.dk"),  # a mail client shows the first
    ("From: Evil <evil>", "From: psyk@rn.dk"),
])
def test_two_from_headers_are_untrusted_whatever_the_other_one_holds(froms: tuple[str, str]) -> None:
    parsed = letter(*froms)
    assert any("2 From headers" in p.detail for p in parsed.problems)  # the parser saw both
    assert judge_sender(parsed, None, SHIPPED).organisation is None


def test_single_from_header_is_not_mistaken_for_two() -> None:
    parsed = letter("From: psyk@rn.dk", passed("rn.dk"))
    assert parsed.from_addresses == 1
    assert all("From headers" not in p.detail for p in parsed.problems)
    assert judge_sender(parsed, None, SHIPPED).organisation is not None


# ---------------------------------------------------------------- header.i with a local part (RFC 6376 i= tag)


def test_require_dkim_header_i_local_part_is_not_the_signing_domain() -> None:
    # The i= tag is [local-part]@domain and the signer (here the owner of evil.com) chooses the local part.
    headers = ("From: psyk@rn.dk",
               (f"Authentication-Results: {GATEWAY}; dkim=pass header.i=rn.dk@evil.com header.d=evil.com "
               "header.s=sel1"))
    assert trusted(*headers, envelope="bounce@rn.dk", rules=DKIM_RULES) is None


def test_require_dkim_header_i_with_a_local_part_of_our_domain_passes() -> None:
    headers = ("From: psyk@rn.dk", f"Authentication-Results: {GATEWAY}; dkim=pass header.i=psyk@rn.dk")
    assert trusted(*headers, rules=DKIM_RULES) == "Region Nordjylland"
