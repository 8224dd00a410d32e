"""`make chat`'s helper: say what is being installed, and while llama.cpp compiles, the build's
stage, its step count and the time left; tell whether a run needs the offline model at all.

    python -m chatcli.install base|local|dev PIP ARGS...  run pip -v, showing its progress
    python -m chatcli.install needs-local [CHATCLI ARGS]  exit 0 if that chat is offline

pip's own output goes to a log that is kept (and its last lines shown) only when pip fails.
llama.cpp is built with only what llama-cpp-python loads (see LEAN_CMAKE_ARGS). The Makefile
runs this with src on the path: it needs only the standard library and the string table, so
it works before chatcli is installed.
"""

from __future__ import annotations

import math
import os
import queue
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from chatcli.build_progress import COMPILE, LINK, BuildProgress
from chatcli.i18n import detect, set_language, t

# Seconds between two progress lines when nothing else was said; the tests make it short.
HEARTBEAT = float(os.environ.get("CHATCLI_HEARTBEAT_SECONDS") or 30)
ANNOUNCE = {"base": "install_base", "local": "install_local", "dev": "install_dev"}
# The one package pip compiles: llama-cpp-python, from its source distribution.
_BUILDING = re.compile(r"Building wheel for llama[-_.]cpp[-_.]python", re.IGNORECASE)
# Measured (bench/results.md, "Building llama.cpp"): the lean build's CPU time (4.0 and 4.3
# min), and so its wall time on 2 idle cores (half that, plus the configure step and the sdist).
BUILD_CPU_MINUTES = 4
BUILD_IDLE_MINUTES = 3
LOG_TAIL_LINES = 30
# llama-cpp-python loads libllama and libggml only: its multimodal library (mtmd, LLAVA_BUILD)
# and llama.cpp's `common` library (forced on by llama-cpp-python's CMakeLists, so switched off
# again by a file CMake includes after llama.cpp's project() call) are never loaded by the
# server chatcli runs, and are half of the compile.
LEAN_CMAKE = 'set(LLAMA_BUILD_COMMON OFF CACHE BOOL "chatcli: libllama and libggml only" FORCE)\n'


def lean_environment(environ: dict[str, str], folder: Path) -> dict[str, str]:
    """`environ` with CMAKE_ARGS for the lean build; the user's own CMAKE_ARGS come after
    ours, so theirs win (e.g. -DLLAVA_BUILD=ON, -DGGML_CUDA=ON)."""
    include = folder / "llama-lean.cmake"
    include.write_text(LEAN_CMAKE, encoding="utf-8")
    ours = f"-DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE={shlex.quote(str(include))}"
    return {**environ, "CMAKE_ARGS": f"{ours} {environ.get('CMAKE_ARGS', '')}".strip()}


def elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return t("install_elapsed_min", m=minutes, s=rest)
    return t("install_elapsed_s", s=rest)


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return t("install_left_unknown")
    if seconds < 60:
        return t("install_left_under_minute")
    return t("install_left_minutes", m=math.ceil(seconds / 60))


def progress_line(progress: BuildProgress, since: float, now: float) -> str:
    """`  编译 87/196 · 已用 3 分 10 秒 · 预计还需约 2 分钟`, or the stage alone before steps."""
    stage = t(f"install_stage_{progress.stage or 'busy'}")
    spent = elapsed(now - since)
    if progress.stage in (COMPILE, LINK) and progress.total:
        done, total = progress.done, progress.total
        steps = f"{done}%" if total == 100 else f"{done}/{total}"
        left = time_left(progress.seconds_left(now))
        return t("install_steps", stage=stage, steps=steps, elapsed=spent, left=left)
    return t("install_stage", stage=stage, elapsed=spent)


