"""Tools the model may call: what the bot needs to know of them, and nothing more.

The bot assembles calls and hands each to a `ToolRunner`; the runner (tools/runner.py) finds
the tool, asks the user through its UI, runs it and returns the text the model gets. Nothing
here does I/O or imports anything heavy: the bot imports this module on the start-up path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# A line for the user while a request is on its way, and whether it is a problem: the bot
# passes it through to whoever shows the request (the tools never print over its display).
Tell = Callable[[str, bool], None]


def base64_size(data: str) -> int:
    """The bytes base64 text decodes to, without decoding it."""
    data = data.rstrip()
    return len(data) * 3 // 4 - data[-2:].count("=")


@dataclass(frozen=True)
class ToolImage:
    """An image a tool returned, base64 as the server sent it."""

    mime: str
    data: str

    @property
    def size(self) -> int:
        """Its size in bytes, decoded."""
        return base64_size(self.data)

    @property
    def url(self) -> str:
        return f"data:{self.mime};base64,{self.data}"


@dataclass(frozen=True)
class ToolResult:
    """What the model gets for one call: text, and the images to show it when it can see
    them (chat completions `tool` messages carry text only; the bot sends them after)."""

    text: str
    images: tuple[ToolImage, ...] = ()


@dataclass(frozen=True)
class ToolCall:
    """One call as the model made it; `arguments` is the JSON text, unparsed."""

    id: str
    name: str
    arguments: str


class ToolRunner(Protocol):
    """Runs the model's calls; consent and display are its business, never the bot's."""

    def specs(self, tell: Tell | None = None) -> list[dict[str, Any]]:
        """The `tools` of a request: every enabled tool, as function definitions (waiting for
        the tools still starting, told through `tell` when given)."""
        ...

    def run(self, call: ToolCall, *, images: bool) -> ToolResult:
        """The result the model gets: the tool's output, or an error it can act on; its
        images only when `images` (the model takes them), else described in the text."""
        ...

    def skipped(self, call: ToolCall, result: str) -> None:
        """A call answered with `result` without being run (the turn was interrupted): it
        counts all the same, so calls number alike live and in a resumed conversation."""
        ...
