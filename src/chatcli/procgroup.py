"""A shell command in a process group of its own that never outlives chatcli.

`/run` starts its command here (the built-in `run_command` tool hands its group over): in a new
session (no terminal, so Ctrl-C reaches chatcli only), and the whole group is ended, not only
the shell: on Ctrl-C or an output cap at once (`end`); what the command left running in the
background (`sleep 1000 &`) when chatcli exits (an exit handler); and, whatever ends chatcli
(SIGTERM, SIGHUP, kill -9, which nothing inside chatcli could notice), by a watcher: `python -m
chatcli.procgroup PARENT GROUP`, a process of its own that looks for its parent every WATCH_POLL
seconds and ends the group once chatcli is gone. It leaves by itself when the group is gone.
Standard library only: it starts fast.

What does not hold: a process that leaves the group itself (`setsid`, a daemon) is no longer
the group's, and nothing here can find it. Where nothing reaps orphans (some containers), an
ended job's zombie keeps its group in sight: the end then waits STOP_GRACE twice, and the
watcher stays until chatcli ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

WATCH_POLL = 0.2
STOP_GRACE = 2.0
_left: set[int] = set()  # groups whose shell has exited but which still hold processes


def start(command: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """The command under `sh -c`, stdin empty, stdout and stderr one pipe, and its watcher.
    A Ctrl-C while they start waits until both have (else the shell could be running with
    no one holding it), then ends the command and goes on as KeyboardInterrupt."""
    with _interrupt_held() as interrupted:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _watcher(process.pid)
    if interrupted:
        end(process)
        raise KeyboardInterrupt
    return process


def _watcher(group: int) -> None:
    """The process that ends `group` once chatcli is gone (SIGTERM, SIGHUP, kill -9)."""
    with contextlib.suppress(OSError):  # no watcher: the exit handler still ends it
        subprocess.Popen(
            [sys.executable, "-m", "chatcli.procgroup", str(os.getpid()), str(group)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


@contextlib.contextmanager
def _interrupt_held() -> Iterator[list[int]]:
    """SIGINT noted rather than raised inside the block (only the main thread can do this;
    elsewhere the block runs as it is)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def read_until_done(process: subprocess.Popen[bytes], cap: int) -> bytes | None:
    """The command's output until the shell exits and the pipe holds nothing more (a
    background job that keeps the pipe open does not hold `/run` up), or None as soon as it
    passes `cap`."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    chunks: list[bytes] = []
    total = 0
    while True:
        ready, _, _ = select.select([fd], [], [], 0 if process.poll() is not None else WATCH_POLL)
        if not ready:
            if process.poll() is None:
                continue
            return b"".join(chunks)
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            return None
        chunks.append(chunk)


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the number now belongs to someone else's group
        return False
    return True


def end_group(group: int, reap: Callable[[], object] = lambda: None) -> None:
    """Every process of the group: asked to end (TERM), then made to (KILL). `reap` collects
    our own child among them, whose zombie would otherwise keep the group alive."""
    _left.discard(group)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline:
            reap()
            if not alive(group):
                return
            time.sleep(0.02)


def end(process: subprocess.Popen[bytes]) -> None:
    """The command and everything it started, ended if still running; the shell reaped."""
    end_group(process.pid, process.poll)
    if process.stdout is not None:
        process.stdout.close()


def leave_running(process: subprocess.Popen[bytes]) -> bool:
    """After the shell has exited: True when its group still holds processes, which then end
    when chatcli does."""
    if process.stdout is not None:
        process.stdout.close()
    if not alive(process.pid):
        return False
    _left.add(process.pid)
    return True


def hand_over(group: int) -> bool:
    """A group started elsewhere (the built-in `run_command`) whose shell has exited: when it
    still holds processes (`sleep 1000 &`), they end when chatcli does, however it ends.
    True when there were any."""
    if not alive(group):
        return False
    _left.add(group)
    _watcher(group)
    return True


def _end_left() -> None:
    for group in list(_left):
        end_group(group)


atexit.register(_end_left)


def watch(parent: int, group: int) -> None:
    """The watcher: end `group` once `parent` is gone; leave when the group is."""
    while alive(group):
        if os.getppid() != parent:
            end_group(group)
            return
        time.sleep(WATCH_POLL)


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]))
