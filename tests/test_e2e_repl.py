"""REPL ergonomics in a real pseudo-terminal: keys, paste, history, completion, commands."""

from __future__ import annotations

import base64
import stat
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
ALT_ENTER = "\x1b\r"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def last_user_message(server: FakeOpenAI) -> object:
    return server.chat_requests[-1]["messages"][-1]["content"]


def test_alt_enter_and_ctrl_j_insert_newlines(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.child.send("one" + ALT_ENTER + "two\nthree\r")
    term.expect("tokens")
    assert last_user_message(server) == "one\ntwo\nthree"


def test_triple_quote_block(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    for line in ('"""', "first line", "", "second line", '"""'):
        term.send(line)
    term.expect("tokens")
    assert last_user_message(server) == "first line\n\nsecond line"


def test_bracketed_paste_arrives_whole(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.child.send(PASTE_START + "pasted one\npasted two\npasted three" + PASTE_END)
    term.send("")
    term.expect("tokens")
    assert len(server.chat_requests) == 1
    assert last_user_message(server) == "pasted one\npasted two\npasted three"


def test_multiline_mode_swaps_enter(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.send("/multiline")
    term.expect("multi-line mode")
    term.prompt()
    term.child.send("a\rb" + ALT_ENTER)
    term.expect("tokens")
    assert last_user_message(server) == "a\nb"


def test_history_persists_across_runs_privately(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    term = terminal()
    term.prompt()
    term.send("remember this line")
    term.expect("Echo: remember this line")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    history = isolated / ".local/share/chatcli/input_history"
    assert "remember this line" in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700

    again = terminal()
    again.prompt()
    again.child.send("\x1b[A")  # Up
    again.send("")
    again.expect("Echo: remember this line")
    assert len(server.chat_requests) == 2


def test_private_records_no_history(terminal: Start, isolated: Path) -> None:
    term = terminal("--private")
    term.prompt()
    term.send("secret words")
    term.expect("Echo: secret words")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    history = isolated / ".local/share/chatcli/input_history"
    assert not history.exists() or "secret" not in history.read_text()


def test_tab_completes_commands_and_model_names(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.child.send("/hist\t")
    term.send("")
    term.expect("no messages yet")
    term.prompt()
    term.send("/models")
    term.expect("qwen-plus")
    term.prompt()
    term.child.send("/model qw\t")
    term.send("")
    term.expect("switched to model qwen-plus")


def test_cjk_editing(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    left = "\x1b[D"
    term.child.send("你好世界" + left + left + "\x7f" + "们")
    term.send("")
    term.expect("Echo: 你们世界")
    assert last_user_message(server) == "你们世界"


def test_undo_and_set_reach_the_next_request(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.send("keep")
    term.expect("Echo: keep")
    term.prompt()
    term.send("drop")
    term.expect("Echo: drop")
    term.prompt()
    term.send("/undo")
    term.expect("dropped the last")
    term.prompt()
    term.send("/set temperature 0.2")
    term.expect("temperature = 0.2")
    term.prompt()
    term.send("next")
    term.expect("Echo: next")
    body = server.chat_requests[-1]
    assert body["temperature"] == 0.2
    assert [m["content"] for m in body["messages"]] == ["keep", "Echo: keep", "next"]


def test_retry_after_failure(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal("--max-retries", "0")
    term.prompt()
    server.expect(Behaviour(status=500, error={"message": "boom"}))
    term.send("try me")
    term.expect(r"server error \(500\)")
    term.prompt()
    term.send("/retry")
    term.expect("Echo: try me")
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == ["try me"]


def test_image_sends_data_url(terminal: Start, server: FakeOpenAI, tmp_path: Path) -> None:
    picture = tmp_path / "pic.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 20)
    term = terminal()
    term.prompt()
    term.send(f"/image {picture} what is it?")
    term.expect("tokens")
    parts = last_user_message(server)
    assert isinstance(parts, list)
    assert (
        parts[1]["image_url"]["url"]
        == "data:image/png;base64," + base64.b64encode(picture.read_bytes()).decode()
    )


def test_save_and_load_round_trip(terminal: Start, server: FakeOpenAI, tmp_path: Path) -> None:
    saved = tmp_path / "talk.json"
    term = terminal("--system", "S")
    term.prompt()
    term.send("hello there")
    term.expect("Echo: hello there")
    term.prompt()
    term.send(f"/save {saved}")
    term.expect("saved 1 turn to")
    term.prompt()
    term.send("退出")
    term.exit_status()

    again = terminal()
    again.prompt()
    again.send(f"/load {saved}")
    again.expect("loaded 1 turn from")
    again.prompt()
    again.send("and now")
    again.expect("Echo: and now")
    contents = [m["content"] for m in server.chat_requests[-1]["messages"]]
    assert contents == ["S", "hello there", "Echo: hello there", "and now"]


def test_copy_emits_osc52(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="Here:\n\n```python\nprint('hi')\n```\n"))
    term = terminal()
    term.prompt()
    term.send("code")
    term.expect(r"\[1\] python")
    term.prompt()
    term.send("/copy 1")
    expected = base64.b64encode(b"print('hi')").decode()
    term.expect("\x1b\\]52;c;" + expected.replace("+", "\\+") + "\x07")
    term.expect("copied code block 1")


def test_edit_uses_editor(terminal: Start, server: FakeOpenAI, tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor"
    editor.write_text("#!/bin/sh\nprintf 'written in the editor' > \"$1\"\n")
    editor.chmod(0o755)
    term = terminal(extra_env={"EDITOR": str(editor), "VISUAL": ""})
    term.prompt()
    term.send("/edit")
    term.expect("Echo: written in the editor")


def test_keys_typed_at_launch_reach_the_editor(terminal: Start, server: FakeOpenAI) -> None:
    """Type-ahead before the editor is up: Enter still sends, nothing turns into a newline."""
    for attempt in range(5):
        term = terminal()
        term.child.send(f"early {attempt}\r")
        term.expect(f"Echo: early {attempt}")
        term.prompt()
        term.send("退出")
        assert term.exit_status() == 0
    assert [r["messages"][-1]["content"] for r in server.chat_requests] == [
        f"early {attempt}" for attempt in range(5)
    ]


def test_ctrl_r_searches_history(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    for line in ("alpha one", "beta two"):
        term.prompt()
        term.send(line)
        term.expect(f"Echo: {line}")
    term.prompt()
    term.child.send("\x12alph")
    term.expect("I-search backward")
    term.child.send("\r")  # accept the match
    term.child.send("\r")  # send it
    term.expect("Echo: alpha one.*tokens")
    assert last_user_message(server) == "alpha one"
