"""Which archive adapters exist and how each is built from its settings table.

The adapters that talk HTTP are imported when one is configured or checked: httpx and their modules cost the start
of every command (the daemon's included) a tenth of its import time, and most kommuner start on the folder archive."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot.archive.base import CaseArchive
from robot.archive.config import Table
from robot.archive.folder import FolderArchive, RegisterError
from robot.archive.request_export import RequestExport, RequestExportFile
from robot.config_error import ConfigError
from robot.private_files import OWNER_ONLY, FileModes

Factory = Callable[[dict[str, Any], Path, FileModes], CaseArchive]  # table, config folder, modes of files written


@dataclass(frozen=True)
class FolderTable:
    """The folder archive's table: where documents go, the case register and the statuses that mean open."""

    root: Path
    register: Path
    open_values: tuple[str, ...]
    requests: Path | None = None  # the case system's export of requests sent (README "Requests and their ...")


def read_folder_table(table: Mapping[str, Any], base: Path) -> FolderTable:
    """`root` and `register`, both relative to `base`, the config file's folder; optional `open_values`, the
    statuses that mean open (default ["open"]). Only the shape is checked here: the files are looked at on build."""
    settings = Table.of(table)
    settings.only("root", "register", "open_values", "requests")
    requests = settings.optional_string("requests")
    return FolderTable(base / settings.string("root"), base / settings.string("register"),
                       settings.scalars("open_values", ("open",)), base / requests if requests else None)


def build_folder(table: dict[str, Any], base: Path, modes: FileModes) -> CaseArchive:
    """A FolderArchive on `root` (an existing folder) and `register` (a CSV file in an existing folder), writing
    with `modes`. A register file missing, empty or without cases is no error: the archive starts without one and
    says so in its health (the first export may come later); one that does not parse is."""
    folder = read_folder_table(table, base)
    root, register, open_values = folder.root, folder.register, folder.open_values
    if not root.is_dir():
        raise ConfigError("root", f"an existing folder, got {root}")
    if not register.parent.is_dir():
        raise ConfigError("register", f"a file in an existing folder, got {register}")
    try:
        return FolderArchive(root, register, open_values=open_values, modes=modes)
    except RegisterError as error:
        raise ConfigError("register", f"a usable case register ({error})") from None


def request_export(adapter: str, table: Mapping[str, Any], base: Path, archive: CaseArchive) -> RequestExport | None:
    """The case system's export of requests sent, when the adapter reads one: the folder archive's `requests` file,
    or the HTTP archive's `requests` call, asked through `archive` (the one built from the same table, so its
    connection is shared and closed with it)."""
    if adapter == "http":
        from robot.archive.http import HttpArchive  # the HTTP adapters are imported when used (httpx: start-up)

        return archive if isinstance(archive, HttpArchive) and archive.exports_requests else None
    if adapter != "folder":
        return None
    folder = read_folder_table(table, base)
    if folder.requests is None:
        return None
    if not folder.requests.parent.is_dir():
        raise ConfigError("requests", f"a file in an existing folder, got {folder.requests}")
    return RequestExportFile(folder.requests)


def check_table(name: str, table: Mapping[str, Any], base: Path) -> None:
    """Check the shape of adapter `name`'s table without touching files, the network or the environment."""
    if name == "folder":
        read_folder_table(table, base)
    elif name == "http":
        from robot.archive.http_config import HttpArchiveConfig

        HttpArchiveConfig.from_dict(table, base)
    elif name == "getorganized":
        from robot.archive.getorganized import GetOrganizedConfig

        GetOrganizedConfig.from_dict(table, base)
    elif name == "nova":
        from robot.archive.nova import NovaConfig

        NovaConfig.from_dict(table, base)
    elif name == "sbsys":
        from robot.archive.sbsys_config import SbsysConfig

        SbsysConfig.from_dict(table, base)


def build_http(table: dict[str, Any], base: Path, modes: FileModes) -> CaseArchive:
    """The HttpArchiveConfig keys; `base` (the config file's folder) anchors relative secret and TLS files; `modes`
    is unused (nothing written on disk)."""
    del modes
    from robot.archive.http import HttpArchive
    from robot.archive.http_config import HttpArchiveConfig

    return HttpArchive(HttpArchiveConfig.from_dict(table, base))


def build_getorganized(table: dict[str, Any], base: Path, modes: FileModes) -> CaseArchive:
    """The GetOrganizedConfig keys; `base` anchors relative secret and TLS files. `modes` is unused (nothing written on disk)."""
    del modes
    from robot.archive.getorganized import GetOrganizedArchive, GetOrganizedConfig

    return GetOrganizedArchive(GetOrganizedConfig.from_dict(table, base))



def build_nova(table: dict[str, Any], base: Path, modes: FileModes) -> CaseArchive:
    """KMD Nova (NovaConfig keys); reads its client secret (and Momentum's, when configured) now. `modes` is
    unused (nothing written on disk)."""
    del modes
    from robot.archive.nova import NovaArchive, NovaConfig

    return NovaArchive(NovaConfig.from_dict(table, base))


def build_sbsys(table: dict[str, Any], base: Path, modes: FileModes) -> CaseArchive:
    """SBSYS's web API (SbsysConfig keys); `base` anchors relative secret and TLS files. `modes` is unused (nothing
    written on disk)."""
    del modes
    from robot.archive.sbsys import SbsysArchive
    from robot.archive.sbsys_config import SbsysConfig

    return SbsysArchive(SbsysConfig.from_dict(table, base))


ADAPTERS: dict[str, Factory] = {"folder": build_folder, "http": build_http, "getorganized": build_getorganized,
                               "nova": build_nova, "sbsys": build_sbsys}


def build_archive(
    name: str, table: Mapping[str, Any], base: Path, adapters: Mapping[str, Factory] = ADAPTERS,
    modes: FileModes = OWNER_ONLY,
) -> CaseArchive:
    """The adapter called `name`, built from its settings table; ConfigError(key, expected) when wrong."""
    factory = adapters.get(name)
    if factory is None:
        raise ConfigError("archive", f"one of {', '.join(sorted(adapters))}, got {name!r}")
    if not isinstance(table, Mapping):
        raise ConfigError(name, "a table")
    return factory(dict(table), base, modes)
