"""A robot's parser processes, found through /proc and SIGKILLed once busy with an input: a crash from outside."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_CPU_SECONDS = 1.5  # a fresh parser process uses about 0.3 s of CPU to start; past this it is parsing


def _stat(pid: str) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def busy_parsers(parent_marker: str) -> list[int]:
    """Parser processes (multiprocessing spawn children) whose parent's command line holds `parent_marker` and that
    have used more than BUSY_CPU_SECONDS of CPU."""
    found: list[int] = []
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if b"spawn_main" not in Path(f"/proc/{entry}/cmdline").read_bytes():
                continue
            fields = _stat(entry)
            parent = Path(f"/proc/{fields[1]}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):  # gone meanwhile
            continue
        if parent_marker in parent and (int(fields[11]) + int(fields[12])) / tick > BUSY_CPU_SECONDS:
            found.append(int(entry))
    return found


@contextmanager
def parser_killer(parent_marker: str) -> Iterator[list[int]]:
    """While open, SIGKILL every busy parser process of the robot whose command line holds `parent_marker`; yields
    the pids killed so far."""
    killed: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            for pid in busy_parsers(parent_marker):
                try:
                    os.kill(pid, signal.SIGKILL)  # the robot under test's own child, found by its parent's marker
                    killed.append(pid)
                except ProcessLookupError:
                    pass

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield killed
    finally:
        stop.set()
        watcher.join(5)
