"""The toolbox: every tool chatcli knows, which are enabled, and the one way a call is run.

A call is checked (known tool, enabled, arguments a JSON object), shown to the user and run
only with their consent (or a pre-approval by name), capped in size and time, and reported.
Consent and reports go through a `ToolUI`; nothing here prints. Whatever goes wrong, the
model gets a result it can act on, starting with "error:".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from chatcli.i18n import t
from chatcli.images import IMAGE_TYPES, MAX_BYTES
from chatcli.tools import Tell, ToolCall, ToolImage, ToolResult

if TYPE_CHECKING:
    from chatcli.tools.mcp_client import McpHub

RESULT_CAP = 32 * 1024  # bytes of a result the model gets
CALL_TIMEOUT = 60.0  # seconds a call may take
BUILTIN = "built-in"

Answer = Literal["yes", "no", "always", "no terminal"]


class ToolFailed(Exception):
    """The tool ran and failed; the message is what the model (and the user) are told."""


@dataclass
class Tool:
    """One callable tool; `run` gets the arguments and the time limit, returns the text."""

    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[dict[str, Any], float], str | ToolResult]
    server: str = BUILTIN
    enabled: bool = True
    timeout: float = CALL_TIMEOUT

    def spec(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True)
class Consent:
    answer: Answer
    arguments: dict[str, Any]  # as the user left them (edited, or as the model sent them)


@dataclass
class ToolRecord:
    """One call as it went, for the collapsed line and `/tool N`."""

    number: int
    server: str
    name: str
    arguments: dict[str, Any]
    result: str
    seconds: float
    size: int  # bytes the tool returned, before the cap
    images: int = 0  # images the model was shown


class ToolUI(Protocol):
    """Where the toolbox asks and tells: a terminal, or nobody (one-shot in a pipe)."""

    def consent(self, tool: Tool, arguments: dict[str, Any]) -> Consent: ...
    def report(self, record: ToolRecord) -> None: ...
    def problem(self, text: str) -> None: ...
    def notice(self, text: str) -> None: ...


@dataclass
class Toolbox:
    """Implements the bot's `ToolRunner`."""

    ui: ToolUI
    approved: set[str] = field(default_factory=set)  # run without asking (--yes-tool, always)
    cap: int = RESULT_CAP
    tools: dict[str, Tool] = field(default_factory=dict)
    records: list[ToolRecord] = field(default_factory=list)
    refused: bool = False  # a call needed consent and nobody could give it
    hub: McpHub | None = None  # the MCP servers, when any are configured

    def states(self) -> list[tuple[str, str]]:
        servers = self.hub.servers if self.hub is not None else []
        return [(server.name, server.describe()) for server in servers]

    def settle(self, *, wait: bool = True, tell: Tell | None = None, start: bool = False) -> None:
        """Take in what changed of the MCP servers (waiting for those whose tools are not
        known yet; with `start`, starting every one and waiting for all): their tools as
        offered now, none for a server that is down; their news through `tell` when given,
        else the UI."""
        if self.hub is None:
            return

        def say(text: str, problem: bool) -> None:
            if tell is not None:
                tell(text, problem)
            else:
                (self.ui.problem if problem else self.ui.notice)(text)

        def waiting(names: list[str]) -> None:
            say(t("mcp_waiting", names=", ".join(names)), False)

        for server in self.hub.settle(waiting, wait=wait, start=start):
            for text, problem in server.take_news():
                say(text, problem)
            self._offer(server.name, server.tools())
            if server.offered:
                self.approved |= set(server.config.auto_approve)

    def _offer(self, server: str, tools: list[Tool]) -> None:
        """A server's tools in place of those it had (one switched off stays off)."""
        from chatcli.tools.mcp_client import tool_name

        had = {name: tool for name, tool in self.tools.items() if tool.server == server}
        for name in had:
            del self.tools[name]
        for tool in tools:
            tool.name = tool_name(server, tool.name, set(self.tools))
            if tool.name in had:
                tool.enabled = had[tool.name].enabled
            self.tools[tool.name] = tool

    def add(self, tools: Iterable[Tool]) -> None:
        for tool in tools:
            self.tools[tool.name] = tool

    def switch(self, name: str, on: bool) -> list[Tool]:
        """Enable or disable a tool by name, the built-ins by group (shell, read), or every
        tool of a server by its name; the tools it matched (none: unknown name)."""
        from chatcli.tools.builtin import GROUPS

        name = GROUPS.get(name, name)
        matched = [
            tool
            for tool in self.tools.values()
            if name in (tool.name, tool.server) or f"{tool.server}.{tool.name}" == name
        ]
        for tool in matched:
            tool.enabled = on
        return matched

    def recall(self, history: Sequence[dict[str, Any]]) -> None:
        """Records for the calls of a resumed history (their times unknown), so `/tool N` shows
        them and this session's calls number on from them."""
        results = {m.get("tool_call_id"): m for m in history if m.get("role") == "tool"}
        for message in history:
            for call in message.get("tool_calls") or ():
                name, text = call["function"]["name"], call["function"]["arguments"]
                try:
                    arguments = json.loads(text or "{}")
                except (ValueError, RecursionError):
                    arguments = {"(not JSON)": text}
                result = str(results.get(call["id"], {}).get("content") or "")
                known = self.tools.get(name)
                self.records.append(
                    ToolRecord(
                        len(self.records) + 1,
                        known.server if known is not None else "?",
                        name,
                        arguments if isinstance(arguments, dict) else {"": arguments},
                        result,
                        0.0,
                        len(result.encode("utf-8", "replace")),
                    )
                )

    def specs(self, tell: Tell | None = None) -> list[dict[str, Any]]:
        self.settle(tell=tell)
        return [tool.spec() for tool in self.tools.values() if tool.enabled]

    def run(self, call: ToolCall, *, images: bool) -> ToolResult:
        self.settle(wait=False)  # a server that died since the request: its tools are gone
        checked = self._checked(call)
        if isinstance(checked, str):
            return ToolResult(checked)
        return self._execute(*checked, images=images)

    def _checked(self, call: ToolCall) -> tuple[Tool, dict[str, Any]] | str:
        """The tool and its arguments, the user's consent given; or, for the model, why the
        call does not run (the user is told in one line)."""
        tool = self.tools.get(call.name)
        if tool is None or not tool.enabled:
            names = ", ".join(name for name, known in self.tools.items() if known.enabled)
            reason = "is disabled by the user" if tool is not None else "does not exist"
            self.ui.problem(t("tool_unknown" if tool is None else "tool_disabled", name=call.name))
            return f"error: the tool {call.name!r} {reason}; the tools you may call: {names}"
        try:
            arguments = json.loads(call.arguments or "{}")
        except (ValueError, RecursionError) as exc:
            self.ui.problem(t("tool_bad_arguments", name=call.name, detail=str(exc)))
            return f"error: the arguments are not valid JSON ({exc}); send one JSON object"
        if not isinstance(arguments, dict):
            self.ui.problem(t("tool_bad_arguments", name=call.name, detail="not an object"))
            return "error: the arguments must be one JSON object"
        if call.name not in self.approved:
            consent = self.ui.consent(tool, arguments)
            if consent.answer == "no terminal":
                self.refused = True
                self.ui.problem(t("tool_refused_no_terminal", name=call.name))
                return (
                    "error: refused: the user did not approve this tool in advance and "
                    "cannot be asked; answer without it"
                )
            if consent.answer == "no":
                self.ui.problem(t("tool_declined", name=call.name))
                return "error: the user declined this call"
            if consent.answer == "always":
                self.approved.add(call.name)
            arguments = consent.arguments
        return tool, arguments

    def _execute(self, tool: Tool, arguments: dict[str, Any], *, images: bool) -> ToolResult:
        started = time.monotonic()
        try:
            output = tool.run(arguments, tool.timeout)
        except ToolFailed as exc:
            self.ui.problem(t("tool_failed", name=tool.name, reason=str(exc)))
            output = f"error: {exc}"
        except KeyboardInterrupt:
            self.ui.problem(t("tool_cancelled", name=tool.name))
            output = "error: cancelled by the user"
        found = output if isinstance(output, ToolResult) else ToolResult(output)
        result = found.text
        data = result.encode("utf-8", "replace")
        if len(data) > self.cap:
            kept = data[: self.cap].decode("utf-8", "ignore")
            result = (
                f"{kept}\n[… {len(data) - self.cap} more bytes dropped: "
                f"results are capped at {self.cap} bytes]"
            )
        shown, note = visible_images(found.images, images)
        if note:
            result = f"{result}\n{note}"
        record = ToolRecord(
            len(self.records) + 1,
            tool.server,
            tool.name,
            arguments,
            result,
            time.monotonic() - started,
            len(data),
            len(shown),
        )
        self.records.append(record)
        self.ui.report(record)
        return ToolResult(result, shown)


def visible_images(
    found: tuple[ToolImage, ...], accepted: bool
) -> tuple[tuple[ToolImage, ...], str]:
    """The images the model is shown, and a note for it on those it is not: it takes none, or
    they are not a format models read, or too big to send."""
    if not found:
        return (), ""
    if not accepted:
        return (), f"[{len(found)} image(s) not shown: this model does not take images]"
    shown = tuple(i for i in found if i.mime in IMAGE_TYPES and i.size <= MAX_BYTES)
    if len(shown) == len(found):
        return shown, ""
    left = len(found) - len(shown)
    return shown, f"[{left} image(s) not shown: not PNG, JPEG, GIF or WebP, or over 20 MB]"
