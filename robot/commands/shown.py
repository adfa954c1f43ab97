"""How the commands show the robot's values to a person: local times, ages, reasons in words, sources, tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from robot.model import Reason
from robot.notify.reasons import reason_text
from robot.privacy import mask_cpr_text

LOCAL = ZoneInfo("Europe/Copenhagen")  # the time the notices and the desk speak


def local_time(moment: datetime | None) -> str:
    """`2026-12-06 22:43` in Danish time (what the notices say); "" for none."""
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if moment else ""


def age(moment: datetime, now: datetime) -> str:
    """How long ago, short: `12m`, `3h05m`, `2d04h`."""
    seconds = max(0, int((now - moment) / timedelta(seconds=1)))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def reason_words(reason: str) -> str:
    """The reason as the notices word it (robot/notify/reasons.py); an unknown code as it is."""
    try:
        return reason_text(Reason(reason))
    except ValueError:
        return reason


def source_words(source_ref: str | None) -> str:
    """The ingress's reference for a person: `SMTP smtp, queue id 4XyZ`, `IMAP tunnel, UID 42`, or the file."""
    if not source_ref:
        return ""
    kind, _, rest = source_ref.partition(":")
    if kind == "smtp" and rest.count(":") == 1:
        listener, queue_id = rest.split(":")
        return f"SMTP {listener}, queue id {queue_id}"
    if kind == "imap" and rest.count(":") >= 1:
        mailbox, *_, uid = rest.split(":")
        return f"IMAP {mailbox}, UID {uid}"
    if "/" in source_ref:  # `process` takes files: their name says which
        return f"file {mask_cpr_text(source_ref.rsplit('/', 1)[1])}"
    return mask_cpr_text(source_ref)


def counts_line(counts: Mapping[str, int]) -> str:
    """`12 done, 1 received`; `none` when empty."""
    if not counts:
        return "none"
    return ", ".join(f"{count} {name}" for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def table(header: Sequence[str], rows: Sequence[Sequence[str]], widest: int = 48) -> list[str]:
    """Rows under a header, columns padded to their widest cell (cells cut at `widest` with an ellipsis)."""
    cut = [[cell if len(cell) <= widest else cell[:widest - 1] + "…" for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cut) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cut]
