"""`python bench/local_model.py`: the bundled offline model (llama.cpp + SmolLM2) on this machine.

Startup: the installed `chatcli --local` in a real PTY until its prompt shows, next to the same
launch against the loopback test server (no llama.cpp), and to the llama.cpp server alone
(spawn until /v1/models answers).

Throughput: one prompt at temperature 0 with a fixed token budget, all on one server: chatcli's
own status line (the installed chatcli in a PTY, pointed at that server), a bare streaming HTTP
request (urllib, no SDK), and llama.cpp's eval timing from the server log. The rate is
completion tokens over the time from the first token to the last, as chatcli reports it.

Every number is the median of --runs runs, the clients interleaved so machine noise hits all.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from pty_run import run_in_pty  # noqa: E402

from chatcli.config.settings import DEFAULT_LOCAL_CTX  # noqa: E402
from chatcli.local import server as local  # noqa: E402
from tests.conftest import clean_environ  # noqa: E402
from tests.fake_server import FakeOpenAI  # noqa: E402

CHATCLI = str(Path(sys.executable).with_name("chatcli"))
QUESTION = "Write a very long story about a dragon."
CTRL_D = b"\x04"
LLAMA_EVAL = re.compile(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs")


def launch_until_prompt(argv: list[str], env: dict[str, str], cwd: str, prompt: bytes) -> float:
    run = run_in_pty(
        argv, env, cwd, markers=[prompt], on_marks=lambda fd: os.write(fd, CTRL_D) and None
    )
    seconds = run.until(prompt)
    if seconds is None or run.exit_code != 0:
        raise RuntimeError(f"{argv} did not reach its prompt:\n{run.output.decode()[-800:]}")
    return seconds


def server_alone() -> float:
    started = time.monotonic()
    with local.start(ctx=DEFAULT_LOCAL_CTX):
        return time.monotonic() - started


def request_body(server: local.LocalServer, tokens: int) -> dict[str, object]:
    return {
        "model": server.model,
        "messages": [{"role": "user", "content": QUESTION}],
        "temperature": 0,
        "seed": 1,
        "max_tokens": tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def bare_http(server: local.LocalServer, tokens: int) -> tuple[float, int]:
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps(request_body(server, tokens)).encode(),
        headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"},
    )
    first = None
    completion = 0
    with urllib.request.urlopen(request, timeout=300) as response:
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line.removeprefix("data: "))
            if first is None and any(c["delta"].get("content") for c in chunk["choices"]):
                first = time.monotonic()
            if chunk.get("usage"):
                completion = chunk["usage"]["completion_tokens"]
        last = time.monotonic()
    assert first is not None
    return completion / (last - first), completion


def through_chatcli(
    server: local.LocalServer, tokens: int, env: dict[str, str], cwd: str
) -> tuple[float, int]:
    argv = [CHATCLI, "--base-url", server.base_url, "--model", server.model]
    argv += ["--temperature", "0", "--seed", "1", "--max-tokens", str(tokens), QUESTION]
    run_env = {**env, "OPENAI_API_KEY": server.api_key, "CHATCLI_MAX_TOKENS_FIELD": "max_tokens"}
    run = run_in_pty(argv, run_env, cwd, timeout=300)
    status = re.search(
        rb"\d+ \xe2\x86\x92 (\d+) tokens \xc2\xb7 [\d.]+ s \xc2\xb7 (\d+) tok/s", run.output
    )
    if status is None or run.exit_code != 0:
        raise RuntimeError(f"no status line from chatcli:\n{run.output.decode()[-800:]}")
    return float(status.group(2)), int(status.group(1))


def llama_own(server: local.LocalServer) -> float:
    found = LLAMA_EVAL.findall(server.log_text())
    millis, runs = found[-1]
    return int(runs) / (float(millis) / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=200)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chatcli-bench-local-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    (work / "home").mkdir()
    env = {**clean_environ(work / "home"), "TMPDIR": str(work)}
    cwd = str(work)
    fake = FakeOpenAI().start()
    online_env = {**env, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-bench"}

    ready_local, ready_online, alone = [], [], []
    for _ in range(args.runs):
        ready_local.append(
            launch_until_prompt([CHATCLI, "--local"], env, cwd, b"SmolLM2-135M-Instruct>")
        )
        ready_online.append(launch_until_prompt([CHATCLI], online_env, cwd, b"gpt-4o>"))
        alone.append(server_alone())
    fake.stop()

    rates: dict[str, list[float]] = {"chatcli": [], "bare HTTP": [], "llama.cpp eval": []}
    with local.start(ctx=DEFAULT_LOCAL_CTX) as server:
        bare_http(server, args.tokens)  # warm-up: first request pays for page faults
        for _ in range(args.runs):
            rate, produced = through_chatcli(server, args.tokens, env, cwd)
            assert produced == args.tokens, produced
            rates["chatcli"].append(rate)
            rates["llama.cpp eval"].append(llama_own(server))
            rate, produced = bare_http(server, args.tokens)
            assert produced == args.tokens, produced
            rates["bare HTTP"].append(rate)
            rates["llama.cpp eval"].append(llama_own(server))

    med = statistics.median
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"# offline model: {local.BUNDLED_FILE}, n_ctx {DEFAULT_LOCAL_CTX}")
    print(
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}; "
        f"median of {args.runs} runs\n"
    )
    print("| launch to ready prompt | seconds |\n|---|---:|")
    print(f"| `chatcli --local` (starts llama.cpp, loads the model) | {med(ready_local):.2f} |")
    print(f"| `chatcli` with a key (loopback server, no llama.cpp) | {med(ready_online):.2f} |")
    print(f"| llama.cpp server alone: spawn to /v1/models answering | {med(alone):.2f} |")
    print(f"\n| {args.tokens} tokens, temperature 0 | tokens/s | ÷ bare HTTP |\n|---|---:|---:|")
    for name, values in rates.items():
        print(f"| {name} | {med(values):.1f} | {med(values) / med(rates['bare HTTP']):.2f} |")


if __name__ == "__main__":
    main()
