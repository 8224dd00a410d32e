"""`make bench`: chatcli against the bare SDK loop (and peers, when installed), in a real PTY.

Everything talks to the loopback server from tests/fake_server.py, started in this process,
so the network costs nothing and every client gets the same bytes at the same pace. Each
measurement is the median of --runs runs, interleaved so machine noise hits all clients alike.
Ratios come first (they are what the targets are about); absolute numbers follow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import FIRST_WORD, markdown_reply  # noqa: E402
from pty_run import COLS, ROWS, PtyRun, run_in_pty  # noqa: E402

from tests.conftest import clean_environ  # noqa: E402
from tests.fake_server import Behaviour, FakeOpenAI  # noqa: E402

BIN = Path(sys.executable).parent
PYTHON = sys.executable
MODEL = "bench"
QUESTION = "Write the benchmark reply"
SIZES = (2_000, 8_000, 20_000)
PACE = 2_000.0  # tokens per second, like a fast hosted model
BARE_LOOP = """
import sys, openai
client = openai.OpenAI()
out = sys.stdout
for chunk in client.chat.completions.create(
    model=sys.argv[1], messages=[{"role": "user", "content": sys.argv[2]}], stream=True
):
    if chunk.choices and chunk.choices[0].delta.content:
        out.write(chunk.choices[0].delta.content)
        out.flush()
