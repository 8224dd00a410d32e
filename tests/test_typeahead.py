"""Keys typed while chatcli is not reading keep their meaning at the next prompt, like a
shell's type-ahead: Enter sends, Tab completes, and keys that arrive together are handled in
the order typed. Each test writes its keys in ONE write to the PTY, so they reach chatcli
together whatever the machine's speed; streams are held by the server until the test has
typed (Gate), never timed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]


def sent_messages(server: FakeOpenAI) -> list[object]:
    return [request["messages"][-1]["content"] for request in server.chat_requests]


def test_tab_and_enter_in_one_write_run_the_completed_command(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.prompt()
    term.child.send("/hist\t\r")
    term.expect(r"\(no messages yet\)")
    term.prompt()
    term.send("/models")
    term.expect("qwen-plus")
    term.prompt()
    term.child.send("/model qw\t\r")
    term.expect("switched to model qwen-plus")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert server.chat_requests == []


def test_keys_typed_before_the_prompt_is_drawn_keep_their_meaning(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.child.send("/hist\t\rfirst question\r")  # at once: chatcli has not started yet
    term.expect(r"\(no messages yet\)")
    term.expect("Echo: first question")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert sent_messages(server) == ["first question"]


def typed_while_a_reply_streams(terminal: Start, server: FakeOpenAI, keys: str) -> Terminal:
    """Ask "first", type `keys` while its reply is held after the first word, then let the
    reply finish: the keys wait in the terminal for the next prompt."""
    gate = Gate(after=1)
    server.expect(Behaviour(reply="one two three four", hold=gate))
    term = terminal()
    term.prompt()
    term.send("first")
    term.expect("one")
    term.child.send(keys)
    gate.open()
    return term


def test_enter_typed_while_a_reply_streams_sends_the_next_question(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = typed_while_a_reply_streams(terminal, server, "second question\r")
    term.expect("Echo: second question")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert sent_messages(server) == ["first", "second question"]


def test_tab_typed_while_a_reply_streams_completes_at_the_next_prompt(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = typed_while_a_reply_streams(terminal, server, "/hist\t\r")
    term.expect("user: first")
    term.expect("assistant: one two three four")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert sent_messages(server) == ["first"]


def test_ctrl_c_still_interrupts_a_streaming_reply(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=2)
    server.expect(Behaviour(reply="tick " * 50, hold=gate))
    term = terminal()
    term.prompt()
    term.send("count")
    term.expect("tick tick")
    term.child.sendintr()
    term.expect("interrupted")
    term.prompt()
    term.send("after")
    term.expect("Echo: after")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    partial = server.chat_requests[-1]["messages"][1]["content"]
    assert partial == "tick tick"


def test_an_editor_gets_the_terminal_in_its_own_mode(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    """Type-ahead mode is chatcli's; a program it runs gets the terminal as it was."""
    modes = isolated / "stty.txt"
    editor = f"sh -c 'stty -a > {modes}; printf edited > \"$1\"' sh"
    term = terminal(extra_env={"EDITOR": editor, "VISUAL": editor})
    term.prompt()
    term.send("/edit")
    term.expect("Echo: edited")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    flags = modes.read_text().split()
    assert {"icanon", "echo", "icrnl", "isig"} <= set(flags)
