"""Time to the prompt with two MCP servers configured against none: `import mcp` alone costs
most of a second, so the servers must start after the prompt is drawn and cost it nothing
(target: ratio ≤ 1.05). Both configurations run in turn (interleaved, so machine noise hits
them alike) in a real PTY; each time is to the prompt's first sighting, medians compared.

The servers: `mcp-server-time` (the package index's) and the tests' own (tests/mcp_server.py),
both stdio, in the user's config file, as a user would have them. For reference, the other
side of the bargain: how much longer a first question takes in one-shot mode, where it waits
for the servers to be up (the loopback server answers).
"""

from __future__ import annotations

import argparse
import json
import os
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
    """Seconds from launch to the end of a one-shot question (the servers waited for)."""
    run = run_in_pty([str(BIN / "chatcli"), "-m", MODEL, "hello"], env, cwd, timeout=120)
    if run.exit_code != 0 or b"Echo: hello" not in run.output:
        tail = run.output[-500:].decode("utf-8", "replace")
        raise SystemExit(f"bench: the one-shot question failed ({run.exit_code}):\n{tail}")
    return run.wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs per configuration (median)")
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"none": [], "two": []}
    answers: dict[str, list[float]] = {"none": [], "two": []}
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
            for _ in range(args.runs):
                for name, env in envs.items():
                    times[name].append(to_prompt(env, cwd))
            for _ in range(max(3, args.runs // 3)):
                for name, env in envs.items():
                    answers[name].append(to_answer(env, cwd))
    finally:
        server.stop()
    prompt = {name: statistics.median(t[0] for t in found) for name, found in times.items()}
    editor = {name: statistics.median(t[1] for t in found) for name, found in times.items()}
    ratio = prompt["two"] / prompt["none"]
    load = os.getloadavg()[0]
    print(f"time to the prompt with two MCP servers configured (median of {args.runs}):")
    print(f"  machine load average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"  no servers:  prompt {prompt['none']:.3f} s, editor ready {editor['none']:.3f} s")
    print(f"  two servers: prompt {prompt['two']:.3f} s, editor ready {editor['two']:.3f} s")
    mark = "✓" if ratio <= TARGET else "✗"
    print(f"  prompt, two servers ÷ none: {ratio:.2f} (target ≤ {TARGET}) {mark}")
    print(f"  editor ready, two servers ÷ none: {editor['two'] / editor['none']:.2f}")
    answer = {name: statistics.median(found) for name, found in answers.items()}
    print(
        f"  one-shot question, launch to answer: {answer['none']:.3f} s with none, "
        f"{answer['two']:.3f} s with two (the servers' start waited for)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
