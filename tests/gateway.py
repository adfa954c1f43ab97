"""What the kommune's own mail gateway stamps on the mail it received: the Authentication-Results that the shipped
rules/senders.toml believes (its authserv_ids), so test mails from a region authenticate as they would in
production. A mail without them is what a forger sends, and is not filed."""

from __future__ import annotations

GATEWAY = "mx.kommune.example"


def passed(domain: str) -> str:
    """The header value our gateway writes for a mail that authenticated as `domain`."""
    return (f"{GATEWAY}; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
            f"dmarc=pass header.from={domain}")


def stamped(raw: bytes, sender: str) -> bytes:
    """`raw` as our gateway hands it on after the sender's domain passed: its result on top."""
    domain = sender.rsplit("@", 1)[1].strip(">").lower()
    return f"Authentication-Results: {passed(domain)}\r\n".encode("ascii") + raw
