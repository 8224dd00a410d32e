"""Tools the model may call: what the bot needs to know of them, and nothing more.

The bot assembles calls and hands each to a `ToolRunner`; the runner (tools/runner.py) finds
the tool, asks the user through its UI, runs it and returns the text the model gets. Nothing
here does I/O or imports anything heavy: the bot imports this module on the start-up path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolCall:
    """One call as the model made it; `arguments` is the JSON text, unparsed."""

    id: str
    name: str
    arguments: str


class ToolRunner(Protocol):
    """Runs the model's calls; consent and display are its business, never the bot's."""

    def specs(self) -> list[dict[str, Any]]:
        """The `tools` of a request: every enabled tool, as function definitions."""
        ...

    def run(self, call: ToolCall) -> str:
        """The result the model gets: the tool's output, or an error it can act on."""
        ...