"""
IMPORT_OPENAI = "import openai; openai.OpenAI"
EDITOR_READY = b"\x1b[?2004h"  # prompt_toolkit turns on bracketed paste as it draws


@dataclass
class Client:
    name: str
    argv: Callable[[], list[str]]
    sizes: tuple[int, ...] = SIZES
    paced_only: bool = False


@dataclass
class Sample:
    cpu: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        values: list[float] = list(getattr(self, name))
        return statistics.median(values) if values else float("nan")


def child_env(home: Path, server: FakeOpenAI) -> dict[str, str]:
    """The tests' clean user (empty HOME, no keys or config), pointed at the loopback server."""
    env = clean_environ(home)
    for name in ("COLORTERM", "FORCE_COLOR", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    env.update(
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="sk-bench",
        # peers
        LLM_USER_PATH=str(home / "llm"),
        API_BASE_URL=server.base_url,
        DEFAULT_MODEL=MODEL,
    )
    (home / "llm").mkdir(parents=True, exist_ok=True)
    (home / "llm" / "extra-openai-models.yaml").write_text(
        f"- model_id: {MODEL}\n  model_name: {MODEL}\n  api_base: {server.base_url}\n"
    )
    return env


def peers() -> list[Client]:
    found: list[Client] = []
    llm = shutil.which("llm", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if llm:
        found.append(Client("llm", lambda: [llm, "-m", MODEL, QUESTION], (2_000, 8_000), True))
    sgpt = shutil.which("sgpt")
    if sgpt:  # re-renders the whole reply per chunk: one small size is plenty
        found.append(Client("shell-gpt", lambda: [sgpt, "--md", QUESTION], (2_000,), True))
    return found


def clients() -> list[Client]:
    chatcli = str(BIN / "chatcli")
    return [
        Client("chatcli", lambda: [chatcli, "-m", MODEL, QUESTION]),
        Client("bare SDK", lambda: [PYTHON, "-c", BARE_LOOP, MODEL, QUESTION]),
        *peers(),
    ]


def once_bytes(text: str) -> int:
    """What rich writes for the finished reply rendered one time: the floor for live output."""
    from rich.console import Console
    from rich.markdown import Markdown

    out = io.StringIO()
    Console(file=out, force_terminal=True, width=COLS, color_system="256").print(Markdown(text))
    return len(out.getvalue().encode())


def measure_startup(env: dict[str, str], cwd: str, runs: int) -> dict[str, list[float]]:
    chatcli = str(BIN / "chatcli")

    prompt, editor = f"{MODEL}>".encode(), EDITOR_READY
    editor_times: list[float] = []

    def until_prompt() -> float:
        run = run_in_pty(
            [chatcli, "-m", MODEL],
            env,
            cwd,
            markers=(prompt, editor),
            on_marks=lambda fd: os.write(fd, b"\x04"),
            timeout=30,
        )
        shown, ready = run.until(prompt), run.until(editor)
        assert shown is not None and ready is not None, run.output[-300:]
        editor_times.append(ready)
        return shown

    def until_exit(argv: list[str]) -> Callable[[], float]:
        return lambda: run_in_pty(argv, env, cwd, timeout=30).wall

    cases: dict[str, Callable[[], float]] = {
        "python -c 'import openai; openai.OpenAI'": until_exit([PYTHON, "-c", IMPORT_OPENAI]),
        "chatcli (REPL) to ready prompt": until_prompt,
        "chatcli --version": until_exit([chatcli, "--version"]),
        "chatcli --help": until_exit([chatcli, "--help"]),
        "python -c pass": until_exit([PYTHON, "-c", "pass"]),
    }
    for peer in ("llm", "sgpt"):
        exe = shutil.which(peer, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if exe:
            cases[f"{peer} --version"] = until_exit([exe, "--version"])
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            times[name].append(case())
    times["chatcli (REPL) to line editor ready"] = editor_times
    return times


SDK_PARSE = """
import json, sys, time, openai
client = openai.OpenAI()
args = dict(model=sys.argv[1], messages=[{"role": "user", "content": "q"}], stream=True)
def typed():
    for chunk in client.chat.completions.create(**args):
        if chunk.choices and chunk.choices[0].delta.content:
            yield chunk.choices[0].delta.content
def raw():
    with client.chat.completions.with_streaming_response.create(**args) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                choices = json.loads(line[6:]).get("choices")
                if choices and choices[0]["delta"].get("content"):
                    yield choices[0]["delta"]["content"]
for way in (typed, raw, typed, raw):
    started = time.thread_time()
    n = sum(1 for _ in way())
    print(way.__name__, (time.thread_time() - started) / n, flush=True)
"""


def measure_resume(env: dict[str, str], cwd: str, runs: int) -> dict[str, list[float]] | None:
    """Launch to prompt and peak memory: resuming a 1,000-turn conversation vs a fresh start.

    None when this build has no conversation store (`chatcli sessions import` fails).
    """
    chatcli = str(BIN / "chatcli")
    body = markdown_reply(150, seed=3)
    messages = []
    for i in range(1_000):
        messages += [
            {"role": "user", "content": f"Question {i}: how does part {i} work?"},
            {"role": "assistant", "content": body},
        ]
    transcript = Path(cwd) / "long.json"
    transcript.write_text(
        json.dumps({"chatcli_transcript": 1, "model": MODEL, "messages": messages}),
        encoding="utf-8",
    )
    imported = subprocess.run(
        [chatcli, "sessions", "import", str(transcript)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    transcript.unlink()
    if imported.returncode != 0:
        print(f"bench: no store to resume from: {imported.stderr.strip()}", file=sys.stderr)
        return None
    found = re.search(r"#(\d+)", imported.stderr + imported.stdout)
    assert found, imported.stderr
    prompt = f"{MODEL}>".encode()
    times: dict[str, list[float]] = {"fresh": [], "resume": [], "fresh MB": [], "resume MB": []}
    for _ in range(runs):
        for name, extra in (("fresh", []), ("resume", ["--session", found.group(1)])):
            run = run_in_pty(
                [chatcli, "-m", MODEL, *extra],
                env,
                cwd,
                markers=(prompt, EDITOR_READY),
                on_marks=lambda fd: os.write(fd, b"\x04"),
                timeout=60,
            )
            check(run, f"chatcli {' '.join(extra)}")
            shown = run.until(prompt)
            assert shown is not None, run.output[-300:]
            times[name].append(shown)
            times[f"{name} MB"].append(run.max_rss_kb / 1024)
    return times


def measure_sdk_parsing(server: FakeOpenAI, env: dict[str, str], text: str) -> dict[str, float]:
    """CPU per chunk of the SDK's typed stream vs its raw response plus json.loads (chatcli's
    way)."""
    server.reset()
    server.expect(Behaviour(reply=text, times=4))
    out = subprocess.run(
        [PYTHON, "-c", SDK_PARSE, MODEL], env=env, capture_output=True, text=True, check=True
    ).stdout
    per_chunk: dict[str, list[float]] = {}
    for line in out.splitlines():
        way, seconds = line.split()
        per_chunk.setdefault(way, []).append(float(seconds))
    return {way: min(values) for way, values in per_chunk.items()}


def measure_stream(
    server: FakeOpenAI, env: dict[str, str], cwd: str, runs: int, sizes: tuple[int, ...]
) -> tuple[dict[tuple[int, bool, str], Sample], dict[int, str], bytes]:
    texts = {n: markdown_reply(n) for n in sizes}
    results: dict[tuple[int, bool, str], Sample] = {}
    tall_output = b""
    marker = FIRST_WORD.encode()
    for paced in (True, False):
        for size in sizes:
            for _ in range(runs):
                for client in clients():
                    if size not in client.sizes or (client.paced_only and not paced):
                        continue
                    server.reset()
                    server.expect(Behaviour(reply=texts[size], rate=PACE if paced else 0.0))
                    run = run_in_pty(client.argv(), env, cwd, markers=(marker,), timeout=600)
                    check(run, client.name)
                    sample = results.setdefault((size, paced, client.name), Sample())
                    sample.cpu.append(run.cpu)
                    sample.bytes.append(len(run.output))
                    sample.wall.append(run.wall)
                    if marker in run.marks and server.first_content_sent:
                        sample.first.append(run.marks[marker] - server.first_content_sent[0])
                    if client.name == "chatcli" and paced and size == max(SIZES):
                        tall_output = run.output
    return results, texts, tall_output


def check(run: PtyRun, name: str) -> None:
    if run.exit_code != 0:
        tail = run.output[-500:].decode("utf-8", "replace")
        raise SystemExit(f"bench: {name} exited with {run.exit_code}:\n{tail}")


def scrollback_check(output: bytes, text: str) -> tuple[int, int, int]:
    """Feed the PTY output to a terminal emulator: (screens tall, headings missing, repeated)."""
    import pyte

    screen = pyte.HistoryScreen(COLS, ROWS, history=1_000_000)
    pyte.ByteStream(screen).feed(output)
    lines = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    lines += screen.display
    shown = "\n".join(lines)
    headings = re.findall(r"^## (Section \d+):", text, flags=re.M)
    missing = sum(1 for h in headings if shown.count(h + ":") == 0)
    repeated = sum(1 for h in headings if shown.count(h + ":") > 1)
    return len(lines) // ROWS, missing, repeated


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {nproc} CPUs ({model or 'unknown'}), "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("openai", "rich", "prompt_toolkit"))


def report(
    startup: dict[str, list[float]],
    stream: dict[tuple[int, bool, str], Sample],
    texts: dict[int, str],
    tall: tuple[int, int, int] | None,
    parsing: dict[str, float],
    resume: dict[str, list[float]] | None,
    runs: int,
) -> str:
    nan = float("nan")
    med = {name: statistics.median(v) for name, v in startup.items()}
    imp = med.get("python -c 'import openai; openai.OpenAI'", nan)
    prompt = med.get("chatcli (REPL) to ready prompt", nan)

    def get(size: int, paced: bool, name: str, what: str) -> float:
        sample = stream.get((size, paced, name))
        return sample.median(what) if sample else nan

    def cpu(size: int, name: str) -> float:
        return get(size, True, name, "cpu")

    once_8k = once_bytes(texts[8_000]) if 8_000 in texts else nan
    first_gap = get(8_000, True, "chatcli", "first") - get(8_000, True, "bare SDK", "first")
    rows = [
        ("1", "launch to ready prompt ÷ `import openai`", prompt / imp, 0.5, "{:.2f}"),
        (
            "2",
            "CPU ÷ bare SDK loop (8k tokens, paced)",
            cpu(8_000, "chatcli") / cpu(8_000, "bare SDK"),
            1.3,
            "{:.2f}",
        ),
        (
            "3",
            "CPU(8k)/CPU(2k) ÷ same for bare loop (paced)",
            (cpu(8_000, "chatcli") / cpu(2_000, "chatcli"))
            / (cpu(8_000, "bare SDK") / cpu(2_000, "bare SDK")),
            1.25,
            "{:.2f}",
        ),
        (
            "4",
            "bytes to terminal ÷ rendering once (8k, paced)",
            get(8_000, True, "chatcli", "bytes") / once_8k,
            2.0,
            "{:.2f}",
        ),
        (
            "5",
            "first visible token, chatcli − bare, ms (8k, paced)",
            first_gap * 1e3,
            20.0,
            "{:+.1f}",
        ),
    ]
    table = [
        f"| {n} | {what} | {fmt.format(value)} | ≤ {fmt.format(limit).lstrip('+')} | "
        f"{verdict(value <= limit)} |"
        for n, what, value, limit, fmt in rows
    ]
    editor = med.get("chatcli (REPL) to line editor ready", nan)
    table.insert(
        1,
        f"| 1b | (for reference) line editor up, typed keys drawn ÷ `import openai` | "
        f"{editor / imp:.2f} | — | |",
    )
    if tall is not None:
        screens, missing, repeated = tall
        table.append(
            f"| 6 | reply {screens} screens tall: headings missing / repeated in scrollback | "
            f"{missing} / {repeated} | 0 / 0 | {verdict(missing == repeated == 0)} |"
        )
    if resume is not None:
        r = {name: statistics.median(values) for name, values in resume.items()}
        slower, peak = r["resume"] / r["fresh"], max(resume["resume MB"])
        table.append(
            f"| 7 | resume a 1,000-turn conversation: prompt time ÷ fresh start; peak memory | "
            f"{slower:.2f}; {peak:.0f} MB | ≤ 1.50; < 150 MB | "
            f"{verdict(slower <= 1.5 and peak < 150)} |"
        )
    else:
        table.append("| 7 | resume a 1,000-turn conversation | no store in this build | | |")
    out = [
        "# chatcli benchmark",
        "",
        f"- Machine: {machine()}",
        f"- Libraries: {versions()}",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Terminal: real PTY {COLS}x{ROWS}; loopback server; median of {runs} runs; "
        f"paced = {PACE:.0f} tokens/s",
        "",
        "## Targets (ratios)",
        "",
        "| # | measure | value | target | met |",
        "|---|---|---:|---:|:-:|",
        *table,
        "",
        "1: the prompt is painted as soon as the settings are read, before prompt_toolkit "
        "has loaded; keys typed meanwhile are held and reach the editor (1b: when it draws).",
        "2-5: `chatcli PROMPT` with markdown rendered live vs a loop over "
        "`chat.completions.create(stream=True)` writing each delta; first token is timed "
        "from the server sending the first content chunk to its word reaching the PTY.",
        "6: the PTY output of the 20,000-token paced run, replayed into pyte.",
        "",
        "## Streaming, ratios to the bare SDK loop",
        "",
        "| tokens | pacing | client | CPU ÷ bare | bytes ÷ once | first token − bare |",
        "|---:|---|---|---:|---:|---:|",
    ]
    once = {n: once_bytes(t) for n, t in texts.items()}
    for (size, paced, name), s in sorted(stream.items(), key=lambda kv: (not kv[0][1], kv[0][0])):
        bare = stream.get((size, paced, "bare SDK"))
        if bare is None:
            continue
        gap = (s.median("first") - bare.median("first")) * 1e3
        out.append(
            f"| {size:,} | {'paced' if paced else 'unpaced'} | {name} | "
            f"{s.median('cpu') / bare.median('cpu'):.2f} | "
            f"{s.median('bytes') / once[size]:.2f} | {gap:+.1f} ms |"
        )
    out += [
        "",
        "## Streaming, absolute",
        "",
        "| tokens | pacing | client | CPU s | bytes | first token ms | wall s |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for (size, paced, name), s in sorted(stream.items(), key=lambda kv: (not kv[0][1], kv[0][0])):
        out.append(
            f"| {size:,} | {'paced' if paced else 'unpaced'} | {name} | {s.median('cpu'):.3f} | "
            f"{s.median('bytes'):,.0f} | {s.median('first') * 1e3:.1f} | {s.median('wall'):.2f} |"
        )
    out += [
        "",
        "Rendering the finished reply once with rich: "
        + ", ".join(f"{n:,} tokens {b:,} bytes" for n, b in once.items()),
        "",
    ]
    if parsing:
        typed, raw = parsing["typed"], parsing["raw"]
        bare_8k = cpu(8_000, "bare SDK")
        out += [
            "## SDK chunk parsing (why chatcli reads the raw response)",
            "",
            "| way | µs CPU per chunk |",
            "|---|---:|",
            f"| typed chunks from `chat.completions.create(stream=True)` | {typed * 1e6:.0f} |",
            f"| raw response + `json.loads` (`with_streaming_response`) | {raw * 1e6:.0f} |",
            "",
            f"For 8,000 tokens the typed path costs {(typed - raw) * 8_000:.2f} s more CPU, "
            f"{(typed - raw) * 8_000 / bare_8k:.0%} of the bare loop's total. chatcli still calls "
            "`chat.completions.create` (via `with_raw_response`: the SDK builds, retries and "
            "raises on error statuses) and parses the event stream itself.",
            "",
        ]
    out += ["## Startup, absolute", "", "| command | median s |", "|---|---:|"]
    out += [f"| {name} | {value:.3f} |" for name, value in med.items()]
    out.append("")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="reply sizes in tokens, e.g. 2000,8000"
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the launch measurements")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    args = parser.parse_args()
    server = FakeOpenAI().start()
    try:
        with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cwd:
            env = child_env(Path(home), server)
            print("startup ...", file=sys.stderr, flush=True)
            startup = {} if args.no_startup else measure_startup(env, cwd, 3 * args.runs)
            resume = None if args.no_startup else measure_resume(env, cwd, args.runs)
            print("streaming ...", file=sys.stderr, flush=True)
            stream, texts, tall_output = measure_stream(
                server, env, cwd, args.runs, tuple(int(n) for n in args.sizes.split(","))
            )
            parsing = measure_sdk_parsing(server, env, markdown_reply(8_000))
    finally:
        server.stop()
    tall = scrollback_check(tall_output, texts[max(SIZES)]) if tall_output else None
    text = report(startup, stream, texts, tall, parsing, resume, args.runs)
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
