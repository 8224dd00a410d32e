"""Where chatcli keeps its files, created private: directories 0700, files 0600.

Its own files (the database, the input history) are never reached through a symbolic link:
a link planted there would have chatcli chmod or append to whatever it points at. Files it
only reads (.env, the config file, imports, a model) must be regular files: a FIFO or a
device would make it wait, or read, forever.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from chatcli.i18n import t


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


def not_regular(path: Path | str, mode: int = 0) -> OSError:
    """The error for a FIFO, device, socket or directory where a file is expected."""
    if stat.S_ISDIR(mode):
        return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    return OSError(errno.EINVAL, t("not_regular"), str(path))


def _symlink(path: Path | str) -> OSError:
    return OSError(errno.ELOOP, t("is_symlink"), str(path))


def check_regular(path: Path) -> None:
    """A path that exists must be a regular file (links are followed: a .env may be one)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise not_regular(path, mode)


def open_regular(path: Path) -> BinaryIO:
    """The file open for reading, refused before any read if it is not a regular file
    (opening a FIFO without O_NONBLOCK would already wait for a writer)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise not_regular(path, mode)
    return os.fdopen(fd, "rb")


def read_regular(path: Path) -> bytes:
    """The whole of a regular file."""
    with open_regular(path) as file:
        return file.read()


def check_own_file(path: Path) -> None:
    """One of chatcli's own files, if it exists, is a regular file and not a link."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise _symlink(path)
    if not stat.S_ISREG(mode):
        raise not_regular(path, mode)


def open_own_file(path: Path, flags: int) -> int:
    """Open one of chatcli's own files, never through a link and never a FIFO or device."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink(path) from None
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise not_regular(path) from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise not_regular(path, mode)
    return fd


def _restrict(fd: int) -> None:
    """0600 for regular files only: never touch the mode of a device such as /dev/null."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, 0o600)


def private_file(path: Path) -> Path:
    """Make sure `path` exists and only its owner can read it, before anything is written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = open_own_file(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY)
    try:
        os.fchmod(fd, 0o600)
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
