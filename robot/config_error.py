"""The one configuration error: the file, the full dotted key and what was expected (never a secret's value)."""

from __future__ import annotations

UNKNOWN_FILE = "-"  # an adapter table read on its own, before the loader says which file it came from


class ConfigError(Exception):
    """A configuration problem: `file`, the dotted `key` and what was `expected`."""

    def __init__(self, key: str, expected: str, file: str = UNKNOWN_FILE) -> None:
        self.key, self.expected, self.file = key, expected, file
        super().__init__(f"{file}: {key}: {expected}")

    def located(self, file: str, prefix: str = "") -> ConfigError:
        """The same error, placed in `file` under the table `prefix` (such as "archive.folder.")."""
        key = self.key if self.key.startswith(prefix) else f"{prefix}{self.key}"
        return ConfigError(key, self.expected, file)
