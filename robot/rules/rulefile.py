"""Reads one operators' TOML file and reports every problem in it as `file:line: message`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong in a rule file, located for the operator who must fix it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RuleFileError(Exception):
    """A rule file that cannot be used; carries every problem found in it."""

    def __init__(self, problems: list[RuleProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems))


_DECODE_POSITION = re.compile(r"at line (\d+)")


class RuleFile:
    """A parsed TOML rule file that can say on which line a table or key stands."""

    def __init__(self, path: Path, data: dict[str, Any], text: str):
        self.path = path
        self.data = data
        self._lines = text.splitlines()

    @classmethod
    def read(cls, path: Path) -> RuleFile:
        """Parse `path`, turning unreadable files and TOML syntax errors into a RuleFileError."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RuleFileError([RuleProblem(str(path), 0, f"cannot read file: {error}")]) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            found = _DECODE_POSITION.search(str(error))
            line = int(found.group(1)) if found else 0
            raise RuleFileError([RuleProblem(str(path), line, f"TOML syntax error: {error}")]) from None
        return cls(path, data, text)

    def problem(self, message: str, table: str | None = None, index: int | None = None,
                key: str | None = None) -> RuleProblem:
        """A problem located at `[[table]]` number `index` (0-based) and `key` within it, as well as can be found."""
        return RuleProblem(str(self.path), self.line_of(table, index, key), message)

    def line_of(self, table: str | None = None, index: int | None = None, key: str | None = None) -> int:
        start = 0
        if table is not None:
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
            headers = [n for n, text in enumerate(self._lines) if header.match(text)]
            if not headers:
                return 1
            start = headers[min(index or 0, len(headers) - 1)]
        if key is None:
            return start + 1
        key_line = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[\[?\s*{re.escape(key)}\s*[\].])")
        for n in range(start, len(self._lines)):
            if n > start and table is not None and self._lines[n].lstrip().startswith("["):
                break
            if key_line.match(self._lines[n]):
                return n + 1
        return start + 1
