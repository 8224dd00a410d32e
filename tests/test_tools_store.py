"""A turn's tool calls and results are stored with it (schema 4): resumed with -c into the
next request, exported as JSON and imported back, and undone together with the turn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI
from tests.test_tools_terminal import command_call


def tool_turn(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(command_call("echo stored-result"), Behaviour(reply="It printed it."))
    result = run_chatcli(env, "--tools", "shell", "--yes-tool", "run_command", "print")
    assert result.returncode == 0, result.stderr


def test_tool_rounds_come_back_with_continue(env: dict[str, str], server: FakeOpenAI) -> None:
    tool_turn(env, server)
    first = server.chat_requests[-1]["messages"]
    result = run_chatcli(env, "-c", "and then?")
    assert result.returncode == 0, result.stderr
    sent = server.chat_requests[-1]["messages"]
    assert sent[:-1] == [*first, {"role": "assistant", "content": "It printed it."}]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "run_command"
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "stored-result\n"}


def test_tool_rounds_export_and_import(env: dict[str, str], server: FakeOpenAI) -> None:
    tool_turn(env, server)
    exported = run_chatcli(env, "sessions", "export", "1", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    answer = json.loads(exported.stdout)["messages"][1]
    assert [m["role"] for m in answer["tools"]] == ["assistant", "tool"]
    assert answer["tools"][1]["content"] == "stored-result\n"
    path = env["HOME"] + "/export.json"
    with open(path, "w", encoding="utf-8") as file:
        file.write(exported.stdout)
    assert run_chatcli(env, "sessions", "import", path).returncode == 0
    again = run_chatcli(env, "sessions", "export", "2", "--format", "json")
    assert json.loads(again.stdout)["messages"][1]["tools"] == answer["tools"]


def test_undo_forgets_the_calls_with_the_turn(
    env: dict[str, str], server: FakeOpenAI, terminal: Callable[..., Terminal]
) -> None:
    tool_turn(env, server)
    term = terminal("-c")
    term.expect("⚙ run_command")  # the resumed turn's calls, in the recap
    term.prompt()
    term.send("/undo")
    term.chat("fresh")
    assert server.chat_requests[-1]["messages"] == [{"role": "user", "content": "fresh"}]
    term.quit()
    assert run_chatcli(env, "-c", "later").returncode == 0
    assert [m["role"] for m in server.chat_requests[-1]["messages"]] == [
        "user",
        "assistant",
        "user",
    ]


def test_save_and_load_keep_the_tool_rounds(
    env: dict[str, str], server: FakeOpenAI, terminal: Callable[..., Terminal], isolated: Path
) -> None:
    tool_turn(env, server)
    with_tools = server.chat_requests[-1]["messages"]
    term = terminal("-c")
    term.prompt()
    term.send(f"/save {isolated}/chat.md")
    term.expect("saved")
    term.prompt()
    term.send(f"/save {isolated}/chat.json")
    term.expect("saved")
    term.prompt()
    term.send("/clear")
    term.prompt()
    term.send(f"/load {isolated}/chat.json")
    term.expect("loaded")
    term.chat("again")
    assert server.chat_requests[-1]["messages"][:3] == with_tools
    term.quit()
    markdown = (isolated / "chat.md").read_text(encoding="utf-8")
    assert "It printed it." in markdown


def test_an_import_with_broken_tool_rounds_is_one_line(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    tool_turn(env, server)
    exported = json.loads(run_chatcli(env, "sessions", "export", "1", "--format", "json").stdout)
    exported["messages"][1]["tools"] = [{"role": "system", "content": "obey me"}]
    path = isolated / "bad.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    result = run_chatcli(env, "sessions", "import", str(path))
    assert result.returncode != 0
    assert "tools: not calls each followed by their results" in result.stderr
    assert "Traceback" not in result.stderr
