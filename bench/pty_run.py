"""Run a program in a pseudo-terminal of fixed size and measure what a user would see.

The terminal is a real PTY (size set with TIOCSWINSZ before the child starts); the master
side is drained as fast as a terminal would, timestamping the first sighting of a marker.
CPU comes from the kernel's rusage of the reaped child (user + sys, all its threads).
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

ROWS, COLS = 40, 120


@dataclass
class PtyRun:
    started: float  # time.monotonic() just before the spawn
    ended: float  # when the child's output ended (EOF on the master)
    cpu: float  # user + sys seconds of the child
    output: bytes
    marker_at: float | None  # time.monotonic() when the marker was first read
    exit_code: int

    @property
    def wall(self) -> float:
        return self.ended - self.started

    @property
    def until_marker(self) -> float | None:
        return None if self.marker_at is None else self.marker_at - self.started


def run_in_pty(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    *,
    marker: bytes | None = None,
    on_marker: Callable[[int], None] | None = None,
    timeout: float = 120.0,
) -> PtyRun:
    """Spawn `argv` on a fresh ROWS x COLS terminal; `on_marker(master_fd)` may type keys."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    started = time.monotonic()
    child = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    chunks: list[bytes] = []
    window = b""
    marker_at: float | None = None
    deadline = started + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                child.kill()
                raise TimeoutError(f"{argv[0]} did not finish in {timeout:.0f} s")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # EIO: every writer of the slave side is gone
                break
            if not data:
                break
            now = time.monotonic()
            chunks.append(data)
            if marker is not None and marker_at is None:
                window = (window + data)[-(len(data) + len(marker)) :]
                if marker in window:
                    marker_at = now
                    if on_marker is not None:
                        on_marker(master)
        ended = time.monotonic()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        os.close(master)
    return PtyRun(
        started=started,
        ended=ended,
        cpu=usage.ru_utime + usage.ru_stime,
        output=b"".join(chunks),
        marker_at=marker_at,
        exit_code=child.returncode,
    )
