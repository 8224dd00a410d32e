"""Tool calls in the terminal: each shown before it runs and asked about, each result shown
as one collapsed line (`/tool N` shows it whole).

Everything the model or a server chose (names, arguments, results) passes `clean`, the
terminal choke point, before it is printed or put into a prompt.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from chatcli.i18n import t
from chatcli.terminal.sink import clean
from chatcli.tools.runner import BUILTIN, Consent, Tool, ToolRecord, server_label

Choice = Literal["yes", "no", "always", "edit"]
ANSWERS: dict[str, Choice] = {
    "y": "yes",
    "yes": "yes",
    "是": "yes",
    "a": "always",
    "always": "always",
    "e": "edit",
}


def label(server: str, name: str) -> str:
    return name if server == BUILTIN else f"{server}.{name}"


def call_text(tool: Tool, arguments: dict[str, Any]) -> str:
    """What is about to run: the exact command line, or the arguments pretty-printed."""
    if tool.server == BUILTIN and tool.name == "run_command":
        return "  $ " + str(arguments.get("command", ""))
    pretty = json.dumps(arguments, ensure_ascii=False, indent=2)
    return "\n".join("  " + line for line in pretty.splitlines())


def size_text(size: int) -> str:
    return t("size_bytes", n=size) if size < 10_000 else f"{size / 1024:.0f} KB"


class TerminalToolUI:
    """Asks on the terminal when there is one; without one, every unapproved call is refused.
    `on_stderr`: one-shot mode, whose stdout carries only the reply (it may be a file)."""

    def __init__(self, console: Console, *, on_stderr: bool = False) -> None:
        self.console = console
        self.on_stderr = on_stderr
        terminal = sys.stderr if on_stderr else sys.stdout
        self.ask = sys.stdin.isatty() and terminal.isatty()

    def _prompt(self, message: str, default: str = "") -> str:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.output import create_output

        output = create_output(stdout=sys.stderr) if self.on_stderr else None
        return PromptSession[str](output=output).prompt(message, default=default)

    def consent(self, tool: Tool, arguments: dict[str, Any]) -> Consent:
        if not self.ask:
            return Consent("no terminal", arguments)
        while True:
            self.console.print(
                Text(
                    clean(t("tool_call_header", server=server_label(tool.server), name=tool.name)),
                    style="bold",
                )
            )
            self.console.print(Text(clean(call_text(tool, arguments))))
            try:
                answer = self._prompt(t("tool_consent_question"))
            except EOFError:  # Ctrl-D: no
                answer = ""
            choice = ANSWERS.get(answer.strip().lower(), "no")
            if choice != "edit":
                return Consent(choice, arguments)
            edited = self._prompt(
                t("tool_edit_prompt"), default=json.dumps(arguments, ensure_ascii=False)
            )
            try:
                value = json.loads(edited)
            except ValueError as exc:
                self.problem(t("tool_edit_invalid", detail=str(exc)))
                continue
            if isinstance(value, dict):
                arguments = value
            else:
                self.problem(t("tool_edit_invalid", detail="not an object"))

    def report(self, record: ToolRecord) -> None:
        line = t(
            "tool_done",
            name=label(record.server, record.name),
            size=size_text(record.size)
            + (t("tool_images", n=record.images) if record.images else ""),
            seconds=f"{record.seconds:.1f}",
            n=record.number,
        )
        self.console.print(Text(clean(line), style="dim"))

    def problem(self, text: str) -> None:
        self.console.print(Text(clean(text), style="yellow"), soft_wrap=True)

    def notice(self, text: str) -> None:
        self.console.print(Text(clean(text), style="dim"), soft_wrap=True)
