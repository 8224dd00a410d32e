"""The store follows what the screen shows, tried as a user would: the installed chatcli in a
PTY against the loopback server, then the real SQLite file (or `chatcli sessions`) read back.
Also the small things a newcomer meets on the way: /set escapes and unset values, counts of
one, a message from $EDITOR, and `--session ID` naming no conversation."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pexpect

from tests.conftest import Terminal, clean_environ
from tests.conftest import run_chatcli as chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
OLD_SAVE_MD = """# chatcli conversation — deepseek-chat

Parameters: temperature=0.3

## System

你是一个诗人。

## You

写一首诗

## Assistant

秋风起。

## You

再来

## Assistant

落叶飞。
"""


def rows(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def stored(env: dict[str, str], conversation_id: int) -> list[object]:
    return [
        r[0]
        for r in rows(
            env,
            f"SELECT content FROM messages WHERE conversation_id = {conversation_id} "
            "ORDER BY position",
        )
    ]


def command(term: Terminal, line: str, answer: str) -> None:
    term.prompt()
    term.send(line)
    term.expect(answer)


def test_undo_leaves_the_store_at_once(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("one", "two")
    command(term, "/undo", "dropped the last question and reply")
    term.quit()
    assert stored(env, 1) == ["one", "Echo: one", "two", "Echo: two"]  # kept, on a branch
    shown = chatcli(env, "sessions", "show", "1")
    assert "Echo: one" in shown.stdout and "two" not in shown.stdout


def test_retry_of_the_first_turn_replaces_it_in_the_same_conversation(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("one")
    server.expect(Behaviour(reply="a better answer"))
    command(term, "/retry", "a better answer")
    term.quit()
    assert rows(env, "SELECT id FROM conversations") == [(1,)]
    assert stored(env, 1) == ["one", "Echo: one", "a better answer"]  # the old one a branch
    shown = chatcli(env, "sessions", "show", "1").stdout
    assert "a better answer" in shown and "Echo: one" not in shown


def test_load_starts_a_new_conversation_says_so_and_names_the_new_model(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    old = tmp_path / "poem.md"  # as /save of the previous release wrote it
    old.write_text(OLD_SAVE_MD)
    term = terminal("-m", "gpt-4o")
    term.chat("before")
    command(term, f"/load {old}", r"loaded 2 turns from .*poem.md as a new conversation, #2")
    term.expect("model changed from gpt-4o to deepseek-chat")
    command(term, "/title Poems", "conversation #2 is titled “Poems”")
    command(term, "/history", "assistant: 落叶飞。")
    term.chat("after")
    term.quit()
    assert rows(env, "SELECT id, title, model FROM conversations ORDER BY id") == [
        (1, "before", "gpt-4o"),
        (2, "Poems", "deepseek-chat"),
    ]
    assert stored(env, 1) == ["before", "Echo: before"]
    assert stored(env, 2) == ["写一首诗", "秋风起。", "再来", "落叶飞。", "after", "Echo: after"]
    sent = server.chat_requests[-1]
    assert (sent["model"], sent["temperature"]) == ("deepseek-chat", 0.3)
    assert sent["messages"][0] == {"role": "system", "content": "你是一个诗人。"}


def test_title_names_the_conversation_on_screen_and_shows_it(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("first")
    command(term, "/title", "conversation #1 is titled “first”")
    command(term, "/clear", "history cleared")
    command(
        term, "/title  Second  one", "this conversation \\(not saved yet\\) is titled “Second one”"
    )
    term.chat("again")
    command(term, "/title", "conversation #2 is titled “Second one”")
    term.quit()
    assert rows(env, "SELECT id, title FROM conversations ORDER BY id") == [
        (1, "first"),
        (2, "Second one"),
    ]


def test_usage_counts_loaded_and_resumed_turns(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    assert chatcli(env, "hello there").returncode == 0
    exported = tmp_path / "one.json"
    assert (
        chatcli(env, "sessions", "export", "1", "--format", "json", "-o", str(exported)).returncode
        == 0
    )
    tokens = json.loads(exported.read_text())["messages"][1]
    line = rf"1\. {tokens['prompt_tokens']} → {tokens['tokens']} tokens"
    term = terminal()
    command(term, f"/load {exported}", "as a new conversation, #2")
    command(term, "/usage", line)
    term.quit()
    term = terminal("-c")
    term.expect("resumed #2")
    command(term, "/usage", line)
    term.quit()


def test_a_session_that_does_not_exist_is_refused_before_anything_starts(
    isolated: Path, server: FakeOpenAI
) -> None:
    """No key: the offline model would start; it must not, nor any other thing."""
    term = Terminal(["--session", "99999"], clean_environ(isolated), os.getcwd())
    try:
        term.child.expect(pexpect.EOF)
        term.child.close()
        assert term.child.exitstatus == 2
        assert term.transcript().strip() == (
            "chatcli: no conversation 99999 (see /sessions or chatcli sessions list)"
        )
    finally:
        term.end()


def test_set_reads_escapes_and_shows_unset_values_as_not_set(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    command(term, '/set stop END "\\n\\n"', r'stop = \["END", "\\n\\n"\]')
    term.chat("hi")
    assert server.chat_requests[-1]["stop"] == ["END", "\n\n"]
    command(term, "/unset stop", r"stop = \(not set\)")
    command(term, "/set", r"temperature = \(not set\)")
    term.quit()
    assert "None" not in term.transcript()
    term = terminal("--lang", "zh")
    command(term, "/set", "temperature = 未设置")
    term.quit()
    assert "None" not in term.transcript()


def test_counts_of_one_are_singular(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    assert chatcli(env, "a1").returncode == 0
    for word in ("b2", "c3", "d4"):
        assert chatcli(env, "-c", word).returncode == 0
    term = terminal("-c")
    term.expect(r"resumed #1 “a1” · 4 turns")
    term.expect(r"… \(1 earlier turn\)")
    command(term, "/undo", "dropped")
    command(term, "/undo", "dropped")
    command(term, "/undo", "dropped")
    command(term, f"/save {tmp_path / 'one.md'}", "saved 1 turn to")
    term.quit()


def test_a_message_from_the_editor_is_shown_before_its_reply(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'written in the editor\\nsecond line\\n' > \"$1\"\n")
    editor.chmod(0o755)
    term = terminal(extra_env={"EDITOR": str(editor)})
    command(term, "/edit", r"gpt-4o> written in the editor\r\n\.+ second line")
    term.expect("Echo: written in the editor")
    term.quit()
