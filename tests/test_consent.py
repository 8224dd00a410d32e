"""The consent service (terminal/question.py): an answer counts only when typed for the
question on the screen. Keys typed ahead (while a reply is held streaming by the loopback
server, or sent in one write with the line that leads to the question) never answer it; keys
in its first moment on screen are discarded; Enter means no. What is shown is what runs: a
command's every line, its line breaks marked, a tall one a screenful at a time, never
approved unseen; prompt_toolkit draws nothing uncleaned. Calls number alike live and after
`-c`; a command past its time limit is stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pyte
import pytest
from prompt_toolkit.input.vt100 import Vt100Input
from prompt_toolkit.key_binding import KeyPress

from chatcli.tools.builtin import run_command
from chatcli.tools.runner import ToolFailed
from tests.conftest import SCREEN_COLS, SCREEN_ROWS, Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI, Gate
from tests.test_mcp import OWN
from tests.test_tools_terminal import QUESTION, command_call, running_in_group

Start = Callable[..., Terminal]
SRC = Path(__file__).resolve().parent.parent / "src" / "chatcli"


def screen(term: Terminal) -> list[str]:
    """What the terminal shows now, row by row (escape codes played, not listed)."""
    display = pyte.Screen(SCREEN_COLS, SCREEN_ROWS)
    pyte.Stream(display).feed(term.transcript())
    return [line.rstrip() for line in display.display]


def wait_for(done: Callable[[], bool]) -> bool:
    """Whether `done()` came true within 30 s (a state to wait for, looked at often)."""
    deadline = time.monotonic() + 30
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- keys typed before the question never answer it ------------------------------------------


@pytest.mark.parametrize("keys", ["y\r", "yes\r", "a\r"])
@pytest.mark.parametrize("when", ["while the reply is held", "with the message"])
def test_keys_typed_before_a_tool_question_never_answer_it(
    terminal: Start, server: FakeOpenAI, tmp_path: Path, keys: str, when: str
) -> None:
    """The first call gets the typed-ahead keys' answer only if they count: they must not;
    the fresh `n` declines it. The second call is approved by a fresh `y`."""
    marker = tmp_path / "ran"
    gate = Gate(after=1)
    first = command_call(f"echo first >> {marker}", "c1")
    server.expect(
        Behaviour(reply="Shall I tidy up? Doing it now.", tool_calls=first.tool_calls, hold=gate),
        command_call(f"echo second >> {marker}; echo second", "c2"),
    )
    term = terminal("--tools", "shell")
    term.prompt()
    if when == "with the message":
        term.child.send("tidy\r" + keys)  # one write: the editor reads the answer ahead too
        gate.open()
    else:
        term.send("tidy")
        term.expect("Shall")
        term.child.send(keys)
        gate.open()
    term.expect(QUESTION)
    term.send("n")
    term.expect(r"declined run_command \(/tool 1\)")
    assert not marker.exists()
    term.expect(QUESTION)
    term.send("y")
    term.expect("Echo: second")
    assert marker.read_text() == "second\n"
    term.quit()


@pytest.mark.parametrize("when", ["while a reply is held", "with the command"])
def test_keys_typed_before_the_secret_file_question_never_answer_it(
    terminal: Start, server: FakeOpenAI, when: str
) -> None:
    Path(".env").write_text("TOKEN=hunter2-secret\n", encoding="utf-8")
    term = terminal()
    term.prompt()
    if when == "with the command":
        term.child.send("/file .env\ry\r")
    else:
        gate = Gate(after=1)
        server.expect(Behaviour(reply="one two three", hold=gate))
        term.send("first")
        term.expect("one")
        term.child.send("/file .env\ry\r")
        gate.open()
    term.expect(r"\.env looks like a secrets file; send it to the model\?")
    term.expect(r"\[y/N\]")
    term.send("n")
    term.expect(r"\.env was not added")
    term.prompt()
    term.send("/file .env")
    term.expect(r"\[y/N\]")
    term.send("y")
    term.prompt()
    term.send("what is in it?")
    term.expect("Echo: .*hunter2-secret")
    term.quit()


def test_keys_sent_with_delete_never_answer_it_and_enter_means_no(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.chat("keep me")
    term.prompt()
    term.child.send("/delete 1\ry\r")  # one write: `y` was read ahead, before the question
    term.expect(r"\[y/N\]")
    term.send("")  # Enter: no
    term.expect("not deleted")
    term.prompt()
    term.send("/sessions")
    term.expect("keep me")
    term.quit()


class Watched(Vt100Input):
    """A terminal's input that tells the test which keys it has read from the terminal."""

    def __init__(self, stdin: TextIO) -> None:
        super().__init__(stdin)
        self.read: list[str] = []

    def read_keys(self) -> list[KeyPress]:
        presses = super().read_keys()
        self.read += [press.data for press in presses]
        return presses


