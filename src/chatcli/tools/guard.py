"""`python -m chatcli.tools.guard PARENT COMMAND ARGS…`: an MCP stdio server that never
outlives chatcli, nor leaves anything it started behind.

chatcli starts this in a process group of its own (the SDK does); it runs the server in the
same group with its stdin, stdout and stderr. Whichever comes first, it ends the whole group
(the server and whatever the server started), SIGTERM first and SIGKILL for what is left:
- the server exits (on stdin EOF as asked, or it crashed): its children would live on;
- chatcli is gone, even by kill -9 (nothing else could notice), and the server stays, even
  one that ignores EOF and SIGTERM.
Standard library only: it starts in milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PARENT_POLL = 0.2
STOP_GRACE = 2.0
GONE_POLL = 0.05


def others_in_group(group: int) -> bool:
    """Whether a live process of the group other than this one is left (a zombie has ended);
    without /proc, assume so."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    me = os.getpid()
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z" and int(stat.parent.name) != me:
            return True
    return False


def end_group() -> None:
    """SIGTERM to the group (this guard is deaf to it: `main`), then SIGKILL once the grace
    is over."""
    group = os.getpgrp()
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_GRACE
    while others_in_group(group):
        if time.monotonic() >= deadline:
            os.killpg(group, signal.SIGKILL)  # this guard too: nothing is left to do
        time.sleep(GONE_POLL)


def end_group_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    end_group()


def main(argv: list[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    # SIGTERM to the group is for the server; the guard stays to end what is left. A handler,
    # not SIG_IGN: the server would inherit that.
    signal.signal(signal.SIGTERM, lambda number, frame: None)
    threading.Thread(target=end_group_when_orphaned, args=(parent,), daemon=True).start()
    try:
        server = subprocess.Popen(command)
    except OSError as exc:
        print(f"{command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    while True:
        try:
            code = server.wait()
            break
        except KeyboardInterrupt:  # not ours to act on: the group's signals reach the server
            continue
    if code < 0:  # said on stderr, whose tail chatcli shows: why the server is gone
        name = Path(command[0]).name
        print(f"{name} was ended by signal {-code}", file=sys.stderr, flush=True)
    end_group()  # what the server started must not outlive it
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
