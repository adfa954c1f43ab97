"""Files and folders that hold personal data: created owner-only (or owner and one group), whatever the umask."""

from __future__ import annotations

import contextlib
import grp
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# How many findings an audit reports at most: enough to act on, never a wall of paths.
AUDIT_LIMIT = 20


def group_id(name: str) -> int:
    """The id of the group called `name` (or given as a number); KeyError when the machine has no such group."""
    if name.isdigit():
        return grp.getgrgid(int(name)).gr_gid
    return grp.getgrnam(name).gr_gid


@dataclass(frozen=True)
class FileModes:
    """Owner-only (0600 files, 0700 folders), or with `gid`: owner and that group may read (0640, 0750)."""

    gid: int | None = None

    @property
    def file_mode(self) -> int:
        return 0o600 if self.gid is None else 0o640

    @property
    def dir_mode(self) -> int:
        return 0o700 if self.gid is None else 0o750

    def secure(self, descriptor: int, *, folder: bool = False) -> None:
        """Give an open file (or folder) exactly our mode and group; the umask plays no part."""
        if self.gid is not None:
            os.fchown(descriptor, -1, self.gid)
        os.fchmod(descriptor, self.dir_mode if folder else self.file_mode)

    def make_dir(self, folder: Path, *, parents: bool = True) -> None:
        """Create `folder` (and missing parents) with our mode and group; folders already there are left as
        they are (an operator's folder is the operator's), and reported by `audit` only when the robot made
        them. FileExistsError when `folder` is there but is no folder."""
        if folder.is_dir():
            return
        if parents and not folder.parent.is_dir() and folder.parent != folder:
            self.make_dir(folder.parent, parents=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, self.dir_mode)
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                self.secure(descriptor, folder=True)
            finally:
                os.close(descriptor)
        if not folder.is_dir():
            raise FileExistsError(f"{folder} is there and is not a folder")

    def create_file(self, path: Path) -> None:
        """Create `path` empty with our mode and group when it is missing; an existing file is left as it is."""
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, self.file_mode)
        except FileExistsError:
            return
        try:
            self.secure(descriptor)
        finally:
            os.close(descriptor)

    def too_wide(self, path: Path, status: os.stat_result) -> str | None:
        """Why `path` (with this stat) lets more people read it than it should, or None. Names the path and the
        modes, never the content."""
        folder = stat.S_ISDIR(status.st_mode)
        allowed = self.dir_mode if folder else self.file_mode
        mode = stat.S_IMODE(status.st_mode)
        kind = "folder" if folder else "file"
        if mode & ~allowed & 0o777:
            return f"{kind} {path} has mode {mode:04o}, wider than {allowed:04o}"
        if mode & 0o070 and status.st_gid != self.gid:
            return f"{kind} {path} is open to group {status.st_gid}, not the configured files.group"
        return None


OWNER_ONLY = FileModes()


def audit(modes: FileModes, files: Iterable[Path] = (), trees: Iterable[Path] = (),
          limit: int = AUDIT_LIMIT) -> list[str]:
    """Existing files wider than `modes` allows: each of `files` that exists, and every file and folder inside
    each of `trees` (the tree's own top folder is the operator's and is not judged). Nothing is changed: a wider
    mode may be an operator's deliberate choice, so it is reported, at most `limit` findings and a count."""
    findings: list[str] = []
    extra = 0

    def judge(path: Path, status: os.stat_result) -> None:
        nonlocal extra
        problem = modes.too_wide(path, status)
        if problem is None:
            return
        if len(findings) < limit:
            findings.append(problem)
        else:
            extra += 1

    for path in files:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            judge(path, os.stat(path))
    for tree in trees:
        for entry in _walk(tree):
            with contextlib.suppress(FileNotFoundError):
                judge(Path(entry.path), entry.stat(follow_symlinks=False))
    if extra:
        findings.append(f"and {extra} more")
    return findings


def _walk(tree: Path) -> Iterable[os.DirEntry[str]]:
    """Every file and folder below `tree` (not following links); folders that vanish or cannot be read are
    skipped."""
    pending = [tree]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        continue
                    yield entry
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
