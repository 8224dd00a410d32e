"""`make bench`: chatcli against the bare SDK loop (and peers, when installed), in a real PTY.

Everything talks to the loopback server from tests/fake_server.py, started in this process,
so the network costs nothing and every client gets the same bytes at the same pace. Each
measurement is the median of --runs runs, interleaved so machine noise hits all clients alike.
Ratios come first (they are what the targets are about); absolute numbers follow.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from corpus import markdown_reply  # noqa: E402
from pty_run import COLS, ROWS, PtyRun, run_in_pty  # noqa: E402
from simulate import Case, cases, once_bytes, simulate  # noqa: E402

from tests.conftest import clean_environ  # noqa: E402
from tests.fake_server import Behaviour, FakeOpenAI  # noqa: E402

NAN = float("nan")
BIN = Path(sys.executable).parent
PYTHON = sys.executable
MODEL = "bench"
QUESTION = "Write the benchmark reply"
RATES = (30, 100, 2_000)  # tokens per second: a slow and a typical hosted model, a fast one
PTY_RATE = 2_000  # the rate every case runs at in the real PTY (slower ones are simulated)
CHECK_RATE = 100  # one case also runs for real at this rate, to check the simulation
FLAT = 1.25  # the last tenth of a reply may cost this much more than the first, no more
CLIENT_NAMES = ("chatcli", "bare SDK", "raw JSON")
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


RAW_LOOP = """
import http.client, json, os, sys, urllib.parse
url = urllib.parse.urlsplit(os.environ["OPENAI_BASE_URL"])
conn = http.client.HTTPConnection(url.hostname, url.port)
messages = [{"role": "user", "content": sys.argv[2]}]
body = {"model": sys.argv[1], "messages": messages, "stream": True}
key = os.environ["OPENAI_API_KEY"]
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
conn.request("POST", url.path + "/chat/completions", json.dumps(body), headers)
out = sys.stdout
for line in conn.getresponse():
    if line.startswith(b"data: {"):
        choices = json.loads(line[6:]).get("choices")
        if choices and choices[0].get("delta", {}).get("content"):
            out.write(choices[0]["delta"]["content"])
            out.flush()
