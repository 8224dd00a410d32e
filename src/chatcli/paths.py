"""Where chatcli keeps its files, created private: directories 0700, files 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def data_dir() -> Path:
    """The user data directory; CHATCLI_HOME overrides it (tests, portable installs)."""
    override = os.environ.get("CHATCLI_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("chatcli", appauthor=False))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _restrict(fd: int) -> None:
    """0600 for regular files only: never touch the mode of a device such as /dev/null."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, 0o600)


def private_file(path: Path) -> Path:
    """Make sure `path` exists and only its owner can read it, before anything is written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    try:
        _restrict(fd)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a whole file that only its owner can read (exports, starter config);
    `exclusive`: FileExistsError rather than overwrite."""
    flags = os.O_CREAT | os.O_WRONLY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    _restrict(fd)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