def test_keys_in_the_questions_first_moment_are_discarded() -> None:
    """A real terminal, the question's clock held by the test: `y⏎` typed once the question
    is drawn but within its moment is read and discarded; the hint appears once the moment
    has passed, and then `n⏎` answers."""
    from prompt_toolkit.output import create_output

    from chatcli.terminal.question import ask

    master, slave = os.openpty()
    now = [0.0]
    shown = bytearray()
    lock = threading.Lock()

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            with lock:
                shown.extend(data)

    def seen(text: str) -> bool:
        with lock:
            return text.encode() in shown

    outcome: dict[str, bool] = {}
    keys_in = open(slave, closefd=False)  # noqa: SIM115 (closed below)
    keys = Watched(keys_in)

    def user() -> None:
        outcome["drawn"] = wait_for(lambda: seen("go?"))
        os.write(master, b"y\r")
        outcome["read"] = wait_for(lambda: keys.read[-2:] == ["y", "\r"])
        now[0] = 10.0
        outcome["ready"] = wait_for(lambda: seen("[y/N]"))
        os.write(master, b"n\r")

    threading.Thread(target=drain, daemon=True).start()
    typist = threading.Thread(target=user, daemon=True)
    typist.start()
    with keys_in, open(slave, "w", closefd=False) as out:
        answer = ask(
            "go? ", "[y/N] ", keys=keys, output=create_output(stdout=out), clock=lambda: now[0]
        )
    typist.join(30)
    os.close(slave)
    os.close(master)
    assert outcome == {"drawn": True, "read": True, "ready": True}
    assert answer == "n"


# --- approval belongs to one tool of one server -----------------------------------------------


