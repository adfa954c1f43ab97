"""Says which safety factors guard the filing and warns about a placeholder gateway id: for check-rules, status, run."""

from __future__ import annotations

from robot.decisions.senders import SenderRules


def factor_lines(senders: SenderRules, trusted_channels: frozenset[tuple[str, str]], name_source: str | None,
                 archive_problem: str | None = None) -> list[str]:
    """One line per factor, in words an operator can act on."""
    lines = ["CPR: read label-first; a relative's, an unlabelled or an unreadable number escalates (always on)"]
    if archive_problem is not None:
        lines.append(f"name: unknown, the case archive could not be asked ({archive_problem})")
    elif name_source is not None:
        lines.append(f"name: on, the patient name printed beside the CPR must match {name_source}")
    else:
        lines.append("name: off, the case archive knows no citizen names (a 'name' column in the case register, or "
                     "a mapped 'name' field for the http archive, turns it on)")
    channels = sorted(f"{source}:{mailbox}" for source, mailbox in trusted_channels if source != "file")
    lines.append(f"sender: the From domain on the list ({len(senders.organisations)} organisations) and either our "
                 f"gateway's dmarc=pass or aligned dkim=pass (authserv-id {', '.join(senders.authserv_ids) or 'none'})"
                 f" or a trusted channel ({', '.join(channels) or 'none declared'}); our gateway's dmarc=fail or "
                 "spf=fail always escalates")
    return lines


def placeholder_warning(senders: SenderRules) -> str | None:
    """A loud warning when senders.toml still names the shipped placeholder gateway."""
    placeholders = senders.placeholder_authserv_ids()
    if not placeholders:
        return None
    return (f"WARNING: senders.toml authserv_ids still holds the placeholder {', '.join(placeholders)}: set it to "
            "the authserv-id your own mail gateway writes in Authentication-Results. Until then a forger who writes "
            "that id into his own header is believed, unless your gateway removes such headers.")
