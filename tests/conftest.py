"""Shared fixtures: an isolated home, the loopback server, and the installed chatcli in a PTY."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from hypothesis import HealthCheck, settings

from chatcli.config.providers import PRESETS
from chatcli.conversation.bot import ChatBot
from tests.fake_server import FakeOpenAI

CHATCLI = str(Path(sys.executable).with_name("chatcli"))

# A suite started as a background job (`pytest &` in a script, two copies at once) inherits
# SIGINT ignored, and so would every chatcli it starts: Ctrl-C tests would then see no
# interrupt. A handler is reset to the default in each child, an ignored signal is not.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# Every hypothesis test: no deadline (a loaded 2-core machine makes any example slow now and
# then, and a deadline would turn that into a flaky failure), 100 examples unless a test asks
# for more, random as hypothesis is (a failure prints the blob that reproduces it).
settings.register_profile(
    "chatcli",
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("chatcli")
SCREEN_ROWS, SCREEN_COLS = 40, 120
# Every variable a preset reads a key or a URL from: none may leak in from the outer shell.
PRESET_VARIABLES = frozenset(
    name
    for preset in PRESETS.values()
    for name in (preset.api_key_env, preset.base_url_env)
    if name is not None
)
KEY = "sk-test-key-123456"
"""The API key the `env` fixture gives chatcli: tests look for it where it must never be."""


def run_chatcli(
    env: dict[str, str],
    *args: str,
    stdin: str | bytes = b"",
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """The installed chatcli in a pipeline: stdin a pipe holding `stdin`, stdout and stderr
    captured apart (decoded as UTF-8, so stray bytes would show)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [CHATCLI, *args], env=env, cwd=cwd, input=data, capture_output=True, timeout=timeout
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def make_bot(server: FakeOpenAI, **kwargs: Any) -> ChatBot:
    """A ChatBot on the loopback server that fails at once instead of retrying."""
    return ChatBot(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=5, **kwargs)


def start_chatcli(
    env: dict[str, str], *args: str, stdin_pipe: bool = False
) -> subprocess.Popen[bytes]:
    """The installed chatcli running in the background; stdout and stderr are pipes, stdin is
    empty unless `stdin_pipe` (then the test writes it, and chatcli waits for its end)."""
    return subprocess.Popen(
        [CHATCLI, *args],
        env=env,
        stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def clean_environ(home: Path) -> dict[str, str]:
    """The outer environment minus anything that could carry a key, URL or config in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "CHATCLI_", "XDG_"))
        and not k.endswith("_API_KEY")
        and k not in PRESET_VARIABLES
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TERM="xterm-256color",
        COLUMNS=str(SCREEN_COLS),
        LINES=str(SCREEN_ROWS),
        # pexpect is a terminal that never answers cursor-position requests
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.pop("NO_COLOR", None)
    return env


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: a fresh HOME and XDG dirs, no outer keys, and a cwd with no .env."""
    home = tmp_path / "home"
    home.mkdir()
    for key in list(os.environ):
        if (
            key.startswith(("OPENAI_", "CHATCLI_", "XDG_"))
            or key.endswith("_API_KEY")
            or key in PRESET_VARIABLES
        ):
            monkeypatch.delenv(key)
    for key, value in clean_environ(home).items():
        monkeypatch.setenv(key, value)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


REAP_VARIABLE = "TESTS_REAP_TAG"


def tagged(tag: str) -> list[int]:
    """Every live process whose environment carries `tag` (children inherit it)."""
    needle = f"{REAP_VARIABLE}={tag}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def working_in(tree: Path) -> list[int]:
    """Every live process but this one whose working directory is in `tree`: what a test
    started with an emptied environment (the MCP SDK gives a server only a few variables)
    still works where the test does."""
    found = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            where = Path(os.readlink(cwd))
        except OSError:
            continue
        pid = int(cwd.parent.name)
        if pid != os.getpid() and (where == tree or tree in where.parents):
            found.append(pid)
    return found


@pytest.fixture
def reaper(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A variable for the environment of what a test starts; whatever carries it, or works
    in the test's folder, is killed when the test ends, however it ends (a failed assertion
    leaves no llama.cpp server, /run job, MCP server or chatcli behind)."""
    tag = uuid.uuid4().hex
    yield {REAP_VARIABLE: tag}
    for pid in {*tagged(tag), *working_in(tmp_path.resolve())}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def server(_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def env(isolated: Path, server: FakeOpenAI, reaper: dict[str, str]) -> dict[str, str]:
    """Environment for a chatcli child process pointed at the loopback server."""
    environ = clean_environ(isolated)
    environ.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY, **reaper)
    return environ


class Terminal:
    """The installed chatcli in a real pseudo-terminal."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: str) -> None:
        self.child = pexpect.spawn(
            CHATCLI,
            args,
            env=env,
            cwd=cwd,
            encoding="utf-8",
            # prompt_toolkit can cut a character when a huge buffer overflows the PTY
            codec_errors="replace",
            dimensions=(SCREEN_ROWS, SCREEN_COLS),
            timeout=15,
        )
        self.log = io.StringIO()
        self.child.logfile_read = self.log

    def transcript(self) -> str:
        """Everything the program wrote to the terminal so far, escape codes and all."""
        return self.log.getvalue()

    def expect(self, pattern: str) -> str:
        self.child.expect(pattern)
        return str(self.child.before) + str(self.child.after)

    def screen(self) -> str:
        """What the terminal shows now, as text (escape codes played, not listed)."""
        import pyte

        display = pyte.Screen(SCREEN_COLS, SCREEN_ROWS)
        pyte.Stream(display).feed(self.transcript())
        return "\n".join(line.rstrip() for line in display.display)

    def until_screen(self, pattern: str, step: str) -> None:
        """Until the screen shows `pattern`, reading output up to each `step`: a line that is
        redrawn is written only from where it changes, so the raw bytes never hold it whole."""
        while not re.search(pattern, self.screen()):
            self.expect(step)

    def prompt(self) -> None:
        """'MODEL> ' (prompt_toolkit may move the cursor instead of writing the space)."""
        self.child.expect(r"[\w.\-/:]+>")

    def send(self, line: str) -> None:
        self.child.send(line + "\r")

    def chat(self, *messages: str) -> None:
        """Each message at its own prompt, answered by the loopback server's echo."""
        for message in messages:
            self.prompt()
            self.send(message)
            self.expect("Echo: " + message)

    def quit(self) -> None:
        """The exit word at the next prompt: chatcli must end with status 0."""
        self.prompt()
        self.send("退出")
        assert self.exit_status() == 0

    def exit_status(self) -> int | None:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    def end(self) -> None:
        """Leave as a user would, so chatcli runs its exit handlers and its coverage data is
        saved: Ctrl-D until it ends (one typed before the editor is ready may be dropped),
        with a Ctrl-C first after a few (a half-typed line, a reply still coming). Killed
        only if it still runs after that: a state no key ends."""
        for attempt in range(6):
            if not self.child.isalive():
                break
            if attempt == 3:
                self.child.sendintr()
            self.child.sendeof()
            self.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=1 if attempt < 5 else 5)
        self.child.terminate(force=True)
        self.child.close()


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Callable[..., Terminal]]:
    started: list[Terminal] = []

    def start(*args: str, extra_env: dict[str, str] | None = None) -> Terminal:
        term = Terminal(list(args), {**env, **(extra_env or {})}, os.getcwd())
        started.append(term)
        return term

    yield start
    for term in started:
        term.end()
