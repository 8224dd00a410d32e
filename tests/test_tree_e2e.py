"""A conversation is a tree, tried as a user would: the installed chatcli in a PTY against the
loopback server, /edit N (in the editor and inline), /retry, /tree, /branch K, /history, then a
new run's -c, search and exports read back through `chatcli sessions`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI
from tests.test_tools_store import tool_turn

Start = Callable[..., Terminal]


def sent(server: FakeOpenAI) -> list[str]:
    return [m["content"] for m in server.chat_requests[-1]["messages"]]


def command(term: Terminal, line: str, answer: str) -> str:
    term.prompt()
    term.send(line)
    return term.expect(answer)


def test_edits_and_a_retry_branch_and_every_branch_comes_back(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"  # the question as it was, rewritten
    editor.write_text('#!/bin/sh\nprintf "%s in French\\n" "$(cat "$1")" > "$1"\n')
    editor.chmod(0o755)
    term = terminal(extra_env={"EDITOR": str(editor)})
    term.chat("tell me a joke", "another one", "a third")
    command(term, "/edit 2", r"what was there stays on a branch: /tree shows it")
    term.expect("Echo: another one in French")
    assert sent(server) == ["tell me a joke", "Echo: tell me a joke", "another one in French"]
    command(term, "/edit 1 about dogs", "Echo: about dogs")
    assert sent(server) == ["about dogs"]
    server.expect(Behaviour(reply="a better dog joke"))
    command(term, "/retry", "a better dog joke")
    assert sent(server) == ["about dogs"]
    history = command(term, "/history", "assistant: a better dog joke")
    assert "1 user: about dogs" in history and "French" not in history
    drawn = command(term, "/tree", r"a better dog joke  \[4\]")
    assert "4 branches; * marks the active one" in drawn
    lines = drawn.replace("\r", "")
    assert "* └ you: about dogs\n    ├ gpt-4o: Echo: about dogs  [3]\n*   └ gpt-4o:" in lines
    assert "another one in French" in lines and "a third  [1]" in lines
    command(term, "/branch 1", r"switched to branch 1 \(3 turns\)")
    term.chat("and then?")
    assert sent(server)[-3:] == ["a third", "Echo: a third", "and then?"]
    term.quit()

    assert run_chatcli(env, "-c", "last").returncode == 0  # the active branch goes on
    assert sent(server)[:3] == ["tell me a joke", "Echo: tell me a joke", "another one"]
    assert sent(server)[-3:] == ["and then?", "Echo: and then?", "last"]
    found = run_chatcli(env, "sessions", "list", "French").stdout
    assert "another one in French (on branch 2: /resume, then /branch 2)" in found
    shown = run_chatcli(env, "sessions", "show", "1").stdout
    assert "and then?" in shown and "French" not in shown and "dogs" not in shown
    exported = json.loads(run_chatcli(env, "sessions", "export", "1", "--format", "json").stdout)
    assert {m["content"] for m in exported["branches"]} >= {
        "another one in French",
        "about dogs",
        "Echo: about dogs",
        "a better dog joke",
    }


def test_tool_rounds_stay_with_their_answer_across_branches(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    tool_turn(env, server)
    with_tools = server.chat_requests[-1]["messages"]
    term = terminal("-c")
    command(term, "/edit 1 never mind", "Echo: never mind")
    assert sent(server) == ["never mind"]
    command(term, "/tree", r"\[2\]")
    command(term, "/branch 1", "switched to branch 1")
    term.chat("go on")
    assert server.chat_requests[-1]["messages"][:3] == with_tools
    term.quit()
    again = terminal("-c")
    again.expect("2 branches: /tree shows them")
    command(again, "/sessions never", r"never mind \(on branch 2: /branch 2\)")
    again.quit()


def test_tree_commands_refuse_bad_input_in_one_line(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    command(term, "/tree", r"\(no messages yet\)")
    command(term, "/edit 1 hello", r"there is no question 1 \(/history numbers them; 0 so far\)")
    term.chat("only")
    command(term, "/branch 2", r"usage: /branch K; this conversation has one branch \(1\)")
    command(term, "/branch two", r"usage: /branch K")
    command(term, "/edit 3", r"there is no question 3")
    term.quit()
    assert "Traceback" not in term.transcript()
    private = terminal("--private", "--lang", "zh")
    private.chat("秘密")
    command(private, "/edit 1 公开", r"历史记录已关闭：原来的分支不会保留")
    private.expect("Echo: 公开")
    command(private, "/tree", r"历史记录已关闭")
    private.quit()


def test_pick_branches_and_a_json_save_carries_the_tree_to_load(
    terminal: Start, server: FakeOpenAI, tmp_path: Path
) -> None:
    term = terminal("-n", "2")
    term.chat("pick")
    command(term, "/pick 2", "choice 2 is now the reply")
    command(term, "/tree", r"\[2\]")
    command(term, f"/save {tmp_path / 'tree.json'}", "saved")
    saved = json.loads((tmp_path / "tree.json").read_text(encoding="utf-8"))
    assert [m["content"] for m in saved["messages"]] == ["pick", "[2] Echo: pick"]
    assert [m["content"] for m in saved["branches"]] == ["Echo: pick"]
    command(term, f"/load {tmp_path / 'tree.json'}", "as a new conversation, #2")
    drawn = command(term, "/tree", r"\[2\] Echo: pick  \[2\]").replace("\r", "")
    assert "2 branches" in drawn and "├ gpt-4o: Echo: pick  [1]" in drawn
    command(term, "/branch 1", r"switched to branch 1 \(1 turn\)")
    term.quit()
