"""The status line after a tool turn counts generation only: the time a round of tool calls
holds the turn (the consent prompt and the tool's run, one span) is left out of its seconds
(and so of tok/s). Shown with the tool's run, whose length the screen itself reports."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.conftest import Terminal
from tests.fake_server import FakeOpenAI
from tests.test_tools_terminal import command_call

Start = Callable[..., Terminal]
SECONDS = re.compile(r" · (\d+\.\d) s · ")


def shown_seconds(term: Terminal) -> float:
    """The seconds figure of the status line that follows the answer."""
    term.expect("Echo: ")
    line = term.expect(r"tokens[^\r\n]*context")
    found = SECONDS.search(line)
    assert found, line
    return float(found.group(1))


def test_the_tool_run_is_not_generation_time(terminal: Start, server: FakeOpenAI) -> None:
    """No clock of the test's own: the tool's line says how long it ran, and the status line
    must show less than that."""
    server.expect(command_call("sleep 3; echo rested"))
    term = terminal("--tools", "shell", "--yes-tool", "run_command")
    term.prompt()
    term.send("nap")
    ran = float(term.expect(r"⚙ run_command → [^,]+, (\d+\.\d) s").rsplit(", ", 1)[1][:-2])
    assert ran >= 3.0
    assert shown_seconds(term) < ran
    term.quit()
