"""Processes a killed or stopped robot left in its session: found through /proc, waited for, then ended."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def session_members(session: int) -> list[int]:
    """Live (not zombie) processes in the session the robot was started in."""
    members: list[int] = []
    if not Path("/proc").is_dir():
        return members
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == session:
            members.append(int(entry))
    return members


def reap_session(session: int, wait: float = 10.0) -> list[int]:
    """Children the robot left behind (parser processes, resource tracker) must go by themselves; any still there
    after `wait` seconds are returned, then ended by pid (they are the test's own processes)."""
    deadline = time.monotonic() + wait
    while (members := session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in members:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return members
