"""The fault matrix: every way the network or server can fail, one test each, in one-shot mode
(exit code + one clear line, no traceback) and in one REPL session that must survive them all."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.conftest import Terminal
from tests.conftest import run_chatcli as run
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]


def chunk(delta: dict[str, object] | None, finish: str | None = None) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return json.dumps(
        {"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": choices}
    )


@dataclass
class Fault:
    behaviours: list[Behaviour]
    exit_code: int
    message: str
    args: list[str] = field(default_factory=list)
    reply: str | None = None
    kept: str | None = None  # cut mid-reply: the text shown stays, marked interrupted


FAULTS: dict[str, Fault] = {
    "429 retry-after then success": Fault(
        [Behaviour(status=429, headers={"Retry-After": "0"})],
        0,
        "",
        ["--max-retries", "1"],
        "Echo:",
    ),
    "429 exhausted": Fault(
        [Behaviour(status=429, error={"message": "Rate limit reached"}, times=2)],
        1,
        "rate limited (429), still failing after 1 retries: Rate limit reached",
        ["--max-retries", "1"],
    ),
    "500 502 503 then success": Fault(
        [Behaviour(status=500), Behaviour(status=502), Behaviour(status=503)],
        0,
        "",
        ["--max-retries", "3"],
        "Echo:",
    ),
    "500 exhausted": Fault(
        [Behaviour(status=500, times=3)], 1, "server error (500)", ["--max-retries", "2"]
    ),
    "401": Fault(
        [Behaviour(status=401, error={"message": "Incorrect API key provided"})],
        1,
        "the API key was rejected (401): check OPENAI_API_KEY",
    ),
    "403": Fault(
        [Behaviour(status=403, error={"message": "Country not supported"})],
        1,
        "permission denied (403): Country not supported",
    ),
    "404 model": Fault(
        [Behaviour(status=404, error={"message": "The model `gpt-9` does not exist"})],
        1,
        "model gpt-4o not found at",
    ),
    "400 context length": Fault(
        [
            Behaviour(
                status=400,
                error={
                    "message": "maximum context length is 8192 tokens",
                    "code": "context_length_exceeded",
                },
                times=2,
            )
        ],
        1,
        "exceeds the model's context length",
    ),
    "400 invalid parameter": Fault(
        [
            Behaviour(
                status=400, error={"message": "Invalid value for 'top_logprobs': must be <= 5"}
            )
        ],
        1,
        "the server refused (400): Invalid value for 'top_logprobs': must be <= 5",
    ),
    "read timeout mid-stream": Fault(
        [Behaviour(reply="a b c d", delay=5)], 1, "stopped sending mid-reply", ["--timeout", "1"]
    ),
    "dropped mid-stream": Fault(
        [Behaviour(reply="a b c d e f", drop_after=3)], 1, "was cut mid-reply", kept="a b"
    ),
    "malformed SSE line": Fault([Behaviour(raw_events=["{not json"])], 1, "malformed response"),
    "chunk with no choices": Fault(
        [
            Behaviour(
                raw_events=[chunk(None), chunk({"content": "fine"}), chunk({}, "stop"), "[DONE]"]
            )
        ],
        0,
        "",
        reply="fine",
    ),
    "content null": Fault(
        [
            Behaviour(
                raw_events=[
                    chunk({"content": None}),
                    chunk({"content": "ok"}),
                    chunk({}, "stop"),
                    "[DONE]",
                ]
            )
        ],
        0,
        "",
        reply="ok",
    ),
    "error event mid-stream": Fault(
        [
            Behaviour(
                raw_events=[
                    chunk({"content": "par"}),
                    json.dumps({"error": {"message": "overloaded"}}),
                ]
            )
        ],
        1,
        "the server reported an error mid-reply: overloaded",
        kept="par",
    ),
    "keep-alive comments": Fault(
        [
            Behaviour(
                raw_events=[
                    ": ping",
                    chunk({"content": "alive"}),
                    ": ping",
                    chunk({}, "stop"),
                    "[DONE]",
                ]
            )
        ],
        0,
        "",
        reply="alive",
    ),
    "stream ends without a finish reason": Fault(
        [Behaviour(raw_events=[chunk({"content": "half a rep"}), "[DONE]"])],
        1,
        "the stream ended before the reply was finished (no finish reason from the server)",
        kept="half a rep",
    ),
    "empty reply": Fault([Behaviour(reply="")], 1, "the model returned an empty reply"),
    "whitespace reply": Fault([Behaviour(reply="  \n ")], 1, "the model returned only whitespace"),
    "done without content": Fault([Behaviour(raw_events=["[DONE]"])], 1, "empty reply"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_in_one_shot(name: str, env: dict[str, str], server: FakeOpenAI) -> None:
    fault = FAULTS[name]
    server.expect(*fault.behaviours)
    result = run(env, *fault.args, "hello")
    assert result.returncode == fault.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    if fault.message:
        assert fault.message in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2
    if fault.reply:
        assert result.stdout.startswith(fault.reply)


def test_retry_after_is_honoured(env: dict[str, str], server: FakeOpenAI) -> None:
    """The retry waits as long as the server asked (the SDK's own backoff is under a second).
    A lower bound only: a loaded machine can make the run longer, never shorter."""
    server.expect(Behaviour(status=429, headers={"Retry-After": "3"}))
    started = time.monotonic()
    result = run(env, "--max-retries", "1", "hello")
    assert result.returncode == 0 and result.stdout == "Echo: hello\n", result.stderr
    assert time.monotonic() - started >= 3
    assert len(server.chat_requests) == 2


@pytest.mark.parametrize("name", [name for name, fault in FAULTS.items() if fault.args])
def test_repl_survives_the_faults_that_need_flags(
    name: str, terminal: Start, server: FakeOpenAI
) -> None:
    """The faults the long REPL session below cannot play (they need their own retries or
    timeout): the same line as in one-shot, then the chat goes on with a consistent history."""
    fault = FAULTS[name]
    server.expect(*fault.behaviours)
    term = terminal(*fault.args)
    term.prompt()
    term.send("hello")
    if fault.exit_code == 0:
        term.expect("Echo: hello")
    else:
        term.child.expect_exact(fault.message)
    term.chat("ping")
    kept = ["hello", "Echo: hello"] if fault.exit_code == 0 else []
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == [*kept, "ping"]
    term.quit()


def test_connection_refused(env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    result = run({**env, "OPENAI_BASE_URL": url}, "--max-retries", "0", "hi")
    assert result.returncode == 1
    assert f"cannot connect to {url} (connection refused)" in result.stderr


def test_dns_failure(env: dict[str, str]) -> None:
    url = "http://no-such-host.invalid/v1"
    result = run({**env, "OPENAI_BASE_URL": url}, "--max-retries", "0", "hi")
    assert result.returncode == 1
    assert f"cannot resolve the host of {url}" in result.stderr


@pytest.fixture
def unanswering_port() -> Iterator[int]:
    """A listener whose accept queue is full: new connections hang in the handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_connect_timeout(env: dict[str, str], unanswering_port: int) -> None:
    url = f"http://127.0.0.1:{unanswering_port}/v1"
    result = run({**env, "OPENAI_BASE_URL": url}, "--max-retries", "0", "--timeout", "1", "hi")
    assert result.returncode == 1
    assert f"no answer from {url} within 1.0 s" in result.stderr


def test_ten_megabyte_reply(env: dict[str, str], server: FakeOpenAI) -> None:
    line = "0123456789 abcdefghij " * 4 + "\n"
    big = line * (10_000_000 // len(line))
    server.expect(Behaviour(chunks=[big[i : i + 65536] for i in range(0, len(big), 65536)]))
    result = run(env, "big")
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout == big


def test_repl_survives_every_fault_with_consistent_history(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal("--max-retries", "0", "--timeout", "2")
    term.prompt()
    term.send("start")
    term.expect("Echo: start")
    expected = ["start", "Echo: start"]
    for name, fault in FAULTS.items():
        if fault.args:
            continue
        server.expect(*fault.behaviours)
        term.prompt()
        term.send(f"q {name}")
        if fault.exit_code == 0:
            term.expect("tokens")
            expected += [f"q {name}", fault.reply or ""]
        else:
            term.child.expect_exact(fault.message)
            expected += [f"q {name}", fault.kept] if fault.kept else []
        term.prompt()
        term.send("ping")
        term.expect("Echo: ping")
        expected += ["ping", "Echo: ping"]
    sent = server.chat_requests[-1]["messages"]
    assert [m["content"] for m in sent[:-1]] == expected[:-2]
    roles = [m["role"] for m in sent]
    assert roles == ["user", "assistant"] * (len(roles) // 2) + ["user"]
    assert all(m["content"] for m in sent)
    term.send("退出")
    assert term.exit_status() == 0
