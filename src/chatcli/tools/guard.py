"""`python -m chatcli.tools.guard PARENT COMMAND ARGS…`: an MCP stdio server that never
outlives chatcli.

chatcli starts this in a process group of its own (the SDK does); it runs the server in the
same group with its stdin, stdout and stderr, and exits with it. When chatcli is gone, even
by kill -9 (nothing else could notice), it ends the whole group: the server and whatever the
server started. Standard library only: it starts in milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

PARENT_POLL = 0.2
STOP_GRACE = 2.0


def end_group_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    group = os.getpgrp()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # ask the others first, then make sure
    os.killpg(group, signal.SIGTERM)
    time.sleep(STOP_GRACE)
    os.killpg(group, signal.SIGKILL)


def main(argv: list[str]) -> int:
    parent, command = int(argv[0]), argv[1:]
    threading.Thread(target=end_group_when_orphaned, args=(parent,), daemon=True).start()
    try:
        server = subprocess.Popen(command)
    except OSError as exc:
        print(f"{command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:  # not ours to act on: the group's signals reach the server
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
