"""Download one model file: resumable, verified, installed atomically and privately.

Nothing here touches the terminal: progress goes to a callback (`on_progress(done, total)`),
failures are `DownloadError`s whose message is one line for the user. The bytes go into
`NAME.gguf.part` beside the final file, opened the way chatcli opens its own files (never
through a symbolic link, created 0600); an interrupted download keeps its part, and the next
one asks the server for the rest (an HTTP Range from the part's size). The file is installed
(renamed over the final name) only once its SHA-256 matches; a mismatch removes the part.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chatcli.config.paths import open_own_file
from chatcli.errors import ChatcliError
from chatcli.i18n import os_reason, t
from chatcli.local.catalogue import PART_SUFFIX, Entry, is_sha256

if TYPE_CHECKING:
    import httpx2

CHUNK = 1 << 16
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0

Progress = Callable[[int, int], None]


class DownloadError(ChatcliError):
    """A download that did not end with a verified file; `kept` bytes stay for a resume."""

    def __init__(self, message: str, kept: int = 0) -> None:
        super().__init__(message)
        self.kept = kept


@dataclass(frozen=True)
class Pulled:
    path: Path
    sha256: str
    verified_by: str  # "catalogue", "server" (the LFS ETag) or "size"
    resumed_from: int


def part_path(final: Path) -> Path:
    return final.with_name(final.name + PART_SUFFIX)


def _sha256(fd: int, size: int) -> str:
    """The digest of the whole part file, read back from the disk (what is installed)."""
    digest = hashlib.sha256()
    offset = 0
    while offset < size:
        block = os.pread(fd, min(CHUNK * 16, size - offset), offset)
        if not block:
            break
        digest.update(block)
        offset += len(block)
    return digest.hexdigest()


def _server_digest(response: httpx2.Response) -> str | None:
    """Hugging Face's LFS SHA-256 (`X-Linked-Etag`, on the redirect it answers first), or an
    ETag that is one."""
    for step in (*response.history, response):
        for header in ("x-linked-etag", "etag"):
            value = step.headers.get(header, "").strip().removeprefix("W/").strip('"').lower()
            if is_sha256(value):
                return value
    return None


def _reason(exc: Exception) -> str:
    """Why the network failed, in the interface's language where chatcli can tell."""
    import httpx2

    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, httpx2.TimeoutException):
        return t("models_reason_timeout")
    if isinstance(exc, httpx2.ConnectError):
        lower = detail.lower()
        if any(words in lower for words in ("name or service", "nodename", "name resolution")):
            return t("models_reason_dns")
        if "refused" in lower:
            return t("models_reason_refused")
    if isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError)):
        return t("models_reason_cut")
    return detail


def _start(response: httpx2.Response, offset: int) -> int:
    """Where the body starts in the file: `offset` for a 206 that says so, 0 for a 200."""
    if response.status_code == 200:
        return 0
    if response.status_code == 206:
        content_range = response.headers.get("content-range", "")
        first = content_range.removeprefix("bytes ").partition("-")[0]
        if first.isdigit() and int(first) == offset:
            return offset
    raise DownloadError(t("models_bad_range", status=response.status_code), offset)


def fetch(entry: Entry, url: str, final: Path, on_progress: Progress) -> Pulled:
    """Download `url` to `final`, resuming a part file left by an earlier attempt. The part
    is locked while it grows: a second pull of the same model at once is refused."""
    import httpx2

    part = part_path(final)
    try:
        fd = open_own_file(part, os.O_CREAT | os.O_RDWR)
    except OSError as exc:
        raise DownloadError(t("models_cannot_write", path=part, reason=os_reason(exc))) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise DownloadError(t("models_busy", name=entry.name, path=part)) from None
        os.fchmod(fd, 0o600)
        offset = os.fstat(fd).st_size
        if offset > entry.size:  # not a prefix of this file: start over
            os.ftruncate(fd, 0)
            offset = 0
        timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        try:
            with httpx2.Client(follow_redirects=True, timeout=timeout) as http:
                return _fetch(entry, url, final, part, fd, offset, on_progress, http)
        except BaseException:
            if os.fstat(fd).st_size == 0:  # nothing to resume: leave nothing behind
                part.unlink(missing_ok=True)
            raise
    finally:
        os.close(fd)


def _fetch(
    entry: Entry,
    url: str,
    final: Path,
    part: Path,
    fd: int,
    offset: int,
    on_progress: Progress,
    http: httpx2.Client,
) -> Pulled:
    import httpx2

    resumed_from = offset
    server_digest = None
    if offset < entry.size:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        done = offset
        try:
            with http.stream("GET", url, headers=headers) as response:
                if response.status_code >= 400:
                    raise DownloadError(
                        t("models_http", status=response.status_code, url=url), offset
                    )
                start = _start(response, offset)
                if start != offset:
                    os.ftruncate(fd, 0)
                    resumed_from = done = 0
                server_digest = _server_digest(response)
                on_progress(done, entry.size)
                for chunk in response.iter_raw():
                    os.pwrite(fd, chunk, done)
                    done += len(chunk)
                    on_progress(done, entry.size)
        except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
            raise DownloadError(t("models_network", url=url, reason=_reason(exc)), done) from None
        except OSError as exc:
            raise DownloadError(
                t("models_cannot_write", path=part, reason=os_reason(exc)), done
            ) from None
        if done < entry.size:
            raise DownloadError(t("models_short", got=done, size=entry.size), done)
    return _install(entry, final, part, fd, resumed_from, server_digest)


def _install(
    entry: Entry, final: Path, part: Path, fd: int, resumed_from: int, server_digest: str | None
) -> Pulled:
    """Check the whole part file and rename it into place, or remove it."""
    size = os.fstat(fd).st_size
    digest = _sha256(fd, size)
    expected = entry.sha256 or server_digest
    if size != entry.size or (expected is not None and digest != expected):
        part.unlink(missing_ok=True)
        raise DownloadError(t("models_bad_checksum", name=entry.name, file=entry.file))
    os.fsync(fd)
    os.replace(part, final)
    by = "catalogue" if entry.sha256 else "server" if server_digest else "size"
    return Pulled(final, digest, by, resumed_from)
