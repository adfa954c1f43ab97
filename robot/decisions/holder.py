"""Keeps the rules in force and reloads them when a file changes; a change that does not validate is refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import structlog

from robot.decisions.rulebook import Rulebook, load_rulebook
from robot.rules.rulefile import RuleFileError

log = structlog.get_logger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class RulebookHolder:
    """`current()` is cheap (a few stat calls) and always returns a valid Rulebook."""

    def __init__(self, folder: Path, on_refused: Callable[[RuleFileError], None], check_every: float = 0.0):
        self._folder = folder
        self._on_refused = on_refused
        self._check_every = check_every  # seconds between looks at the files (a stat of every file)
        self._checked_at = time.monotonic()
        self._signature = self._read_signature()
        self._rulebook = load_rulebook(folder)  # invalid rules at start-up: the caller must not start
        self._refused_signature: Signature | None = None
        self.problem: str | None = None  # why the files on disk are refused (the old rules in force), or None
        self.loaded_at: datetime = datetime.now(UTC)  # when the rules in force were read
        self.refused_at: datetime | None = None  # when a change was last refused

    def current(self) -> Rulebook:
        now = time.monotonic()
        if now - self._checked_at < self._check_every:
            return self._rulebook
        self._checked_at = now
        signature = self._read_signature()
        if signature == self._signature:
            self._refused_signature = self.problem = None  # the files are back to the rules in force
        elif signature != self._refused_signature:
            self._reload(signature)
        return self._rulebook

    def _reload(self, signature: Signature) -> None:
        try:
            rulebook = load_rulebook(self._folder)
        except RuleFileError as error:
            self._refused_signature, self.refused_at = signature, datetime.now(UTC)
            self.problem = (f"rule files in {self._folder} refused ({len(error.problems)} problem(s), see "
                            "lae-robot check-rules); the rules read before stay in force")
            log.error("rules_refused", problems=[str(p) for p in error.problems], kept="the rules already in force")
            self._on_refused(error)
            return
        self._rulebook, self._signature, self._refused_signature, self.problem = rulebook, signature, None, None
        self.loaded_at = datetime.now(UTC)
        log.info("rules_reloaded", folder=str(self._folder))

    def _read_signature(self) -> Signature:
        entries = []
        for path in sorted(self._folder.rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)
