"""MCP servers configured must cost nothing until used. Three ratios against no servers,
each pair run in turn (interleaved, so machine noise hits them alike) in a real PTY, medians:

- time to the prompt (`import mcp` alone costs most of a second: the servers start after the
  prompt is drawn), target ≤ 1.05;
- a one-shot question, launch to answer, with the servers' tool lists remembered in the store
  from an earlier run: the request goes out at once and no server starts, target ≤ 1.05;
- quitting during start-up: Ctrl-D as soon as the line editor is up, with servers never seen
  before (their lists forgotten before each run), which start at that moment; launch to exit,
  target ≤ 1.1 (quitting never waits for a starting server: its guard ends it).

For reference, a one-shot question with servers never seen (it waits for their tools).
The servers: `mcp-server-time` (the package index's) and the tests' own (tests/mcp_server.py),
both stdio, in the user's config file, as a user would have them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from pty_run import run_in_pty  # noqa: E402

from tests.conftest import clean_environ  # noqa: E402
from tests.fake_server import Behaviour, FakeOpenAI  # noqa: E402

BIN = Path(sys.executable).parent
MODEL = "bench"
PROMPT = f"{MODEL}>".encode()
EDITOR_READY = b"\x1b[?2004h"  # prompt_toolkit turns on bracketed paste as it draws
TARGET = 1.05
QUIT_TARGET = 1.1


def two_servers() -> str:
    """The config file's text: the time server and the tests' own, both over stdio."""
    python = json.dumps(sys.executable)
    own = json.dumps(str(HERE.parent / "tests" / "mcp_server.py"))
    return (
        f'[mcp.servers.time]\ncommand = {python}\nargs = ["-m", "mcp_server_time"]\n\n'
        f"[mcp.servers.own]\ncommand = {python}\nargs = [{own}]\n"
    )


def home_with(config: str | None, root: Path, server: FakeOpenAI) -> dict[str, str]:
    home = root / ("mcp" if config else "plain")
    folder = home / ".config" / "chatcli"
    folder.mkdir(parents=True)
    if config:
        (folder / "config.toml").write_text(config, encoding="utf-8")
    env = clean_environ(home)
    for name in ("COLORTERM", "FORCE_COLOR", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-bench")
    return env


def to_prompt(env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Seconds to the prompt and to the line editor; then Ctrl-D."""
    run = run_in_pty(
        [str(BIN / "chatcli"), "-m", MODEL],
        env,
        cwd,
        markers=(PROMPT, EDITOR_READY),
        on_marks=lambda fd: os.write(fd, b"\x04"),
        timeout=60,
    )
    shown, ready = run.until(PROMPT), run.until(EDITOR_READY)
    if shown is None or ready is None or run.exit_code != 0:
        tail = run.output[-500:].decode("utf-8", "replace")
        raise SystemExit(f"bench: chatcli did not reach its prompt ({run.exit_code}):\n{tail}")
    return shown, ready


def to_answer(env: dict[str, str], cwd: str) -> float:
    """Seconds from launch to the end of a one-shot question."""
    run = run_in_pty([str(BIN / "chatcli"), "-m", MODEL, "hello"], env, cwd, timeout=120)
    if run.exit_code != 0 or b"Echo: hello" not in run.output:
        tail = run.output[-500:].decode("utf-8", "replace")
        raise SystemExit(f"bench: the one-shot question failed ({run.exit_code}):\n{tail}")
    return run.wall


def store_files(env: dict[str, str]) -> list[Path]:
    return list(Path(env["XDG_DATA_HOME"]).glob("chatcli/conversations.db*"))


def forget(env: dict[str, str]) -> None:
    """The store (and the tool lists in it) gone: the servers are never seen before."""
    for path in store_files(env):
        path.unlink()


def keep(env: dict[str, str], saved: Path) -> Path:
    """A copy of the store as it is (the tool lists learnt) in `saved`, for `recall`."""
    saved.mkdir()
    for path in store_files(env):
        shutil.copy2(path, saved / path.name)
    return saved


def recall(env: dict[str, str], saved: Path) -> None:
    forget(env)
    for path in saved.iterdir():
        shutil.copy2(path, Path(env["XDG_DATA_HOME"]) / "chatcli" / path.name)


def to_exit(env: dict[str, str], cwd: str) -> float:
    """Seconds from launch to exit, Ctrl-D typed once the line editor is up (with servers,
    as they start)."""
    forget(env)
    run = run_in_pty(
        [str(BIN / "chatcli"), "-m", MODEL],
        env,
        cwd,
        markers=(EDITOR_READY,),
        on_marks=lambda fd: os.write(fd, b"\x04"),
        timeout=60,
    )
    if run.exit_code != 0:
        raise SystemExit(f"bench: chatcli did not quit cleanly ({run.exit_code})")
    return run.wall


def median_ratio(found: dict[str, list[float]]) -> tuple[float, float, float]:
    none, two = statistics.median(found["none"]), statistics.median(found["two"])
    return none, two, two / none


def line(label: str, found: dict[str, list[float]], target: float) -> str:
    none, two, ratio = median_ratio(found)
    mark = "✓" if ratio <= target else "✗"
    return (
        f"  {label}: {none:.3f} s with none, {two:.3f} s with two, "
        f"ratio {ratio:.2f} (target ≤ {target}) {mark}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs per configuration (median)")
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"none": [], "two": []}
    answers: dict[str, list[float]] = {"none": [], "two": []}
    fresh: dict[str, list[float]] = {"none": [], "two": []}
    quits: dict[str, list[float]] = {"none": [], "two": []}
    server = FakeOpenAI().start()
    server.expect(Behaviour(times=10**6))
    try:
        with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as cwd:
            envs = {
                "none": home_with(None, Path(root), server),
                "two": home_with(two_servers(), Path(root), server),
            }
            for env in envs.values():
                to_prompt(env, cwd)  # warm the page cache: a first run is not typical
            for _ in range(max(3, args.runs // 3)):
                for name, env in envs.items():
                    forget(env)
                    fresh[name].append(to_answer(env, cwd))  # never seen: waited for
            learnt = {
                name: keep(env, Path(root, f"kept-{name}")) for name, env in envs.items()
            }  # the lists, remembered
            for _ in range(args.runs):
                for name, env in envs.items():
                    recall(env, learnt[name])
                    times[name].append(to_prompt(env, cwd))
                    answers[name].append(to_answer(env, cwd))
                    quits[name].append(to_exit(env, cwd))
    finally:
        server.stop()
    prompt = {name: [t[0] for t in found] for name, found in times.items()}
    editor = {name: [t[1] for t in found] for name, found in times.items()}
    load = os.getloadavg()[0]
    print(f"two MCP servers configured against none (median of {args.runs}):")
    print(f"  machine load average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
    print(line("time to the prompt", prompt, TARGET))
    print(line("time to the line editor", editor, TARGET))
    print(line("one-shot question, tools remembered", answers, TARGET))
    print(line("quitting during start-up", quits, QUIT_TARGET))
    print(line("one-shot question, servers never seen (for reference)", fresh, 99.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
