"""The robot's clock: the system's time, or, for tests of the running daemon, the time written in a file."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

CLOCK_FILE_ENV = "LAE_ROBOT_CLOCK_FILE"
"""Names a file holding an ISO 8601 time with its offset: the daemon's scheduled jobs and stages read "now" from it
(the time it holds, read at every call). For tests only: a daemon started without it reads the system clock."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def configured_clock(environ: Mapping[str, str] = os.environ) -> Callable[[], datetime]:
    """The system clock, unless LAE_ROBOT_CLOCK_FILE names a file to read the time from."""
    name = environ.get(CLOCK_FILE_ENV)
    if not name:
        return system_clock
    path = Path(name)

    def file_clock() -> datetime:
        try:
            moment = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):  # missing or half written: the system's time until it is readable
            return system_clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return file_clock
