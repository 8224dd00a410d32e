"""Tool calls in a real terminal: every call shown and asked about before it runs (y, n,
always, edit, Enter, Ctrl-C), results collapsed to one line, `/tool N` whole, `/tools`; and
in a pipe, a call nobody approved is refused with its own exit status."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CHATCLI, Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
QUESTION = r"\[y\]es / \[n\]o / \[a\]lways"  # drawn once the question takes answers


def command_call(command: str, ident: str = "call_1") -> Behaviour:
    arguments = json.dumps({"command": command})
    return Behaviour(
        reply="", tool_calls=[{"id": ident, "name": "run_command", "arguments": arguments}]
    )


def running_in_group(group: int) -> bool:
    """Whether a process of the group is still alive (a zombie waiting to be reaped has
    ended: nothing may reap orphans in a container)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def ask(term: Terminal, message: str) -> None:
    term.prompt()
    term.send(message)
    term.expect(QUESTION)


def tool_results(server: FakeOpenAI) -> list[str]:
    return [m["content"] for m in server.chat_requests[-1]["messages"] if m.get("role") == "tool"]


def test_yes_runs_the_command_and_shows_it_collapsed(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(command_call("echo hello-from-tool"))
    term = terminal("--tools", "shell")
    ask(term, "say hello")
    assert "$ echo hello-from-tool" in term.transcript()
    term.send("y")
    term.expect(r"⚙ run_command → \d+ bytes, [\d.]+ s \(/tool 1 to show\)")
    term.expect("Echo: hello-from-tool")
    assert tool_results(server) == ["hello-from-tool\n"]
    term.prompt()
    term.send("/tool 1")
    term.expect("hello-from-tool")
    term.quit()


@pytest.mark.parametrize("key", ["n", ""])
def test_no_and_enter_decline(
    terminal: Start, server: FakeOpenAI, tmp_path: Path, key: str
) -> None:
    marker = tmp_path / "ran"
    server.expect(command_call(f"touch {marker}"))
    term = terminal("--tools", "shell")
    ask(term, "touch it")
    term.send(key)
    term.expect("declined run_command")
    term.expect("Echo: error: the user declined this call")
    assert not marker.exists()
    term.quit()


def test_always_asks_once_per_tool(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(command_call("echo one", "c1"), command_call("echo two", "c2"))
    term = terminal("--tools", "shell")
    ask(term, "twice")
    term.send("a")
    term.expect("Echo: two")
    assert term.transcript().count("the model wants to call") == 1
    assert tool_results(server) == ["one\n", "two\n"]
    term.quit()


def test_edit_changes_the_arguments_then_asks_again(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(command_call("echo original"))
    term = terminal("--tools", "shell")
    ask(term, "edit it")
    term.send("e")
    term.expect("command >")
    term.child.send("\x15")  # Ctrl-U: clear the line
    term.send("echo edited")
    term.expect(r"\$ echo edited")
    term.expect(QUESTION)
    term.send("y")
    term.expect("Echo: edited")
    assert tool_results(server) == ["edited\n"]
    term.quit()


def test_ctrl_c_at_the_question_ends_the_turn_and_the_chat_lives(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    server.expect(command_call(f"touch {marker}"))
    term = terminal("--tools", "shell")
    ask(term, "touch it")
    term.child.sendintr()
    term.expect("interrupted")
    term.chat("still here")
    assert not marker.exists()
    assert tool_results(server) == ["error: cancelled: the user interrupted the turn"]
    term.quit()


def test_ctrl_c_at_the_question_keeps_the_replys_text_once(
    terminal: Start, server: FakeOpenAI
) -> None:
    """The text before the call belongs to the message that made it: Ctrl-C at the question
    does not add it again as an answer (to the screen's /history, the store, the model)."""
    call = command_call("ls")
    call.reply = "Let me check the folder."
    server.expect(call)
    term = terminal("--tools", "shell")
    ask(term, "what is here?")
    term.child.sendintr()
    term.expect(r"interrupted — /retry")  # nothing of an answer to /continue
    term.chat("still here")
    said = [m.get("content") for m in server.chat_requests[-1]["messages"]]
    assert said.count("Let me check the folder.") == 1
    term.prompt()
    term.send("/history")
    term.expect("still here")
    assert term.transcript().count("Let me check the folder.") == 2  # streamed, /history
    term.quit()


def test_ctrl_c_while_the_command_runs_kills_its_group(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    server.expect(command_call(f"echo $$ > {pid_file}.tmp; mv {pid_file}.tmp {pid_file}; sleep 60"))
    term = terminal("--tools", "shell")
    ask(term, "sleep")
    term.send("y")
    for _ in range(600):  # until the shell has written its pid (it runs now)
        if pid_file.exists():
            break
        term.child.expect([pexpect.TIMEOUT], timeout=0.05)
    group = int(pid_file.read_text())
    assert running_in_group(group)
    term.child.sendintr()
    term.expect("Echo: error: cancelled by the user")
    assert not running_in_group(group)
    term.chat("after")
    term.quit()


def test_escapes_in_calls_and_results_are_neutralised(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(command_call(r"printf '\033]0;pwned\007\033[2Jdone'"))
    term = terminal("--tools", "shell")
    ask(term, "print")
    term.send("y")
    term.expect("tokens")
    term.prompt()
    term.send("/tool 1")
    term.expect("call 1: built-in · run_command")
    term.quit()
    shown = term.transcript()
    assert shown.count("␛]0;pwned␇␛[2Jdone") == 2  # the reply's echo, and /tool 1
    assert "\x1b]0;pwned" not in shown and "\x1b[2J" not in shown


def test_tools_lists_and_switches(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.send("/tools")
    term.expect(r"built-in · run_command\s+off")
    term.prompt()
    term.send("/tools on shell")
    term.expect("on: run_command")
    term.chat("hi")
    assert [t["function"]["name"] for t in server.chat_requests[-1]["tools"]] == ["run_command"]
    term.quit()


def test_without_a_terminal_an_unapproved_call_is_refused(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    server.expect(command_call(f"touch {marker}"))
    result = run_chatcli(env, "--tools", "shell", "touch it")
    assert result.returncode == 3
    assert "refused a call to run_command" in result.stderr
    assert result.stdout.startswith("Echo: error: refused")
    assert not marker.exists()


def test_yes_tool_approves_in_advance(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(command_call("echo approved"))
    result = run_chatcli(env, "--tools", "shell", "--yes-tool", "run_command", "go")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: approved\n"
    assert "⚙ run_command →" in result.stderr


def test_one_shot_asks_on_the_terminal_while_stdout_goes_to_a_file(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path
) -> None:
    server.expect(command_call("echo from-one-shot"))
    out = tmp_path / "out.txt"
    shell = pexpect.spawn(
        "/bin/sh",
        ["-c", f'"$0" --tools shell "list it" > {out}', CHATCLI],
        env=env,
        encoding="utf-8",
        timeout=15,
    )
    shell.expect(QUESTION)
    shell.send("y\r")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
    assert out.read_text(encoding="utf-8") == "Echo: from-one-shot\n"


def test_endless_calling_stops_with_a_notice(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="", tool_calls=command_call("true").tool_calls, times=50))
    result = run_chatcli(
        env, "--tools", "shell", "--yes-tool", "run_command", "--max-tool-rounds", "2", "go"
    )
    assert result.returncode == 0, result.stderr
    assert "stopped after 2 rounds of tool calls (--max-tool-rounds)" in result.stderr
    assert len(server.chat_requests) == 3


@pytest.mark.parametrize("how", ["exit", "SIGKILL"])
def test_what_the_tool_left_in_the_background_ends_with_chatcli(
    terminal: Start, server: FakeOpenAI, how: str
) -> None:
    """The shell exits at once and the tool returns, but its job (the model's `&`) may not
    outlive chatcli: a normal end ends it (its watcher is ended first to show that), and
    kill -9 leaves it to the watcher."""
    from tests.test_context_run import ends, running, wait_for_file, watchers

    server.expect(command_call("sleep 1000 & echo $! > job.pid; echo started"))
    term = terminal("--tools", "shell")
    ask(term, "start a job")
    term.send("y")
    term.expect(r"⚙ run_command → ")
    term.expect("Echo: started")  # the result went back to the model
    assert "end when chatcli does" in tool_results(server)[0]
    pid = int(wait_for_file(Path("job.pid")))
    assert running(pid)
    if how == "exit":
        for watcher in watchers(os.getpgid(pid)):
            os.kill(watcher, signal.SIGKILL)
        term.quit()
    else:
        term.child.kill(signal.SIGKILL)
        term.child.expect(pexpect.EOF)
    assert ends(pid)
