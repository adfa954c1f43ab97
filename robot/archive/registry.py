"""Which archive adapters exist and how each is built from its settings table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from robot.archive.base import CaseArchive
from robot.archive.config import ArchiveConfigError, Table
from robot.archive.folder import FolderArchive, RegisterError
from robot.archive.http import HttpArchive
from robot.archive.http_config import HttpArchiveConfig

Factory = Callable[[dict[str, Any], Path], CaseArchive]


def build_folder(table: dict[str, Any], base: Path) -> CaseArchive:
    """`root` (an existing folder) and `register` (a CSV file), both relative to `base`, the config file's folder;
    optional `open_values`, the statuses that mean open (default ["open"])."""
    settings = Table.of(table)
    settings.only("root", "register", "open_values")
    root = base / settings.string("root")
    register = base / settings.string("register")
    open_values = settings.scalars("open_values", ("open",))
    if not root.is_dir():
        raise ArchiveConfigError("root", f"an existing folder, got {root}")
    try:
        return FolderArchive(root, register, open_values=open_values)
    except RegisterError as error:
        raise ArchiveConfigError("register", f"a usable case register ({error})") from None


def build_http(table: dict[str, Any], base: Path) -> CaseArchive:
    """The HttpArchiveConfig keys; `base` is unused (nothing on disk)."""
    del base
    return HttpArchive(HttpArchiveConfig.from_dict(table))


ADAPTERS: dict[str, Factory] = {"folder": build_folder, "http": build_http}


def build_archive(
    name: str, table: Mapping[str, Any], base: Path, adapters: Mapping[str, Factory] = ADAPTERS
) -> CaseArchive:
    """The adapter called `name`, built from its settings table; ArchiveConfigError(key, expected) when wrong."""
    factory = adapters.get(name)
    if factory is None:
        raise ArchiveConfigError("archive", f"one of {', '.join(sorted(adapters))}, got {name!r}")
    if not isinstance(table, Mapping):
        raise ArchiveConfigError(name, "a table")
    return factory(dict(table), base)
