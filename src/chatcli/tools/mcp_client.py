"""MCP servers through the official SDK, in one background thread with its own event loop.

`import mcp` costs most of a second and a server's start more, so neither happens until a
server is needed. A server whose tool list the store remembers (from its last successful
start, `ToolCache`) is offered with that list and started only when the model calls one of
its tools or `/tools` asks; its list is refreshed then. A server never seen before starts in
the background as soon as chatcli is up (the REPL's first frame, one-shot mode at once), and
the first request waits for it with a visible line. A server that fails to start or dies is
reported in one line with the tail of its stderr and its tools go (`/tools restart NAME`
tries again); what it writes on stdout that is not MCP is dropped with one line, the details
going to the --debug log. stdio servers run under `chatcli.tools.guard`, which ends them and
whatever they started when chatcli is gone, so quitting never waits for a starting server.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatcli.i18n import t
from chatcli.tools import ToolImage, ToolResult, base64_size
from chatcli.tools.config import START_TIMEOUT, McpServerConfig, ToolCache, server_key
from chatcli.tools.runner import Tool, ToolFailed

if TYPE_CHECKING:
    from mcp import ClientSession

STDERR_TAIL_LINES = 3
STDERR_READ = 16 * 1024
STOP_TIMEOUT = 5.0
QUIT_WAIT = 0.4  # seconds quitting gives running servers to close (the guard does the rest)
GUARD = str(Path(__file__).with_name("guard.py"))
_NAME = re.compile(r"[^A-Za-z0-9_-]")
log = logging.getLogger("chatcli.mcp")


class McpServer:
    """One configured server: its state, its tools as last listed and, once it is up, its
    session. `changes` counts what the toolbox has to take in (state, tools, `news`)."""

    def __init__(self, name: str, config: McpServerConfig) -> None:
        self.name = name
        self.config = config
        self.key = server_key(config)
        # name, description, input_schema of each tool, as last listed; None: unknown
        self.entries: list[dict[str, Any]] | None = None
        self.state = "idle"  # not started yet
        self.reason = ""
        self.session: ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the hub's, where the session lives
        self.settled = threading.Event()  # no longer starting: ready or failed
        self.changes = 1  # the toolbox takes in the remembered list too
        self.taken = 0
        self.news: list[tuple[str, bool]] = []  # lines for the user (text, a problem?)
        self.garbage = 0  # lines of its stdout that were not MCP
        self.cache: ToolCache | None = None
        self.launch: Callable[[], None] = lambda: None  # the hub's: start it
        self.notify: Callable[[], None] = lambda: None  # the hub's: something changed
        self._lock = threading.Lock()
        self._counting = threading.Lock()
        # stderr of a stdio server: an unnamed file, so nothing is left behind whatever happens
        self.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115

    def describe(self) -> str:
        state = t(f"mcp_state_{self.state}")
        return t("mcp_state_reason", state=state, reason=self.reason) if self.reason else state

    @property
    def offered(self) -> bool:
        """Whether its tools go into requests: known, and the server not down."""
        return self.entries is not None and self.state in ("idle", "starting", "ready")

    def changed(self) -> None:
        with self._counting:  # bumped from both threads
            self.changes += 1

    def tell(self, text: str, problem: bool) -> None:
        self.news.append((text, problem))
        self.changed()
        self.notify()

    def take_news(self) -> list[tuple[str, bool]]:
        news, self.news = self.news, []
        return news

    def begin(self) -> None:
        self.state, self.reason = "starting", ""
        with contextlib.suppress(OSError, ValueError):  # a restart's failure: its errors only
            self.stderr.seek(0)
            self.stderr.truncate()
        self.settled.clear()
        self.changed()

    def wait_started(self) -> None:
        """Until it is up or has failed; one that never answers has failed."""
        if not self.settled.wait(START_TIMEOUT + STOP_TIMEOUT):
            self.fail(f"no answer within {START_TIMEOUT:g} s")

    def stderr_tail(self) -> str:
        try:
            size = os.fstat(self.stderr.fileno()).st_size
            data = os.pread(
                self.stderr.fileno(), min(size, STDERR_READ), max(0, size - STDERR_READ)
            )
        except (OSError, ValueError):
            return ""
        lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        return " ⏎ ".join(lines[-STDERR_TAIL_LINES:])

    def fail(self, reason: str, key: str = "mcp_failed") -> None:
        """Down, said once (a crash seen by a call and by the session is one failure)."""
        with self._lock:
            if self.state == "failed":
                return
            tail = self.stderr_tail()
            self.state = "failed"
            self.reason = f"{reason} ({tail})" if tail else reason
            self.settled.set()
        self.tell(t(key, name=self.name, reason=self.reason), True)

    async def serve(self, stop: asyncio.Event) -> None:
        """Connect, list the tools, then hold the session open until `stop` or the server's
        end (its stdout closed: it died)."""
        self.loop = asyncio.get_running_loop()
        try:
            import anyio
            from mcp import ClientSession
        except ImportError:
            self.fail("the mcp package is not installed (pip install mcp)")
            return
        ended = asyncio.Event()
        try:
            async with self._transport() as streams, anyio.create_task_group() as group:
                send, receive = anyio.create_memory_object_stream[Any](0)
                group.start_soon(self._relay, streams[0], send, ended)
                async with ClientSession(receive, streams[1]) as session:
                    with anyio.fail_after(START_TIMEOUT):
                        started = await session.initialize()
                        listed = await session.list_tools()
                    self._ready(session, started.server_info.version, listed.tools)
                    await _first(stop.wait(), ended.wait())
                group.cancel_scope.cancel()
            if not stop.is_set():
                self.fail("the server exited", "mcp_died")
        except TimeoutError:
            self.fail(f"no answer within {START_TIMEOUT:g} s")
        except Exception as exc:  # whatever the SDK or the server did: one line, chat goes on
            self.fail(_reason(exc), "mcp_died" if self.state == "ready" else "mcp_failed")
        finally:
            self.session = None
            if self.state in ("ready", "starting"):
                self.state = "stopped"
            self.settled.set()

    async def _relay(self, read: Any, send: Any, ended: asyncio.Event) -> None:
        """The server's messages to the session; what is not MCP is dropped, said once, and
        logged (the SDK's own log of it is kept off the screen: `quiet_sdk`)."""
        import anyio

        try:
            async with send:
                async for item in read:
                    if isinstance(item, Exception):
                        self._garbage(item)
                    else:
                        await send.send(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            ended.set()

    def _garbage(self, exc: Exception) -> None:
        self.garbage += 1
        log.debug("MCP server %s wrote what is not MCP on stdout: %s", self.name, exc)
        if self.garbage == 1:
            self.tell(t("mcp_garbage", name=self.name), True)

    def _ready(self, session: ClientSession, version: str, tools: list[Any]) -> None:
        self.entries = [
            {
                "name": entry.name,
                "description": entry.description or "",
                "input_schema": entry.input_schema if isinstance(entry.input_schema, dict) else {},
            }
            for entry in tools
        ]
        self.session = session
        self.state = "ready"
        self.changed()
        self.settled.set()
        if self.cache is not None:
            self.cache.keep(self.key, version, self.entries)

    def _transport(self) -> Any:
        config = self.config
        if config.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            client = create_mcp_http_client(headers=config.headers)
            return streamable_http_client(config.url, http_client=client)
        from mcp import StdioServerParameters, stdio_client

        assert config.command is not None
        # The guard is one standard-library file, run isolated (-I): the server's environment
        # stays exactly as configured.
        guard = ["-I", GUARD, str(os.getpid()), installed(config.command), *config.args]
        params = StdioServerParameters(
            command=sys.executable, args=guard, env=config.env, cwd=config.cwd
        )
        return stdio_client(params, errlog=self.stderr)

    def tools(self) -> list[Tool]:
        """Its tools as the toolbox offers them (the remembered list until it is up)."""
        if not self.offered or self.entries is None:
            return []
        return [self._tool(entry) for entry in self.entries if isinstance(entry.get("name"), str)]

    def _tool(self, entry: dict[str, Any]) -> Tool:
        name: str = entry["name"]

        def run(arguments: dict[str, Any], timeout: float) -> ToolResult:
            return self.call(name, arguments, timeout)

        schema = entry.get("input_schema")
        return Tool(
            name,
            str(entry.get("description") or ""),
            schema if isinstance(schema, dict) and schema else {"type": "object", "properties": {}},
            run,
            server=self.name,
            timeout=self.config.timeout,
        )

    def _up(self) -> tuple[ClientSession, asyncio.AbstractEventLoop]:
        """The running session, the server started first when it is not (Ctrl-C stops the
        wait); ToolFailed when it cannot be had."""
        if self.state == "idle":
            self.launch()
        self.wait_started()
        session, loop = self.session, self.loop
        if session is None or loop is None or self.state != "ready":
            raise ToolFailed(f"the MCP server {self.name} is not running ({self.describe()})")
        return session, loop

    def call(self, name: str, arguments: dict[str, Any], timeout: float) -> ToolResult:
        """Run a tool on the server (from the main thread); Ctrl-C cancels the request."""
        session, loop = self._up()
        if name not in {entry["name"] for entry in self.entries or ()}:
            raise ToolFailed(
                f"the MCP server {self.name} no longer offers {name}; "
                "the next request lists the tools it offers now"
            )
        future = asyncio.run_coroutine_threadsafe(
            session.call_tool(name, arguments, read_timeout_seconds=timeout), loop
        )
        late = f"no result within {timeout:g} s; the call was cancelled"
        try:
            result = future.result(timeout + 5)
        except KeyboardInterrupt:
            future.cancel()
            raise
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolFailed(late) from None
        except Exception as exc:
            reason = _reason(exc)
            if "timed out" in reason.lower() or "timeout" in reason.lower():
                raise ToolFailed(late) from None
            self.fail(f"the server failed during a call: {reason}", "mcp_died")
            raise ToolFailed(f"the MCP server failed: {self.reason}") from None
        found = content_result(result.content, result.structured_content)
        return ToolResult(f"error: {found.text}", found.images) if result.is_error else found


def installed(command: str) -> str:
    """A bare command not on PATH but beside chatcli's own Python (a server installed with
    pip into chatcli's virtualenv): that one; else the command as it is."""
    if os.sep in command or shutil.which(command) is not None:
        return command
    beside = Path(sys.executable).parent / command
    return str(beside) if beside.is_file() else command


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Until the first of `waits` is done."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def quiet_sdk() -> None:
    """The SDK logs what it cannot parse with its traceback; with no handler of ours, Python
    would print that on the screen. It goes to the --debug log (terminal/logs.py), or nowhere."""
    logging.getLogger("mcp").addHandler(logging.NullHandler())


def _reason(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps a failure in several)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def content_result(blocks: list[Any], structured: Any = None) -> ToolResult:
    """A result as the model gets it: text parts joined, each image described in place and
    kept for the model to see (when it can); audio and binary resources described, never
    dumped."""
    parts: list[str] = []
    images: list[ToolImage] = []
    for block in blocks:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "image":
            images.append(ToolImage(block.mime_type, block.data))
            parts.append(f"[image {len(images)}: {block.mime_type}, {images[-1].size} bytes]")
        elif kind == "audio":
            size = base64_size(block.data)
            parts.append(f"[audio: {block.mime_type}, {size} bytes, not shown]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            if isinstance(text, str):
                parts.append(text)
            else:
                mime = resource.mime_type or "unknown type"
                size = base64_size(getattr(resource, "blob", ""))
                parts.append(f"[binary resource {resource.uri}: {mime}, {size} bytes, not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
    if not parts and structured is not None:
        import json

        parts.append(json.dumps(structured, ensure_ascii=False))
    return ToolResult("\n".join(parts), tuple(images))


class McpHub:
    """Every configured server, their tool lists recalled from `cache`; each started on its
    own when needed (`launch`), all in one thread."""

    def __init__(self, configs: dict[str, McpServerConfig], cache: ToolCache | None = None) -> None:
        self.servers = [McpServer(name, config) for name, config in configs.items()]
        self.cache = cache
        self._recalled = False
        self.on_change: Callable[[], None] = lambda: None  # from the MCP thread: news to tell
        for server in self.servers:
            server.cache = cache
            server.launch = lambda server=server: self.launch(server)  # type: ignore[misc]
            server.notify = lambda: self.on_change()
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._up = threading.Event()
        self._lock = threading.Lock()

    def launch(self, server: McpServer) -> None:
        """Start one server in the background, unless it is starting or up."""
        with self._lock:
            if server.state in ("starting", "ready"):
                return
            server.begin()
            if self._thread is None:
                quiet_sdk()
                self._thread = threading.Thread(target=self._run, name="mcp", daemon=True)
                self._thread.start()
                atexit.register(self.stop)
        self._up.wait()
        assert self._loop is not None and self._stop is not None
        try:
            asyncio.run_coroutine_threadsafe(server.serve(self._stop), self._loop)
        except RuntimeError:  # the loop is closed: chatcli is ending
            server.fail("chatcli is ending")

    def recall(self) -> None:
        """The tool lists of the servers' last successful starts, once (from the main thread:
        it opens the store, so not before the prompt is drawn)."""
        if self._recalled or self.cache is None:
            return
        self._recalled = True
        for server in self.servers:
            if server.entries is None:
                server.entries = self.cache.recall(server.key)

    def warm(self) -> None:
        """Start the servers never seen before: their tools are not known otherwise."""
        self.recall()
        for server in self.servers:
            if server.entries is None and server.state == "idle":
                self.launch(server)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self._up.set()
        await self._stop.wait()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        await asyncio.gather(*others, return_exceptions=True)

    def stop(self) -> None:
        """Close every session; never wait for a server still starting (its guard ends it
        once chatcli is gone), and the others only briefly."""
        loop, stop = self._loop, self._stop
        if loop is None or stop is None or self._thread is None:
            return
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # the loop is closed already
            return
        if not any(server.state == "starting" for server in self.servers):
            self._thread.join(QUIT_WAIT)

    def settle(
        self, notice: Callable[[list[str]], None], *, wait: bool = True, start: bool = False
    ) -> list[McpServer]:
        """Start what must start (the servers never seen; with `start`, every one not started
        yet) and wait for those whose tools are not known yet (`notice` names them first; with
        `start`, all of them); the servers with changes the toolbox has not taken in."""
        self.warm()
        if start:
            for server in self.servers:
                if server.state == "idle":
                    self.launch(server)
        waiting = [
            s for s in self.servers if s.state == "starting" and (start or s.entries is None)
        ]
        if waiting and wait:
            notice([server.name for server in waiting])
            for server in waiting:
                server.wait_started()
        changed = []
        for server in self.servers:
            seen = server.changes
            if seen != server.taken:
                server.taken = seen
                changed.append(server)
        return changed


def tool_name(server: str, name: str, taken: set[str]) -> str:
    """A function name no other tool has (OpenAI allows [A-Za-z0-9_-]{1,64})."""
    clean = _NAME.sub("_", name)[:64] or "tool"
    if clean not in taken:
        return clean
    return _NAME.sub("_", f"{server}_{name}")[:64]
