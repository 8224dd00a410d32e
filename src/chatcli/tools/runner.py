"""The toolbox: every tool chatcli knows, which are enabled, and the one way a call is run.

A call is checked (known tool, enabled, arguments a JSON object), shown to the user and run
only with their consent (or a pre-approval by name), capped in size and time, and reported.
Consent and reports go through a `ToolUI`; nothing here prints. Whatever goes wrong, the
model gets a result it can act on, starting with "error:".
"""

from __future__ import annotations

import json
import time
from collections import Counter
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


def server_label(server: str) -> str:
    """A tool's server as the user reads it: the built-ins' in the interface's language."""
    return t("tools_builtin") if server == BUILTIN else server


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
    # its name on its server: `name`, the name the model calls it by, may be qualified
    own: str = field(init=False)

    def __post_init__(self) -> None:
        self.own = self.name

    @property
    def key(self) -> tuple[str, str]:
        """What an approval is given to: this tool of this server, never a bare name."""
        return (self.server, self.own)

    @property
    def label(self) -> str:
        return label(self.server, self.own)

    def spec(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def label(server: str, name: str) -> str:
    """How the user names a tool (`--yes-tool`, `/tools`): a built-in by its bare name, an
    MCP server's as `server.tool`."""
    return name if server == BUILTIN else f"{server}.{name}"


@dataclass(frozen=True)
class Consent:
    answer: Answer
    arguments: dict[str, Any]  # as the user left them (edited, or as the model sent them)


@dataclass
class ToolRecord:
    """One call as it went, for the collapsed line and `/tool N`."""

    number: int
    server: str
    name: str  # the tool's name on its server
    arguments: dict[str, Any]
    result: str
    seconds: float
    size: int  # bytes the tool returned, before the cap
    images: int = 0  # images the model was shown

    @property
    def label(self) -> str:
        return label(self.server, self.name)


class ToolUI(Protocol):
    """Where the toolbox asks and tells: a terminal, or nobody (one-shot in a pipe)."""

    def consent(self, tool: Tool, arguments: dict[str, Any]) -> Consent: ...
    def report(self, record: ToolRecord) -> None: ...
    def problem(self, text: str) -> None: ...
    def notice(self, text: str) -> None: ...


@dataclass
class Toolbox:
    """Implements the bot's `ToolRunner`.

    Approvals belong to one tool of one server, (server, tool): `--yes-tool server.tool`, a
    server's own `auto_approve`, `[a]lways`. A bare `--yes-tool NAME` names a built-in, or
    the MCP tool of that name when exactly one server's list has it, decided once every list
    is known; when several or none have it, it approves nothing and says so. A name two
    servers offer is qualified for both (`server_tool` for the model), never first-come."""

    ui: ToolUI
    approved: set[tuple[str, str]] = field(default_factory=set)  # run without asking
    cap: int = RESULT_CAP
    tools: dict[str, Tool] = field(default_factory=dict)  # by the name the model calls
    records: list[ToolRecord] = field(default_factory=list)
    refused: bool = False  # a call needed consent and nobody could give it
    hub: McpHub | None = None  # the MCP servers, when any are configured
    bare: set[str] = field(default_factory=set)  # --yes-tool NAME of an MCP tool
    decided: set[str] = field(default_factory=set)  # bare names resolved (or refused) once

    def states(self) -> list[tuple[str, str]]:
        servers = self.hub.servers if self.hub is not None else []
        return [(server.name, server.describe()) for server in servers]

    def pre_approve(self, names: Iterable[str], servers: Iterable[str]) -> None:
        """--yes-tool: `server.tool` for a configured server's tool, `builtin.NAME` or a
        built-in's bare name, else the bare name of an MCP tool (settled with the servers)."""
        servers = set(servers)
        builtins = {tool.own for tool in self.tools.values() if tool.server == BUILTIN}
        for name in names:
            server, dot, own = name.partition(".")
            if dot and server == "builtin":
                self.approved.add((BUILTIN, own))
            elif dot and server in servers:
                self.approved.add((server, own))
            elif name in builtins:
                self.approved.add((BUILTIN, name))
            else:
                self.bare.add(name)

    def approves(self, tool: Tool) -> bool:
        """Whether `tool` runs without asking."""
        return tool.key in self.approved

    def settle(self, *, wait: bool = True, tell: Tell | None = None, start: bool = False) -> None:
        """Take in what changed of the MCP servers (waiting for those whose tools are not
        known yet; with `start`, starting every one and waiting for all): their tools as
        offered now, none for a server that is down; their news through `tell` when given,
        else the UI."""

        def say(text: str, problem: bool) -> None:
            if tell is not None:
                tell(text, problem)
            else:
                (self.ui.problem if problem else self.ui.notice)(text)

        def waiting(names: list[str]) -> None:
            say(t("mcp_waiting", names=", ".join(names)), False)

        if self.hub is not None:
            for server in self.hub.settle(waiting, wait=wait, start=start):
                for text, problem in server.take_news():
                    say(text, problem)
                self._offer(server.name, server.tools())
                if server.offered:
                    self.approved |= {(server.name, own) for own in server.config.auto_approve}
        self._decide_bare(say)

    def _decide_bare(self, say: Tell) -> None:
        """Each bare `--yes-tool NAME` of an MCP tool, once every server's list is known: the
        one server whose list has it is approved for it; when several or none have it,
        nothing is, and the user is told once. Never decided on the tools offered at the
        moment: a server that died, or has not started (or failed to), would leave another's
        tool the only one."""
        servers = self.hub.servers if self.hub is not None else []
        if any(server.entries is None for server in servers):
            return
        for own in sorted(self.bare - self.decided):
            self.decided.add(own)
            having = [
                server.name
                for server in servers
                if any(entry.get("name") == own for entry in server.entries or ())
            ]
            if len(having) == 1:
                self.approved.add((having[0], own))
            elif having:
                choices = ", ".join(label(server, own) for server in having)
                say(t("tool_approval_ambiguous", name=own, choices=choices), True)
            else:
                say(t("tool_approval_unknown", name=own), True)

    def _offer(self, server: str, tools: list[Tool]) -> None:
        """A server's tools in place of those it had (one switched off stays off)."""
        had = {tool.own: tool for tool in self.tools.values() if tool.server == server}
        for tool in tools:
            if tool.own in had:
                tool.enabled = had[tool.own].enabled
        self._name([*(tool for tool in self.tools.values() if tool.server != server), *tools])

    def _name(self, tools: list[Tool]) -> None:
        """Each tool under the name the model calls it by: its own, unless a built-in or
        another server offers that name too; then each server's is qualified."""
        from chatcli.tools.mcp_client import tool_name

        def plain(own: str) -> str:
            return tool_name("", own, set())

        taken = {plain(tool.own) for tool in tools if tool.server == BUILTIN}
        offered = Counter(plain(tool.own) for tool in tools if tool.server != BUILTIN)
        taken |= {name for name, count in offered.items() if count > 1}
        self.tools = {}
        for tool in tools:
            if tool.server != BUILTIN:
                tool.name = tool_name(tool.server, tool.own, taken | set(self.tools))
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
            if name in (tool.name, tool.own, tool.server, tool.label)
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
                result = str(results.get(call["id"], {}).get("content") or "")
                self._record(ToolCall(call["id"], name, text), result)

    def _record(self, call: ToolCall, result: str) -> ToolRecord:
        """A call that did not run (or ran in an earlier session), numbered like the rest."""
        known = self.tools.get(call.name)
        record = ToolRecord(
            len(self.records) + 1,
            known.server if known is not None else "?",
            known.own if known is not None else call.name,
            parsed(call.arguments),
            result,
            0.0,
            len(result.encode("utf-8", "replace")),
        )
        self.records.append(record)
        return record

    def skipped(self, call: ToolCall, result: str) -> None:
        self._record(call, result)

    def specs(self, tell: Tell | None = None) -> list[dict[str, Any]]:
        self.settle(tell=tell)
        return [tool.spec() for tool in self.tools.values() if tool.enabled]

    def run(self, call: ToolCall, *, images: bool) -> ToolResult:
        self.settle(wait=False)  # a server that died since the request: its tools are gone
        checked = self._checked(call)
        if isinstance(checked, str):
            self._record(call, checked)
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
        if not self.approves(tool):
            consent = self.ui.consent(tool, arguments)
            if consent.answer == "no terminal":
                self.refused = True
                self.ui.problem(t("tool_refused_no_terminal", name=tool.label))
                return (
                    "error: refused: the user did not approve this tool in advance and "
                    "cannot be asked; answer without it"
                )
            if consent.answer == "no":
                self.ui.problem(t("tool_declined", name=tool.label, n=len(self.records) + 1))
                return "error: the user declined this call"
            if consent.answer == "always":
                self.approved.add(tool.key)
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
            tool.own,
            arguments,
            result,
            time.monotonic() - started,
            len(data),
            len(shown),
        )
        self.records.append(record)
        self.ui.report(record)
        return ToolResult(result, shown)


def parsed(text: str) -> dict[str, Any]:
    """A call's arguments as a JSON object, or its text kept whole when they are not one."""
    try:
        arguments = json.loads(text or "{}")
    except (ValueError, RecursionError):
        return {"(not JSON)": text}
    return arguments if isinstance(arguments, dict) else {"": arguments}


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
