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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ROWS, COLS = 40, 120


@dataclass
class PtyRun:
    started: float  # time.monotonic() just before the spawn
    ended: float  # when the child's output ended (EOF on the master)
    cpu: float  # user + sys seconds of the child
    max_rss_kb: int  # the child's peak resident memory
    output: bytes
    marks: dict[bytes, float]  # marker -> time.monotonic() when first read
    exit_code: int

    @property
    def wall(self) -> float:
        return self.ended - self.started

    def until(self, marker: bytes) -> float | None:
        return self.marks[marker] - self.started if marker in self.marks else None


def run_in_pty(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    *,
    markers: Sequence[bytes] = (),
    on_marks: Callable[[int], None] | None = None,
    on_output: Callable[[int, bytes], None] | None = None,
    timeout: float = 120.0,
) -> PtyRun:
    """Spawn `argv` on a fresh ROWS x COLS terminal, noting when each marker first appears
    (in order); once all have, `on_marks(master_fd)` may type keys. `on_output(master_fd,
    data)` sees every piece of output (to answer it with keys)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    started = time.monotonic()
    child = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    chunks: list[bytes] = []
    window = b""
    marks: dict[bytes, float] = {}
    waiting = list(markers)
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
            if on_output is not None:
                on_output(master, data)
            if waiting:
                window += data
                while waiting and waiting[0] in window:
                    window = window[window.index(waiting[0]) + len(waiting[0]) :]
                    marks[waiting.pop(0)] = now
                if not waiting and on_marks is not None:
                    on_marks(master)
                window = window[-max(map(len, markers)) :]
        ended = time.monotonic()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        os.close(master)
    return PtyRun(
        started=started,
        ended=ended,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_kb=usage.ru_maxrss,
        output=b"".join(chunks),
        marks=marks,
        exit_code=child.returncode,
    )