def test_an_unlisted_tool_still_asks(terminal: Start, server: FakeOpenAI, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    server.expect(command_call(f"touch {marker}"))
    term = terminal("--tools", "shell,read", "--yes-tool", "read_file")
    term.prompt()
    term.send("touch it")
    term.expect(QUESTION)
    assert not marker.exists()
    term.send("n")
    term.expect("declined run_command")
    term.quit()


def two_servers(home: Path) -> str:
    """An mcpServers file with two copies of the tests' own server, `own` and `twin`: each
    offers `slow`, which leaves `slow-started` in that server's own state folder."""
    servers = {}
    for name in ("own", "twin"):
        (home / name).mkdir()
        env = {"MCP_TEST_STATE": str(home / name)}
        servers[name] = {"command": sys.executable, "args": [OWN], "env": env}
    path = home / "two.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return str(path)


def slow_call(ident: str, name: str) -> Behaviour:
    return Behaviour(
        reply="", tool_calls=[{"id": ident, "name": name, "arguments": '{"seconds": 0}'}]
    )


def test_one_tool_name_on_two_servers_is_approved_per_server(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    """Both are qualified for the model; a bare --yes-tool is refused in one line; `[a]lways`
    approves that server's tool only; /tools shows which runs without asking."""
    config = two_servers(isolated)
    server.expect(slow_call("c1", "own_slow"), slow_call("c2", "twin_slow"))
    server.expect(slow_call("c3", "own_slow"))
    term = terminal("--mcp-config", config, "--yes-tool", "slow")
    term.prompt()
    term.send("go")
    term.expect(r"--yes-tool slow: more than one server offers it, so neither is approved; ")
    term.expect("name one: own.slow, twin.slow")
    term.expect(r"wants to call own · slow")
    term.expect(QUESTION)
    term.send("a")
    term.expect(r"wants to call twin · slow")
    term.expect(QUESTION)
    term.send("n")
    term.expect(r"declined twin\.slow")
    term.expect(r"Echo: slept 0")
    assert term.transcript().count("wants to call") == 2  # the third call ran unasked
    assert (isolated / "own" / "slow-started").exists()
    assert not (isolated / "twin" / "slow-started").exists()
    names = {tool["function"]["name"] for tool in server.chat_requests[0]["tools"]}
    assert {"own_slow", "twin_slow"} <= names and "slow" not in names
    term.prompt()
    term.send("/tools")
    listed = term.expect(r"twin · slow .*\r\n")
    assert re.search(r"own · slow +on +\(runs without asking\)", listed)
    assert not re.search(r"twin · slow +on +\(runs without asking\)", listed)
    term.quit()


def test_a_bare_name_refused_as_ambiguous_stays_refused_when_a_server_dies(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    """Once `own` is gone, `twin`'s tool is the only `slow` on offer (and called so): a
    bare --yes-tool that approved neither still approves neither."""
    config = two_servers(isolated)
    server.expect(slow_call("c1", "twin_slow"), Behaviour(reply="asked"))
    server.expect(slow_call("c2", "slow"), Behaviour(reply="asked again"))
    term = terminal("--mcp-config", config, "--yes-tool", "slow")
    term.prompt()
    term.send("/tools")
    term.expect("MCP server twin: ready")
    term.prompt()
    term.send("go")
    term.expect(QUESTION)
    assert "neither is approved" in term.transcript()  # at /tools or here
    term.send("n")
    term.expect("asked")
    os.kill(int((isolated / "own" / "pid").read_text()), signal.SIGKILL)
    term.expect("MCP server own stopped")
    term.prompt()
    term.send("again")
    term.expect(r"wants to call twin · slow")
    term.expect(QUESTION)
    term.send("n")
    term.expect("asked again")
    assert not (isolated / "twin" / "slow-started").exists()
    term.quit()


def test_a_bare_name_no_tool_has_is_said_once(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    result = run_chatcli(env, "--mcp-config", two_servers(isolated), "--yes-tool", "slwo", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("--yes-tool slwo: no tool has this name") == 1


def test_yes_tool_server_tool_approves_that_servers_tool_only(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    config = two_servers(isolated)
    server.expect(slow_call("c1", "twin_slow"), slow_call("c2", "own_slow"))
    result = run_chatcli(env, "--mcp-config", config, "--yes-tool", "own.slow", "go")
    assert result.returncode == 3, result.stderr
    assert "refused a call to twin.slow" in result.stderr
    assert "--yes-tool twin.slow" in result.stderr
    assert (isolated / "own" / "slow-started").exists()
    assert not (isolated / "twin" / "slow-started").exists()


# --- what is shown is what runs ---------------------------------------------------------------


def test_a_command_taller_than_the_screen_is_seen_whole_before_it_can_run(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "X"
    command = f"touch {marker}" + "\n" * 60 + "ls -la"
    server.expect(command_call(command))
    term = terminal("--tools", "shell")
    term.prompt()
    term.send("tidy")
    term.expect(r"\[Enter\] next part")
    rows = screen(term)
    header = "⚙ the model wants to call built-in · run_command · 61 lines · part 1 of 2"
    assert header in rows
    assert f" 1 │ touch {marker}⏎" in "\n".join(rows)
    assert "ls -la" not in "\n".join(rows)
    term.send("y")  # not an approval: the command is not shown whole yet
    term.expect(QUESTION)
    assert not marker.exists()
    rows = screen(term)
    shown = "\n".join(rows)
    assert "⚙ the model wants to call built-in · run_command · 61 lines · part 2 of 2" in rows
    assert "61 │ ls -la" in shown and "60 │ ⏎" in shown
    term.send("y")
    term.expect(r"⚙ run_command →")
    assert marker.exists()
    term.quit()


def test_the_edit_line_and_prompts_draw_nothing_raw(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    """The `[e]dit` line edits the command itself (U+202E and all) but draws it cleaned; a
    title in the delete question and a line typed at the prompt are drawn cleaned too."""
    marker = tmp_path / "ran"
    server.expect(command_call(f"echo \u202eabc > {marker}"))
    term = terminal("--tools", "shell")
    term.prompt()
    term.send("go")
    term.expect(QUESTION)
    term.send("e")
    term.expect("command >")
    term.expect("<U\\+202E>abc")
    term.send("")
    term.expect(QUESTION)
    term.send("y")
    term.expect("⚙ run_command →")
    term.prompt()
    term.send("/title x\u202ey")
    term.expect("titled")
    term.prompt()
    term.send("/delete 1")
    term.expect(r"\[y/N\]")
    term.send("n")
    term.expect("not deleted")
    term.quit()
    assert marker.read_text(encoding="utf-8") == "\u202eabc\n"  # what ran: what was edited
    assert "\u202e" not in term.transcript()
    assert re.search(r"x<U\+202E>y", term.transcript())


def test_only_the_clean_session_makes_prompt_toolkit_sessions() -> None:
    """One choke point: no other module makes a PromptSession (or calls prompt())."""
    users = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if re.search(r"\bPromptSession\b|\bprompt_toolkit\.shortcuts\b", path.read_text("utf-8"))
    ]
    assert users == ["terminal/clean_session.py"]


# --- /tool N numbers are stable ---------------------------------------------------------------


def test_a_declined_call_is_numbered_live_as_after_resume(
    terminal: Start, server: FakeOpenAI
) -> None:
    server.expect(command_call("echo one", "c1"), command_call("echo two", "c2"))
    term = terminal("--tools", "shell")
    term.prompt()
    term.send("twice")
    term.expect(QUESTION)
    term.send("n")
    term.expect(r"declined run_command \(/tool 1\)")
    term.expect(QUESTION)
    term.send("y")
    term.expect(r"\(/tool 2 to show\)")
    term.expect("Echo: two")
    for shown in (term, terminal("-c", "--tools", "shell")):  # live, then resumed
        if shown is not term:
            shown.expect("resumed")
        shown.prompt()
        shown.send("/tool 2")
        shown.expect(r"call 2: built-in · run_command")
        shown.expect("two")
        shown.prompt()
        shown.send("/tool 1")
        shown.expect(r"call 1: built-in · run_command")
        shown.expect("the user declined this call")
        shown.quit()


# --- the built-in tool's time limit -----------------------------------------------------------


def test_a_command_past_its_time_limit_is_stopped_with_its_group(tmp_path: Path) -> None:
    pid = tmp_path / "pid"
    command = f"echo $$ > {pid}.tmp; mv {pid}.tmp {pid}; sleep 30"
    with pytest.raises(ToolFailed, match="timed out after 1 s; the command was stopped"):
        run_command({"command": command}, 1.0)
    if pid.exists():  # the shell started within the limit: its group is gone with it
        assert not running_in_group(int(pid.read_text()))