class Display:
    """Prints the announcements and the progress: a line when the stage changes (a link step
    amid the compile is no change), when another tenth of the steps is done, and every
    HEARTBEAT seconds when nothing else was said."""

    def __init__(self, kind: str, start: float) -> None:
        self.kind = kind
        self.start = start
        self.progress = BuildProgress()
        self.next_beat = start + HEARTBEAT
        self.phase: str | None = None
        self.tenth = 0
        self.building = False

    def say(self, text: str, now: float) -> None:
        print(text, flush=True)
        self.next_beat = now + HEARTBEAT

    def line(self, text: str, now: float) -> None:
        if not self.building and _BUILDING.search(text):
            self.building = True
            self.say(t("install_compile", cpu=BUILD_CPU_MINUTES, wall=BUILD_IDLE_MINUTES), now)
            self.say(t("install_ctrl_c_local" if self.kind == "local" else "install_ctrl_c"), now)
        progress = self.progress
        progress.feed(text, now)
        phase = COMPILE if progress.stage == LINK else progress.stage
        tenth = int(progress.fraction * 10) if phase == COMPILE else self.tenth
        if phase != self.phase or tenth > self.tenth:
            self.phase, self.tenth = phase, tenth
            self.say(progress_line(progress, self.start, now), now)

    def beat(self, now: float) -> None:
        self.say(progress_line(self.progress, self.start, now), now)


def _pump(stream: IO[str], log: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        log.write(line)
        lines.put(line)
    lines.put(None)


def _keep(log: Path) -> tuple[Path, str]:
    """A copy of pip's log that outlives the run, and its last lines."""
    fd, name = tempfile.mkstemp(prefix="chatcli-install-", suffix=".log")
    data = log.read_bytes()
    with os.fdopen(fd, "wb") as kept:
        kept.write(data)
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return Path(name), "\n".join(lines[-LOG_TAIL_LINES:])


def run_with_progress(kind: str, command: list[str]) -> int:
    """Announce `kind`, run `command` (pip -v) and show its progress; pip's output goes to a
    log, shown in part and kept only when pip fails."""
    print(t(ANNOUNCE[kind]), flush=True)
    start = time.monotonic()
    display = Display(kind, start)
    with tempfile.TemporaryDirectory(prefix="chatcli-install-") as folder:
        log_path = Path(folder) / "pip.log"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                env=lean_environment(dict(os.environ), Path(folder)),
            )
            assert process.stdout is not None
            lines: queue.Queue[str | None] = queue.Queue()
            reader = threading.Thread(target=_pump, args=(process.stdout, log, lines))
            reader.start()
            try:
                _show(display, lines)
            except KeyboardInterrupt:  # pip got the same Ctrl-C: let it clean up
                _finish(process, reader)
                print(t("install_interrupted"), flush=True)
                return 130
            code = _finish(process, reader)
        if code == 0:
            print(t("install_done", elapsed=elapsed(time.monotonic() - start)), flush=True)
            return 0
        kept, tail = _keep(log_path)
    print(tail, flush=True)
    print(t("install_failed", code=code, path=kept), flush=True)
    return code


def _show(display: Display, lines: queue.Queue[str | None]) -> None:
    while True:
        try:
            line = lines.get(timeout=max(display.next_beat - time.monotonic(), 0.0))
        except queue.Empty:
            display.beat(time.monotonic())
            continue
        if line is None:
            return
        display.line(line, time.monotonic())


def _finish(process: subprocess.Popen[str], reader: threading.Thread) -> int:
    """Wait for pip and for the end of its output, through further Ctrl-Cs."""
    while True:
        try:
            code = process.wait()
            reader.join()
            return code
        except KeyboardInterrupt:
            continue


def main(argv: list[str]) -> int:
    set_language(detect(os.environ.get("CHATCLI_LANG")))
    if argv[:1] == ["needs-local"]:
        from chatcli.cli import wants_local

        return 0 if wants_local(argv[1:]) else 1
    if len(argv) < 2 or argv[0] not in ANNOUNCE:
        print(__doc__, file=sys.stderr)
        return 2
    return run_with_progress(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
