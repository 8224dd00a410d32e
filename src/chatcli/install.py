"""`make chat`'s helper: say what is being installed and how long it takes, show that pip is
alive while llama.cpp compiles, and tell whether a run needs the offline model at all.

    python -m chatcli.install base|local|dev PIP ARGS...  run pip, with a heartbeat
    python -m chatcli.install needs-local [CHATCLI ARGS]  exit 0 if that chat is offline

The Makefile runs it with src on the path: the heartbeat needs only the standard library and
the string table, so it works before chatcli is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from chatcli.i18n import detect, set_language, t

# Seconds between two "still installing" lines; the tests make it short.
HEARTBEAT = float(os.environ.get("CHATCLI_HEARTBEAT_SECONDS") or 20)
ANNOUNCE = {"base": "install_base", "local": "install_local", "dev": "install_dev"}


def elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return t("install_elapsed_min", m=minutes, s=rest)
    return t("install_elapsed_s", s=rest)


def run_with_heartbeat(kind: str, command: list[str]) -> int:
    """Announce `kind`, run `command`, and print the elapsed time every HEARTBEAT seconds."""
    print(t(ANNOUNCE[kind]), flush=True)
    start = time.monotonic()
    process = subprocess.Popen(command)
    while True:
        try:
            code = process.wait(HEARTBEAT)
        except subprocess.TimeoutExpired:
            print(t("install_still", elapsed=elapsed(time.monotonic() - start)), flush=True)
            continue
        except KeyboardInterrupt:  # pip got the same Ctrl-C: let it clean up
            process.wait()
            return 130
        if code == 0:
            print(t("install_done", elapsed=elapsed(time.monotonic() - start)), flush=True)
        return code


def main(argv: list[str]) -> int:
    set_language(detect(os.environ.get("CHATCLI_LANG")))
    if argv[:1] == ["needs-local"]:
        from chatcli.cli import wants_local

        return 0 if wants_local(argv[1:]) else 1
    if len(argv) < 2 or argv[0] not in ANNOUNCE:
        print(__doc__, file=sys.stderr)
        return 2
    return run_with_heartbeat(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
