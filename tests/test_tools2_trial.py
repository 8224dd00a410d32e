"""What the "Done when" trial in tmux found, as a new user meets it: a resumed conversation's
tool calls are there for `/tool N`, a tool stopped with Ctrl-C says so, and `/tools` gives each
tool one line however long its description."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyte

from tests.conftest import SCREEN_COLS, SCREEN_ROWS, Terminal, run_chatcli
from tests.fake_server import FakeOpenAI
from tests.test_mcp import mcp_file, poll
from tests.test_tools_terminal import command_call

Start = Callable[..., Terminal]


def test_a_resumed_conversation_shows_its_calls_with_tool_n(
    env: dict[str, str], terminal: Start, server: FakeOpenAI
) -> None:
    server.expect(command_call("echo from-the-first-run"))
    first = run_chatcli(env, "--tools", "shell", "--yes-tool", "run_command", "list")
    assert first.returncode == 0, first.stderr
    term = terminal("-c", "--tools", "shell", "--yes-tool", "run_command")
    term.prompt()
    term.send("/tool 1")
    term.expect("call 1: built-in · run_command")
    term.expect('"command": "echo from-the-first-run"')
    term.expect("from-the-first-run")
    server.expect(command_call("echo second", ident="call_2"))
    term.prompt()
    term.send("again")
    term.expect(r"\(/tool 2 to show\)")  # this session's calls number on
    term.quit()


def test_ctrl_c_on_a_running_command_says_it_stopped(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    server.expect(command_call(f"touch {started}; sleep 30"))
    term = terminal("--tools", "shell", "--yes-tool", "run_command")
    term.prompt()
    term.send("nap")
    assert poll(started.exists)
    term.child.sendintr()
    term.expect(r"stopped run_command \(Ctrl-C\); the model was told")
    term.expect("Echo: error: cancelled by the user")
    term.quit()


def test_tools_lists_each_tool_on_one_line(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal("--tools", "shell")
    term.prompt()
    term.send("/tools")
    term.expect(r"run_command\s+on\s+Run a shell command[^\r\n]* …\r?\n  built-in · read_file")
    term.quit()


def test_a_server_failing_while_the_reply_waits_is_a_clean_line(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    """The waiting line (`… 2 s`) is up when the server gives up: the failure is printed
    above it, never glued to it."""
    env = {"MCP_TEST_FAIL_START": "1", "MCP_TEST_START_DELAY": "2.5"}
    env["MCP_TEST_STATE"] = str(isolated)
    term = terminal("--mcp-config", mcp_file(isolated, env=env), "--mcp", "own")
    term.prompt()
    term.send("hi")
    term.expect("Echo: hi")
    term.quit()
    screen = pyte.Screen(SCREEN_COLS, SCREEN_ROWS)
    pyte.ByteStream(screen).feed(term.transcript().encode())
    failed = [line for line in screen.display if "MCP server own is unavailable" in line]
    assert failed and all(line.startswith("⚠") for line in failed), failed


def test_tools_aligns_the_states_of_every_server(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    term = terminal("--mcp-config", mcp_file(isolated), "--mcp", "own", "--tools", "shell")
    term.chat("hi")  # the first request waits for the server: its tools are in
    term.prompt()
    term.send("/tools")
    term.expect("own · slow")
    term.quit()
    screen = pyte.Screen(SCREEN_COLS, SCREEN_ROWS)
    pyte.ByteStream(screen).feed(term.transcript().encode())
    rows = [re.match(r"  \S+ · \S+\s+(on |off)", line) for line in screen.display]
    columns = {row.start(1) for row in rows if row}
    assert len([row for row in rows if row]) >= 8 and len(columns) == 1, screen.display
