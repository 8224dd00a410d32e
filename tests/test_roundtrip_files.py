"""Conversation files go back in, end to end: what `/save` and `chatcli sessions export` write
(and what the previous release's `/save` wrote), `/load` and `chatcli sessions import` read,
with each reply's reasoning; a bad file is one line and loses nothing."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal
from tests.conftest import run_chatcli as chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
THOUGHT = "先想想秋天的颜色。"
OLD_MD = """# chatcli conversation — gpt-4o

## You

秋天是什么颜色？

## Assistant

金色。
"""
OLD_JSON = {
    "chatcli_transcript": 1,
    "model": "gpt-4o",
    "system": None,
    "params": {},
    "messages": [
        {"role": "user", "content": "秋天是什么颜色？"},
        {"role": "assistant", "content": "金色。"},
    ],
}


def test_every_writer_is_read_by_every_reader_and_the_reasoning_survives(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    server.expect(Behaviour(reply="金色。", reasoning=THOUGHT))
    term = terminal("--reasoning", "hide")
    term.prompt()
    term.send("秋天是什么颜色？")
    term.expect("金色。")
    for name in ("saved.md", "saved.json"):
        term.prompt()
        term.send(f"/save {tmp_path / name}")
        term.expect("saved 1 turn to")
    term.quit()
    for form in ("md", "json"):
        out = tmp_path / f"exported.{form}"
        done = chatcli(env, "sessions", "export", "1", "--format", form, "-o", str(out))
        assert done.returncode == 0, done.stderr
    (tmp_path / "old.md").write_text(OLD_MD)
    (tmp_path / "old.json").write_text(json.dumps(OLD_JSON, ensure_ascii=False))
    with_reasoning = ["saved.md", "saved.json", "exported.md", "exported.json"]

    for name in [*with_reasoning, "old.md", "old.json"]:
        done = chatcli(env, "sessions", "import", str(tmp_path / name))
        assert done.returncode == 0, (name, done.stderr)
        new_id = re.search(r"imported as conversation #(\d+) \(1 turn\)", done.stderr)
        assert new_id, (name, done.stderr)
        again = chatcli(env, "sessions", "export", new_id.group(1)).stdout
        assert "### User\n\n秋天是什么颜色？\n" in again and "\n金色。\n" in again, name
        assert ("<details>" in again and THOUGHT in again) == (name in with_reasoning), name

    term = terminal()
    for number, name in enumerate([*with_reasoning, "old.md", "old.json"], start=8):
        term.prompt()
        term.send(f"/load {os.path.relpath(tmp_path / name)}")  # short: one line on screen
        term.expect(f"loaded 1 turn from .*{re.escape(name)} as a new conversation, #{number}")
    term.prompt()
    term.send("/load " + os.path.relpath(tmp_path / "saved.md"))
    term.expect("#14")
    term.prompt()
    term.send("/history")
    term.expect(f"reasoning, {len(THOUGHT)} chars")  # the loaded reply's reasoning came too
    term.quit()


def test_a_bad_file_is_one_line_and_loses_nothing(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    bad = {
        "notes.md": "just notes, no conversation\n",
        "half.md": "### User\n\nno reply\n",
        "broken.json": '{"messages": [',
        "empty.json": '{"chatcli_export": 1, "messages": []}',
        "binary.md": b"\xff\xfe\x00### User",
    }
    for name, content in bad.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    term = terminal()
    term.chat("keep me")
    for name in [*bad, "missing.md", "."]:
        term.prompt()
        term.send(f"/load {tmp_path / name}")
        term.expect(re.escape(str(tmp_path / name).rstrip(".")) + r".*: [^\r\n]+\r\n")
    term.chat("still here")
    term.quit()
    assert "Traceback" not in term.transcript()
    sent = [m["content"] for m in server.chat_requests[-1]["messages"]]
    assert sent == ["keep me", "Echo: keep me", "still here"]
    for name in [*bad, "missing.md"]:
        done = chatcli(env, "sessions", "import", str(tmp_path / name))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (name, done.stderr)
        assert "cannot be imported" in done.stderr and "Traceback" not in done.stderr
    assert chatcli(env, "sessions", "list").stdout.count("#") == 1  # nothing half-imported
