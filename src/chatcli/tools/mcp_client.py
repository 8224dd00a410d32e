"""MCP servers through the official SDK, in one background thread with its own event loop.

`import mcp` costs most of a second, so nothing here imports it until `start()`, which the
REPL calls once the prompt is up (one-shot mode at once). The first request waits only for
servers still starting (`settle`), with a visible line. A server that fails to start, or
dies, is reported in one line with the tail of its stderr and its tools go; the chat goes
on. stdio servers run under `chatcli.tools.guard`, which ends them when chatcli is gone.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatcli.i18n import t
from chatcli.tools import ToolImage, ToolResult, base64_size
from chatcli.tools.config import START_TIMEOUT, McpServerConfig
from chatcli.tools.runner import Tool, ToolFailed

if TYPE_CHECKING:
    from mcp import ClientSession

STDERR_TAIL_LINES = 3
STDERR_READ = 16 * 1024
STOP_TIMEOUT = 5.0
GUARD = str(Path(__file__).with_name("guard.py"))
_NAME = re.compile(r"[^A-Za-z0-9_-]")


class McpServer:
    """One configured server and, once it is up, its session and tools."""

    def __init__(self, name: str, config: McpServerConfig) -> None:
        self.name = name
        self.config = config
        self.state = "starting"
        self.reason = ""
        self.tools: list[Tool] = []
        self.session: ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the hub's, where the session lives
        self.settled = threading.Event()  # no longer starting: ready or failed
        self.reported = False  # its tools, or its failure, have reached the toolbox
        # stderr of a stdio server: an unnamed file, so nothing is left behind whatever happens
        self.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115

    def describe(self) -> str:
        state = t(f"mcp_state_{self.state}")
        return t("mcp_state_reason", state=state, reason=self.reason) if self.reason else state

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

    def fail(self, reason: str) -> None:
        tail = self.stderr_tail()
        self.state = "failed"
        self.reason = f"{reason} ({tail})" if tail else reason
        self.settled.set()

    async def serve(self, stop: asyncio.Event) -> None:
        """Connect, list the tools, then hold the session open until `stop`."""
        import anyio
        from mcp import ClientSession

        self.loop = asyncio.get_running_loop()
        try:
            async with (
                self._transport() as streams,
                ClientSession(streams[0], streams[1]) as session,
            ):
                with anyio.fail_after(START_TIMEOUT):
                    await session.initialize()
                    listed = await session.list_tools()
                self.session = session
                self.tools = [self._tool(entry) for entry in listed.tools]
                self.state = "ready"
                self.settled.set()
                await stop.wait()
        except TimeoutError:
            self.fail(f"no answer within {START_TIMEOUT:g} s")
        except Exception as exc:  # whatever the SDK or the server did: one line, chat goes on
            self.fail(_reason(exc))
        finally:
            self.session = None
            if self.state == "ready":
                self.state = "stopped"
            self.settled.set()

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
        guard = ["-I", GUARD, str(os.getpid()), config.command, *config.args]
        params = StdioServerParameters(
            command=sys.executable, args=guard, env=config.env, cwd=config.cwd
        )
        return stdio_client(params, errlog=self.stderr)

    def _tool(self, entry: Any) -> Tool:
        schema = entry.input_schema if isinstance(entry.input_schema, dict) else {}
        name: str = entry.name

        def run(arguments: dict[str, Any], timeout: float) -> ToolResult:
            return self.call(name, arguments, timeout)

        return Tool(
            name,
            entry.description or "",
            schema or {"type": "object", "properties": {}},
            run,
            server=self.name,
            timeout=self.config.timeout,
        )

    def call(self, name: str, arguments: dict[str, Any], timeout: float) -> ToolResult:
        """Run a tool on the server (from the main thread); Ctrl-C cancels the request."""
        session, loop = self.session, self.loop
        if session is None or loop is None:
            raise ToolFailed(f"the MCP server {self.name} is not running ({self.describe()})")
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
            self.fail(f"the server failed during a call: {reason}")
            raise ToolFailed(f"the MCP server failed: {self.reason}") from None
        found = content_result(result.content, result.structured_content)
        return ToolResult(f"error: {found.text}", found.images) if result.is_error else found


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
    """Every configured server; `start()` once, `settle()` before each request."""

    def __init__(self, configs: dict[str, McpServerConfig]) -> None:
        self.servers = [McpServer(name, config) for name, config in configs.items()]
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="mcp", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            import mcp  # noqa: F401  (the slow import, here in the background)
        except ImportError:
            for server in self.servers:
                server.fail("the mcp package is not installed (pip install mcp)")
            return
        await asyncio.gather(*(server.serve(self._stop) for server in self.servers))

    def stop(self) -> None:
        """Close every session; stdio servers get their stdin closed, then are ended."""
        loop, stop = self._loop, self._stop
        if loop is None or stop is None or self._thread is None:
            return
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # the loop is closed already
            return
        self._thread.join(STOP_TIMEOUT)

    def settle(self, notice: Callable[[list[str]], None], *, wait: bool = True) -> list[McpServer]:
        """Wait for the servers still starting (`notice` names them first, when there are
        any); the servers whose outcome the toolbox has not taken yet."""
        self.start()
        starting = [s.name for s in self.servers if not s.settled.is_set()]
        if starting and wait:
            notice(starting)
            for server in self.servers:
                if not server.settled.wait(START_TIMEOUT + STOP_TIMEOUT):
                    server.fail(f"no answer within {START_TIMEOUT:g} s")
        fresh = [s for s in self.servers if not s.reported and s.settled.is_set()]
        for server in fresh:
            server.reported = True
        return fresh


def tool_name(server: str, name: str, taken: set[str]) -> str:
    """A function name no other tool has (OpenAI allows [A-Za-z0-9_-]{1,64})."""
    clean = _NAME.sub("_", name)[:64] or "tool"
    if clean not in taken:
        return clean
    return _NAME.sub("_", f"{server}_{name}")[:64]
