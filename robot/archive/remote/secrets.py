"""Reads an adapter's secret from the environment or from a file only its owner can read, never from the TOML."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from robot.archive.config import Table
from robot.config_error import ConfigError


@dataclass(frozen=True)
class SecretSource:
    """Where one secret is read: an environment variable's name, or a file's path; `key` names it in errors."""

    key: str  # the settings key without its suffix, e.g. "archive.getorganized.auth.password"
    env: str | None = None
    file: Path | None = None

    def read(self, environ: Mapping[str, str] | None = None) -> str:
        """The secret, stripped; ConfigError when the variable is unset or the file missing, empty or readable by
        others (group or world)."""
        if self.env is not None:
            value = (os.environ if environ is None else environ).get(self.env, "").strip()
            if not value:
                raise ConfigError(f"{self.key}_env", f"the environment variable {self.env} to be set")
            return value
        assert self.file is not None
        try:
            mode = self.file.stat().st_mode
            value = self.file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"{self.key}_file", f"a readable file, got {self.file} ({error.strerror})") from None
        if stat.S_IMODE(mode) & 0o077:
            raise ConfigError(f"{self.key}_file", f"a file only its owner can read (chmod 600), got mode "
                                                  f"{stat.S_IMODE(mode):03o} on {self.file}")
        if not value:
            raise ConfigError(f"{self.key}_file", f"a file holding the secret, got an empty {self.file}")
        return value


def secret_source(table: Table, name: str, base: Path | None = None, *, required: bool = True) -> SecretSource | None:
    """`<name>_env` (a variable's name) or `<name>_file` (a path, relative to `base`), exactly one of them; a plain
    `<name>` key is refused: secrets do not belong in the configuration file."""
    if table.has(name):
        raise ConfigError(table.key(name), f"no secret in the configuration file: use {name}_env or {name}_file")
    env, file = table.optional_string(f"{name}_env"), table.optional_string(f"{name}_file")
    if env is not None and file is not None:
        raise ConfigError(table.key(f"{name}_file"), f"either {name}_env or {name}_file, not both")
    if env is None and file is None:
        if required:
            raise ConfigError(table.key(f"{name}_env"), f"{name}_env (a variable's name) or {name}_file (a path)")
        return None
    path = Path(file) if file is not None else None
    if path is not None and base is not None and not path.is_absolute():
        path = base / path
    return SecretSource(table.key(name), env=env, file=path)


def refuse_inline_secrets(table: Table, *names: str) -> None:
    """A secret written into the configuration file itself (`password = "..."`) is an error naming the key."""
    for name in names:
        if table.has(name):
            raise ConfigError(table.key(name), f"no secret in the configuration file: use {name}_env or {name}_file")