"""


@dataclass
class Client:
    name: str
    argv: Callable[[], list[str]]


@dataclass
class Sample:
    cpu: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)

    def median(self, name: str) -> float:
        values: list[float] = list(getattr(self, name))
        return statistics.median(values) if values else float("nan")


def child_env(home: Path, server: FakeOpenAI) -> dict[str, str]:
    """The tests' clean user (empty HOME, no keys or config), pointed at the loopback server."""
    env = clean_environ(home)
    for name in ("COLORTERM", "FORCE_COLOR", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-bench")
    return env


def clients() -> list[Client]:
    chatcli = str(BIN / "chatcli")
    return [
        Client("chatcli", lambda: [chatcli, "-m", MODEL, QUESTION]),
        Client("bare SDK", lambda: [PYTHON, "-c", BARE_LOOP, MODEL, QUESTION]),
        Client("raw JSON", lambda: [PYTHON, "-c", RAW_LOOP, MODEL, QUESTION]),
    ]


def behaviour(case: Case, rate: float) -> Behaviour:
    return Behaviour(reply=case.answer, reasoning=case.reasoning, rate=rate)


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


def check(run: PtyRun, name: str) -> None:
    if run.exit_code != 0:
        tail = run.output[-500:].decode("utf-8", "replace")
        raise SystemExit(f"bench: {name} exited with {run.exit_code}:\n{tail}")


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


def measure_pty(
    server: FakeOpenAI, env: dict[str, str], cwd: str, runs: int
) -> tuple[dict[tuple[str, str], Sample], dict[str, bytes]]:
    """Every case at PTY_RATE in a real PTY, each client in turn (interleaved runs)."""
    results: dict[tuple[str, str], Sample] = {}
    outputs: dict[str, bytes] = {}
    for case in cases():
        for _ in range(runs if case.tokens <= 10_000 else max(1, runs - 1)):
            for client in clients():
                server.reset()
                server.expect(behaviour(case, PTY_RATE))
                run = run_in_pty(client.argv(), env, cwd, timeout=600)
                check(run, client.name)
                sample = results.setdefault((case.name, client.name), Sample())
                sample.cpu.append(run.cpu)
                sample.bytes.append(len(run.output))
                if client.name == "chatcli":
                    outputs[case.name] = run.output
    return results, outputs


def repl_run(server: FakeOpenAI, env: dict[str, str], cwd: str, reply: str | Behaviour) -> float:
    """CPU of a REPL session that asks one question, gets `reply` and ends (Ctrl-D)."""
    server.reset()
    server.expect(reply if isinstance(reply, Behaviour) else Behaviour(reply=reply, rate=PTY_RATE))
    state = {"asked": False, "left": False}
    seen = [b""]

    def on_output(fd: int, data: bytes) -> None:
        window = seen[0] + data
        seen[0] = window[-len(EDITOR_READY) :]
        if EDITOR_READY not in window or state["left"]:
            return
        seen[0] = b""
        if state["asked"]:  # the next prompt: the reply is over
            os.write(fd, b"\x04")
            state["left"] = True
        else:
            os.write(fd, QUESTION.encode() + b"\r")
            state["asked"] = True

    run = run_in_pty([str(BIN / "chatcli"), "-m", MODEL], env, cwd, on_output=on_output)
    check(run, "chatcli (REPL)")
    return run.cpu


def measure_modes(
    server: FakeOpenAI, env: dict[str, str], cwd: str, runs: int, case: Case
) -> dict[str, float]:
    """CPU the reply itself costs (a run with it minus a run with a two-word reply), in the
    REPL and in one-shot mode."""
    chatcli = [str(BIN / "chatcli"), "-m", MODEL, QUESTION]
    costs: dict[str, list[float]] = {"REPL": [], "one-shot": []}
    for _ in range(runs):
        long, short = repl_run(server, env, cwd, case.answer), repl_run(server, env, cwd, "ok")
        costs["REPL"].append(long - short)
        one: list[float] = []
        for reply in (case.answer, "ok"):
            server.reset()
            server.expect(Behaviour(reply=reply, rate=PTY_RATE))
            run = run_in_pty(chatcli, env, cwd, timeout=600)
            check(run, "chatcli")
            one.append(run.cpu)
        costs["one-shot"].append(one[0] - one[1])
    return {mode: statistics.median(values) for mode, values in costs.items()}


def measure_check(
    server: FakeOpenAI, env: dict[str, str], cwd: str, runs: int, case: Case
) -> dict[str, Sample]:
    """One case at CHECK_RATE for real: chatcli and the bare loop, interleaved."""
    found: dict[str, Sample] = {}
    for _ in range(runs):
        for client in clients()[:2]:
            server.reset()
            server.expect(behaviour(case, CHECK_RATE))
            run = run_in_pty(client.argv(), env, cwd, timeout=600)
            check(run, client.name)
            sample = found.setdefault(client.name, Sample())
            sample.cpu.append(run.cpu)
            sample.bytes.append(len(run.output))
    return found


BIG_BYTES = 20_000_000
BIG_HEADING = "## A 20 MB reply (`bench/run.py --big`)"
# Chunk sizes of the 20 MB reply: 1 KB, a stream (the bare loop then costs what the issue
# measured, 3.3 s); 64 KB, a server that sends huge pieces, where the bare loop costs little
# more than its start and chatcli's fixed costs (the REPL, the store's search index) show.
BIG_CHUNKS = (1_024, 65_536)


def big_reply(step: int) -> Behaviour:
    """20 MB of markdown prose (paragraphs of 8 lines) in chunks of `step` characters, as
    fast as the loopback server sends them: the reply a model that runs away writes."""
    line = "A line of the long reply, with **bold** words, `code` and a [link](https://x.org).\n"
    paragraph = line * 8 + "\n"
    text = paragraph * (BIG_BYTES // len(paragraph))
    return Behaviour(chunks=[text[i : i + step] for i in range(0, len(text), step)])


def measure_big(
    server: FakeOpenAI, env: dict[str, str], cwd: str, runs: int
) -> dict[int, tuple[float, float]]:
    """Per chunk size: CPU of the REPL given one 20 MB reply, and of the bare SDK loop given
    the same (medians, interleaved)."""
    found: dict[int, tuple[float, float]] = {}
    for step in BIG_CHUNKS:
        reply = big_reply(step)
        chatcli, bare = [], []
        for _ in range(runs):
            chatcli.append(repl_run(server, env, cwd, reply))
            server.reset()
            server.expect(reply)
            run = run_in_pty(clients()[1].argv(), env, cwd, timeout=600)
            check(run, "bare SDK")
            bare.append(run.cpu)
        found[step] = (statistics.median(chatcli), statistics.median(bare))
    return found


def big_section(found: dict[int, tuple[float, float]]) -> str:
    stream = found[BIG_CHUNKS[0]]
    met = stream[0] / stream[1] <= 2.0
    return "\n".join(
        [
            BIG_HEADING,
            "",
            "| chunks | chatcli (REPL) CPU s | bare SDK loop CPU s | ratio |",
            "|---|---:|---:|---:|",
            *(
                f"| {step // 1024} KB | {chatcli:.2f} | {bare:.2f} | {chatcli / bare:.2f} |"
                for step, (chatcli, bare) in found.items()
            ),
            "",
            f"Target: chatcli ≤ 2× the bare loop for a streamed 20 MB reply (1 KB chunks). Met: "
            f"{verdict(met)}. Past 256 KB a reply goes on as plain text with a one-line notice "
            "(`render.PLAIN_AFTER`); live markdown of all 20 MB cost 31 s of CPU against the bare "
            "loop's 3.3 s. With 64 KB chunks the bare loop costs little more than its start, and "
            "chatcli's fixed costs show: the REPL itself, and the store indexing 20 MB for search "
            "(about 0.7 s).",
            "",
        ]
    )


def with_big_section(old: str, section: str) -> str:
    """The results file with the 20 MB section replaced (or added at the end)."""
    parts = re.split(r"^(?=## )", old, flags=re.M)
    kept = [part for part in parts if not part.startswith(BIG_HEADING)]
    return "".join(kept).rstrip("\n") + "\n\n" + section


@dataclass
class Simulation:
    cpu: float  # median renderer CPU, s
    bytes: int
    frames: int
    cpu_tenths: float  # CPU per token, last tenth ÷ first tenth (nan: tenths unlike)
    bytes_tenths: float  # bytes per token, the same


def measure_simulated(runs: int) -> dict[tuple[str, int], Simulation]:
    found = {}
    for case in cases():
        for rate in RATES:
            sims = sorted((simulate(case, rate) for _ in range(runs)), key=lambda s: s.cpu)
            sim = sims[len(sims) // 2]
            cpu_tenths = statistics.median(s.cpu_tenths for s in sims)
            tenths = (cpu_tenths, sim.bytes_tenths) if case.alike else (NAN, NAN)
            found[case.name, rate] = Simulation(sim.cpu, sim.bytes, sim.frames, *tenths)
    return found


def scrollback(output: bytes) -> list[str]:
    import pyte

    screen = pyte.HistoryScreen(COLS, ROWS, history=1_000_000)
    pyte.ByteStream(screen).feed(output)
    lines = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    return [line.rstrip() for line in [*lines, *screen.display]]


def repeated_lines(output: bytes, case: Case) -> tuple[int, int, int]:
    """(lines of the reply, missing from the scrollback, shown more than once): the reply's
    distinct non-blank lines, looked for as the terminal shows them."""
    shown = scrollback(output)
    counts: dict[str, int] = {}
    for line in shown:
        counts[line.strip()] = counts.get(line.strip(), 0) + 1
    wanted = [
        line.strip()
        for line in case.answer.splitlines()
        if line.strip()
        and not line.startswith(("```", "|", "#", "-", ">"))
        and "`" not in line
        and "*" not in line
        and not line[0].isdigit()
    ]
    unique = [line for line in wanted if wanted.count(line) == 1 and len(line) < COLS]
    missing = sum(1 for line in unique if counts.get(line, 0) == 0)
    repeated = sum(1 for line in unique if counts.get(line, 0) > 1)
    return len(unique), missing, repeated


@dataclass
class Measured:
    startup: dict[str, list[float]]
    resume: dict[str, list[float]] | None
    pty: dict[tuple[str, str], Sample]
    outputs: dict[str, bytes]
    simulated: dict[tuple[str, int], Simulation]
    modes: dict[str, float]
    check: dict[str, Sample]
    parsing: dict[str, float]
    runs: int


def target_rows(m: Measured) -> tuple[list[str], bool]:
    """One row per case and rate, and whether every target is met."""
    rows, all_met = [], True
    slow_chatcli, slow_bare = slow_costs(m)
    for case in cases():
        once = once_bytes(case)
        chatcli, bare, raw = (m.pty[case.name, name].median("cpu") for name in CLIENT_NAMES)
        base = m.simulated[case.name, PTY_RATE].cpu
        for rate in RATES:
            sim = m.simulated[case.name, rate]
            cpu = chatcli + sim.cpu - base  # the rest of chatcli, measured at PTY_RATE
            floor = bare
            if rate != PTY_RATE:  # one network read per token: more CPU for both
                cpu += slow_chatcli * case.tokens
                floor += slow_bare * case.tokens
            written = m.pty[case.name, "chatcli"].median("bytes") if rate == PTY_RATE else sim.bytes
            cpu_limit, bytes_limit = (1.0, 1.3) if case.reasoning else (1.2, 1.5)
            tenths = [sim.cpu_tenths, sim.bytes_tenths]
            met = (
                cpu / floor <= cpu_limit
                and written / once <= bytes_limit
                and all(t <= FLAT for t in tenths if t == t)
            )
            all_met &= met
            flat = " / ".join("—" if t != t else f"{t:.2f}" for t in tenths)
            rows.append(
                f"| {case.name} | {rate:,} | {cpu / floor:.2f} | {cpu / raw:.2f} | "
                f"{written / once:.2f} | {sim.frames:,} | {flat} | "
                f"{'PTY' if rate == PTY_RATE else 'simulated'} | {verdict(met)} |"
            )
    return rows, all_met


def slow_costs(m: Measured) -> tuple[float, float]:
    """CPU per token that a slow stream adds besides rendering, for chatcli and the bare
    loop, from the real PTY run at CHECK_RATE (at PTY_RATE reads gather several chunks)."""
    case = cases()[0]
    modelled = (
        m.pty[case.name, "chatcli"].median("cpu")
        + m.simulated[case.name, CHECK_RATE].cpu
        - m.simulated[case.name, PTY_RATE].cpu
    )
    bare = m.pty[case.name, "bare SDK"].median("cpu")
    return (
        (m.check["chatcli"].median("cpu") - modelled) / case.tokens,
        (m.check["bare SDK"].median("cpu") - bare) / case.tokens,
    )


def report(m: Measured) -> str:
    med = {name: statistics.median(v) for name, v in m.startup.items()}
    imp = med.get("python -c 'import openai; openai.OpenAI'", NAN)
    prompt = med.get("chatcli (REPL) to ready prompt", NAN)
    editor = med.get("chatcli (REPL) to line editor ready", NAN)
    rows, all_met = target_rows(m)
    check_case = cases()[0]
    check = {name: sample.median("cpu") for name, sample in m.check.items()}
    modelled = (
        m.pty[check_case.name, "chatcli"].median("cpu")
        + m.simulated[check_case.name, CHECK_RATE].cpu
        - m.simulated[check_case.name, PTY_RATE].cpu
    ) / m.pty[check_case.name, "bare SDK"].median("cpu")
    check_bytes = m.check["chatcli"].median("bytes") / once_bytes(check_case)
    repl = m.modes["REPL"] / m.modes["one-shot"]
    out = [
        "# chatcli benchmark",
        "",
        f"- Machine: {machine()}",
        f"- Libraries: {versions()}",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Terminal: real PTY {COLS}x{ROWS}; loopback server; medians of {m.runs} runs "
        "(2 for the cases over 10,000 tokens)",
        "",
        "## Streaming at 30, 100 and 2,000 tokens/s",
        "",
        "| case | tokens/s | CPU ÷ bare SDK loop | CPU ÷ raw-JSON loop | bytes ÷ once | frames "
        "| last ÷ first tenth: CPU/token, bytes÷once | how | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|:-:|",
        *rows,
        "",
        f"Targets: CPU ≤ 1.2× the bare SDK loop (≤ 1.0× for the reasoning reply), bytes ≤ 1.5× "
        f"rendering once (≤ 1.3× the answer once plus the collapsed line for the reasoning "
        f"reply), last tenth ≤ {FLAT}× the first (flat). All met: {verdict(all_met)}.",
        "",
        "- *once*: chatcli's renderer given the whole reply in one piece (no live region, no "
        "padding) — a stricter floor than rich's own rendering, which pads every line.",
        "- *PTY*: `chatcli -m bench PROMPT`, the bare loop over `chat.completions.create("
        "stream=True)` and a raw-JSON loop (`http.client` + `json.loads`, no SDK: the cost floor "
        "of a Python client) in a real pseudo-terminal; CPU from the kernel (user + sys).",
        "- *simulated*: hours of streaming in seconds (`bench/simulate.py`): tokens fed to the "
        "real renderer (and reasoning to the real thinking window) under a simulated clock. CPU "
        "at a simulated rate = chatcli's PTY CPU at 2,000 tokens/s + the renderer's CPU at that "
        "rate − its CPU at 2,000 + what a slow stream adds per token besides rendering (one "
        "network read per token); the bare loop's CPU likewise. Those per-token additions come "
        f"from the real run at {CHECK_RATE} tokens/s (check 2); the raw-JSON loop's CPU is taken "
        "at 2,000 tokens/s, so its ratio is an upper bound. Frames: frames that wrote something.",
        "- *tenths*: the renderer's CPU and bytes per token in the reply's last tenth ÷ its "
        "first, the reply's end excluded (a table is written once when it ends). — where the "
        "tenths hold unlike content: 200-token tenths of the 2,000-token reply are one section "
        "each (list, code, table…), and the reasoning reply's are thinking, then answer.",
        "",
        "## Checks",
        "",
        "| # | measure | value | target | met |",
        "|---|---|---:|---:|:-:|",
        f"| 1 | launch to ready prompt ÷ `import openai` | {prompt / imp:.2f} | ≤ 0.50 | "
        f"{verdict(prompt / imp <= 0.5)} |",
        f"| 1b | (for reference) line editor up, typed keys drawn ÷ `import openai` | "
        f"{editor / imp:.2f} | — | |",
        f"| 2 | real PTY at {CHECK_RATE} tokens/s, {check_case.name}: CPU ÷ bare SDK loop "
        f"(the simulation alone estimated {modelled:.2f}); bytes ÷ once | "
        f"{check['chatcli'] / check['bare SDK']:.2f}; {check_bytes:.2f} | ≤ 1.20; ≤ 1.50 | "
        f"{verdict(check['chatcli'] / check['bare SDK'] <= 1.2 and check_bytes <= 1.5)} |",
        f"| 3 | CPU the reply costs in the REPL ÷ in one-shot mode ({cases()[1].name}) | "
        f"{repl:.2f} | ≤ 1.10 | {verdict(repl <= 1.1)} |",
    ]
    for k, name in enumerate((cases()[1].name, cases()[3].name)):
        total, missing, repeated = repeated_lines(m.outputs[name], find_case(name))
        out.append(
            f"| {4 + k} | {name} in the PTY: of {total:,} distinct lines, missing / repeated in "
            f"the scrollback | {missing} / {repeated} | 0 / 0 | "
            f"{verdict(missing == repeated == 0)} |"
        )
    if m.resume is not None:
        r = {name: statistics.median(values) for name, values in m.resume.items()}
        slower, peak = r["resume"] / r["fresh"], max(m.resume["resume MB"])
        out.append(
            f"| 6 | resume a 1,000-turn conversation: prompt time ÷ fresh start; peak memory | "
            f"{slower:.2f}; {peak:.0f} MB | ≤ 1.50; < 150 MB | "
            f"{verdict(slower <= 1.5 and peak < 150)} |"
        )
    out += [
        "",
        f"3: each mode's CPU with the reply minus with a two-word reply, at {PTY_RATE:,} "
        "tokens/s. 4-5: the PTY output replayed into pyte.",
        "",
        f"## Absolute, real PTY at {PTY_RATE:,} tokens/s",
        "",
        "| case | tokens | once bytes | chatcli CPU s | bare SDK CPU s | raw JSON CPU s | "
        "chatcli bytes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases():
        cpu = [m.pty[case.name, name].median("cpu") for name in CLIENT_NAMES]
        out.append(
            f"| {case.name} | {case.tokens:,} | {once_bytes(case):,} | {cpu[0]:.2f} | "
            f"{cpu[1]:.2f} | {cpu[2]:.2f} | {m.pty[case.name, 'chatcli'].median('bytes'):,.0f} |"
        )
    out += [
        "",
        "## Renderer alone, simulated (CPU s, frames)",
        "",
        "| case | " + " | ".join(f"{rate:,} tokens/s" for rate in RATES) + " |",
        "|---|" + "---:|" * len(RATES),
    ]
    for case in cases():
        cells = [
            f"{m.simulated[case.name, r].cpu:.2f} s, {m.simulated[case.name, r].frames:,}"
            for r in RATES
        ]
        out.append(f"| {case.name} | " + " | ".join(cells) + " |")
    if m.parsing:
        typed, raw = m.parsing["typed"], m.parsing["raw"]
        out += [
            "",
            "## SDK chunk parsing (why chatcli reads the raw response)",
            "",
            "| way | µs CPU per chunk |",
            "|---|---:|",
            f"| typed chunks from `chat.completions.create(stream=True)` | {typed * 1e6:.0f} |",
            f"| raw response + `json.loads` (`with_streaming_response`) | {raw * 1e6:.0f} |",
            "",
            "chatcli still calls `chat.completions.create` (via `with_raw_response`: the SDK "
            "builds, retries and raises on error statuses) and parses the event stream itself.",
        ]
    out += ["", "## Startup, absolute", "", "| command | median s |", "|---|---:|"]
    out += [f"| {name} | {value:.3f} |" for name, value in med.items()]
    out.append("")
    return "\n".join(out)


def find_case(name: str) -> Case:
    return next(case for case in cases() if case.name == name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-startup", action="store_true", help="skip the launch measurements")
    parser.add_argument("--out", default=str(HERE / "results.md"))
    parser.add_argument("--big", action="store_true", help="only the 20 MB reply, its section")
    args = parser.parse_args()
    if args.big:
        return run_big(Path(args.out), args.runs)
    print("simulated rates ...", file=sys.stderr, flush=True)
    simulated = measure_simulated(args.runs)
    server = FakeOpenAI().start()
    try:
        with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cwd:
            env = child_env(Path(home), server)
            print("startup ...", file=sys.stderr, flush=True)
            startup = {} if args.no_startup else measure_startup(env, cwd, 3 * args.runs)
            resume = None if args.no_startup else measure_resume(env, cwd, args.runs)
            print(f"streaming at {PTY_RATE} tokens/s ...", file=sys.stderr, flush=True)
            pty, outputs = measure_pty(server, env, cwd, args.runs)
            print("REPL and one-shot ...", file=sys.stderr, flush=True)
            modes = measure_modes(server, env, cwd, args.runs, cases()[1])
            print(f"one case at {CHECK_RATE} tokens/s ...", file=sys.stderr, flush=True)
            check_runs = measure_check(server, env, cwd, args.runs, cases()[0])
            parsing = measure_sdk_parsing(server, env, markdown_reply(8_000))
            print("a 20 MB reply ...", file=sys.stderr, flush=True)
            big = measure_big(server, env, cwd, max(1, args.runs - 1))
    finally:
        server.stop()
    measured = Measured(
        startup, resume, pty, outputs, simulated, modes, check_runs, parsing, args.runs
    )
    text = report(measured) + "\n" + big_section(big)
    print(text)
    out = Path(args.out)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(text + kept_sections(old), encoding="utf-8")
    return 0


def run_big(out: Path, runs: int) -> int:
    """`--big`: the 20 MB reply alone; its section of the results file is rewritten."""
    server = FakeOpenAI().start()
    try:
        with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cwd:
            section = big_section(measure_big(server, child_env(Path(home), server), cwd, runs))
    finally:
        server.stop()
    print(section)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(with_big_section(old, section), encoding="utf-8")
    return 0


def kept_sections(old: str) -> str:
    """The sections other benches wrote into the results file (their heading names them, as
    "## … (`bench/cache.py`)"): kept, after this bench's own."""
    sections = re.split(r"^(?=## )", old, flags=re.M)[1:]
    kept = [part for part in sections if re.search(r"`bench/\w+\.py`", part.splitlines()[0])]
    return "".join("\n" + part.rstrip("\n") + "\n" for part in kept)


if __name__ == "__main__":
    sys.exit(main())
