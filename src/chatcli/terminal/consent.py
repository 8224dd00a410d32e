"""Tool calls in the terminal: each shown whole before it runs and asked about through the
consent service (terminal/question.py), each result shown as one collapsed line (`/tool N`
shows it whole).

What is shown is what runs. A shell command is shown exactly: every line, each line break
marked ⏎ and numbered when there are several, controls and bidi marks made visible (`clean`,
the terminal choke point, which everything the model or a server chose passes). The header
(which server's which tool asks, how many lines) stands right above the question. A call
taller than the screen is shown a screenful at a time, each part under the header, and the
question that can approve it comes only after its last part: it cannot be approved unseen.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from rich.cells import cell_len
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
REFUSALS = frozenset({"n", "no", "否"})


def is_command(tool: Tool) -> bool:
    return tool.server == BUILTIN and tool.name == "run_command"


def shown_lines(tool: Tool, arguments: dict[str, Any]) -> list[str]:
    """What is about to run, cleaned, line by line: the exact command (a line break marked ⏎
    at the end of its line, several lines numbered), or the arguments as indented JSON."""
    if is_command(tool):
        lines = str(arguments.get("command", "")).split("\n")
        if len(lines) == 1:
            return ["$ " + clean(lines[0])]
        digits = len(str(len(lines)))
        return [
            f"{number:>{digits}} │ {clean(line)}{'⏎' if number < len(lines) else ''}"
            for number, line in enumerate(lines, 1)
        ]
    pretty = json.dumps(arguments, ensure_ascii=False, indent=2)
    return [clean(line) for line in pretty.splitlines()]


def screen_rows(line: str, width: int) -> list[str]:
    """`line` cut into the rows it takes on a screen `width` cells wide."""
    rows: list[str] = []
    row = ""
    used = 0
    for char in line:
        size = cell_len(char)
        if used + size > width and row:
            rows.append(row)
            row, used = "", 0
        row += char
        used += size
    rows.append(row)
    return rows


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

    def _output(self) -> Any:
        from prompt_toolkit.output import create_output

        return create_output(stdout=sys.stderr) if self.on_stderr else None

    def _question(self, question: str, hint: str) -> str:
        from chatcli.terminal.question import ask

        try:
            return ask(question, hint, output=self._output())
        except EOFError:  # Ctrl-D: no
            return ""

    def _edit(self, tool: Tool, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments as the user left them: a command edited as its command line, other
        tools' arguments as JSON."""
        from chatcli.terminal.clean_session import CleanSession

        command = is_command(tool)
        default = (
            str(arguments.get("command", ""))
            if command
            else json.dumps(arguments, ensure_ascii=False)
        )
        session = CleanSession(output=self._output())
        try:
            edited = session.prompt(
                t("tool_edit_command" if command else "tool_edit_prompt"), default=default
            )
        except EOFError:
            return arguments
        if command:
            return {**arguments, "command": edited}
        try:
            value = json.loads(edited)
        except ValueError as exc:
            self.problem(t("tool_edit_invalid", detail=str(exc)))
            return arguments
        if not isinstance(value, dict):
            self.problem(t("tool_edit_invalid", detail="not an object"))
            return arguments
        return value

    def _shown(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        """The call drawn whole, a screenful at a time under its header; False when the user
        said no before its last part."""
        lines = shown_lines(tool, arguments)
        header = t("tool_call_header", server=server_label(tool.server), name=tool.own)
        if is_command(tool) and len(lines) > 1:
            header += t("tool_call_lines", n=len(lines))
        width = max(20, self.console.width)
        rows = [row for line in lines for row in screen_rows(line, width - 2)]
        asked = t("tool_consent_question") + t("tool_consent_answers")
        widest = header + t("tool_call_part", part=99, parts=99)
        room = self.console.height - len(screen_rows(widest, width))
        room = max(3, room - len(screen_rows(asked, width)) - 1)
        pages = [rows[start : start + room] for start in range(0, len(rows), room)]
        for number, page in enumerate(pages, 1):
            part = t("tool_call_part", part=number, parts=len(pages)) if len(pages) > 1 else ""
            self.console.print(Text(clean(header) + part, style="bold"))
            for row in page:
                self.console.print(Text("  " + row), no_wrap=True)
            if number < len(pages):
                answer = self._question(t("tool_page_question"), t("tool_page_answers"))
                if answer.strip().lower() in REFUSALS:
                    return False
        return True

    def consent(self, tool: Tool, arguments: dict[str, Any]) -> Consent:
        if not self.ask:
            return Consent("no terminal", arguments)
        while True:
            if not self._shown(tool, arguments):
                return Consent("no", arguments)
            answer = self._question(t("tool_consent_question"), t("tool_consent_answers"))
            choice = ANSWERS.get(answer.strip().lower(), "no")
            if choice != "edit":
                return Consent(choice, arguments)
            arguments = self._edit(tool, arguments)

    def report(self, record: ToolRecord) -> None:
        line = t(
            "tool_done",
            name=record.label,
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
