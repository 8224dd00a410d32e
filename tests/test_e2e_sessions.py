"""Conversations that last, tried as a user would: the installed chatcli in a PTY (and in
pipes), the loopback server, and the real database file in the isolated data directory."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CHATCLI, KEY, Terminal, run_chatcli
from tests.conftest import run_chatcli as chatcli
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]


def db_path(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db"


def rows(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(db_path(env))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def contents(request: dict[str, object]) -> list[object]:
    return [m["content"] for m in request["messages"]]  # type: ignore[attr-defined, index]


def test_chat_quit_continue_and_the_conversation_is_there(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal("-m", "deepseek-chat", "-s", "你是一个诗人。", "--temperature", "0.2")
    term.chat("你好，我是羚伊", "写一首关于秋天的诗")
    term.quit()

    term = terminal("-c")
    term.expect("resumed #1")
    term.expect("你好，我是羚伊")  # the recap of the last turns
    term.expect("Echo: 写一首关于秋天的诗")
    term.chat("我叫什么？")
    term.quit()
    last = server.chat_requests[-1]
    assert last["model"] == "deepseek-chat"
    assert last["temperature"] == 0.2
    assert contents(last) == [
        "你是一个诗人。",
        "你好，我是羚伊",
        "Echo: 你好，我是羚伊",
        "写一首关于秋天的诗",
        "Echo: 写一首关于秋天的诗",
        "我叫什么？",
    ]

    # flags on the command line win over what the conversation stored
    term = terminal("--session", "1", "--temperature", "0.9", "-m", "qwen-plus")
    term.expect("resumed #1")
    term.chat("再来")
    term.quit()
    last = server.chat_requests[-1]
    assert (last["model"], last["temperature"]) == ("qwen-plus", 0.9)
    assert contents(last)[0] == "你是一个诗人。" and len(contents(last)) == 8


def test_kill_9_mid_reply_loses_no_finished_turn(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("first", "second")
    server.expect(Behaviour(reply="slow " * 300, hold=Gate(after=3)))  # never released
    term.prompt()
    term.send("third, never finished")
    term.expect("slow slow slow")
    term.child.kill(signal.SIGKILL)
    term.child.expect(pexpect.EOF)
    assert not term.child.isalive()

    stored = rows(env, "SELECT role, content FROM messages ORDER BY position")
    assert stored == [
        ("user", "first"),
        ("assistant", "Echo: first"),
        ("user", "second"),
        ("assistant", "Echo: second"),
    ]
    term = terminal("-c")
    screen = term.expect("resumed #1.*2 turns")
    term.chat("after the crash")
    assert "slow" not in screen + term.transcript()
    assert contents(server.chat_requests[-1]) == [
        "first",
        "Echo: first",
        "second",
        "Echo: second",
        "after the crash",
    ]


def test_interrupted_reply_is_stored_flagged(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    gate = Gate(after=3)
    server.expect(Behaviour(reply="tick " * 300, hold=gate))
    term = terminal()
    term.prompt()
    term.send("count")
    term.expect("tick tick tick")
    term.child.sendintr()
    term.expect("interrupted")
    gate.open()
    term.quit()
    ((content, interrupted),) = rows(
        env, "SELECT content, interrupted FROM messages WHERE role = 'assistant'"
    )
    assert interrupted == 1 and str(content).startswith("tick tick")
    term = terminal("-c")
    term.expect("tick tick")
    term.expect("interrupted")


def test_private_stores_nothing(terminal: Start, server: FakeOpenAI, env: dict[str, str]) -> None:
    term = terminal("--private")
    term.chat("a secret")
    term.quit()
    assert not db_path(env).exists()
    assert chatcli(env, "--private", "one-shot secret").returncode == 0
    assert not db_path(env).exists()

    assert chatcli(env, "kept").returncode == 0
    term = terminal("--private", "-c")  # resuming reads the store, and still writes nothing
    term.expect("resumed #1")
    term.chat("not kept")
    term.quit()
    assert contents(server.chat_requests[-1]) == ["kept", "Echo: kept", "not kept"]
    assert rows(env, "SELECT count(*) FROM messages") == [(2,)]


def test_the_api_key_never_reaches_the_disk(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal("--api-key", KEY + "-flag", "-s", "SYSTEM-MARKER")
    term.chat("USER-MARKER")
    term.quit()
    files = list(db_path(env).parent.iterdir())
    data = b"".join(f.read_bytes() for f in files)
    assert (
        b"USER-MARKER" in data and b"SYSTEM-MARKER" in data
    )  # the search looks in the right place
    assert KEY.encode() not in data
    export = chatcli(env, "sessions", "export", "1", "--format", "json").stdout
    assert "USER-MARKER" in export and KEY not in export


def test_one_shot_saves_and_continues(server: FakeOpenAI, env: dict[str, str]) -> None:
    first = chatcli(env, "什么是量子纠缠？")
    assert (first.returncode, first.stdout) == (0, "Echo: 什么是量子纠缠？\n")
    second = chatcli(env, "-c", "用一句话")
    assert (second.returncode, second.stdout) == (0, "Echo: 用一句话\n")  # no recap on stdout
    assert contents(server.chat_requests[-1]) == [
        "什么是量子纠缠？",
        "Echo: 什么是量子纠缠？",
        "用一句话",
    ]
    piped = chatcli(env, "--session", "1", "-", stdin="from stdin")
    assert piped.returncode == 0
    assert rows(env, "SELECT count(*) FROM messages WHERE conversation_id = 1") == [(6,)]
    missing = chatcli(env, "--session", "42", "hello")
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith(
        "no conversation 42 (see /sessions or chatcli sessions list)"
    )
    fresh = chatcli(env, "-c", "hi")  # --continue with a store: fine; without: starts anew
    assert fresh.returncode == 0


def test_continue_with_nothing_saved_starts_a_new_conversation(env: dict[str, str]) -> None:
    result = chatcli(env, "-c", "hello")
    assert result.returncode == 0
    assert "no earlier conversation to continue" in result.stderr
    assert result.stdout == "Echo: hello\n"


def test_repl_commands_list_search_resume_title_delete(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    assert chatcli(env, "推荐一家北京烤鸭店").returncode == 0
    assert chatcli(env, "How do Kubernetes pods restart?").returncode == 0
    term = terminal()
    term.prompt()
    term.send("/sessions 烤鸭")
    term.expect(r"#1 .*1 turn .*推荐一家北京烤鸭店")
    term.prompt()
    term.send("/sessions kubernetes")
    screen = term.expect(r"#2 .*How do Kubernetes")
    assert "烤鸭" not in screen.split("/sessions kubernetes")[-1]
    term.prompt()
    term.send("/resume 1")
    term.expect("resumed #1")
    term.chat("要排队吗")
    term.prompt()
    term.send("/title 周末吃什么")
    term.expect("conversation #1 is titled “周末吃什么”")
    term.prompt()
    term.send("/delete 2")
    term.expect(r"delete conversation #2 .*\[y/N\]")
    term.send("n")
    term.expect("not deleted")
    term.prompt()
    term.send("/delete 2")
    term.expect(r"\[y/N\]")
    term.send("y")
    term.expect("deleted conversation #2")
    term.prompt()
    term.send("/resume 2")
    term.expect("no conversation 2")
    term.prompt()
    term.send("/resume two")
    term.expect("ID is a conversation number")
    term.prompt()
    term.send("/new")
    term.expect("new conversation started")
    term.chat("fresh start")
    term.quit()
    assert contents(server.chat_requests[-1]) == ["fresh start"]
    assert rows(env, "SELECT id, title FROM conversations ORDER BY id") == [
        (1, "周末吃什么"),
        (3, "fresh start"),
    ]
    assert rows(env, "SELECT count(*) FROM messages WHERE conversation_id = 1") == [(4,)]


def test_undo_and_retry_are_mirrored_in_the_store(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("one", "two")
    term.prompt()
    term.send("/undo")
    term.expect("dropped the last question and reply")
    term.chat("three")
    term.quit()
    stored = [r[0] for r in rows(env, "SELECT content FROM messages ORDER BY position")]
    assert stored == ["one", "Echo: one", "two", "Echo: two", "three", "Echo: three"]
    shown = run_chatcli(env, "sessions", "show", "1").stdout
    assert "three" in shown and "two" not in shown  # the active branch


def test_clear_starts_a_new_conversation_and_keeps_the_old(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal()
    term.chat("same question")
    term.prompt()
    term.send("/clear")
    term.expect("history cleared")
    term.chat("same question")
    term.quit()
    assert rows(env, "SELECT conversation_id, count(*) FROM messages GROUP BY 1") == [
        (1, 2),
        (2, 2),
    ]


def test_a_damaged_database_warns_and_chatcli_still_chats(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    path = db_path(env)
    path.parent.mkdir(parents=True)
    garbage = b"definitely not SQLite " * 100
    path.write_bytes(garbage)
    term = terminal()
    term.expect(r"conversations will not be saved \(history off\).*not a SQLite database")
    term.chat("still works")
    term.prompt()
    term.send("/sessions")
    term.expect("history is off")
    term.quit()
    assert path.read_bytes() == garbage  # nothing overwritten
    result = chatcli(env, "one-shot too")
    assert (result.returncode, result.stdout) == (0, "Echo: one-shot too\n")
    assert "history off" in result.stderr
    listing = chatcli(env, "sessions", "list")
    assert listing.returncode == 1 and "not a SQLite database" in listing.stderr


def test_a_locked_database_warns_and_chatcli_still_chats(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    path = db_path(env)
    path.parent.mkdir(parents=True)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("CREATE TABLE other_program (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        term = terminal()
        term.expect(r"history off.*locked")
        term.chat("works anyway")
        term.quit()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_long_chat_says_what_it_left_out(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal("--context-tokens", "400")
    words = " ".join(["padding"] * 40)
    for i in range(8):
        term.prompt()
        term.send(f"q{i} {words}")
        term.expect(f"Echo: q{i}")
        term.expect(r"context ≈\d+/400")
    assert "left out to fit the context window)" in term.transcript()
    sent = contents(server.chat_requests[-1])
    assert sent[-1] == f"q7 {words}"
    assert f"q0 {words}" not in sent
    assert len(sent) % 2 == 1  # whole turns only
    term.quit()
    assert rows(env, "SELECT count(*) FROM messages") == [(16,)]  # the store keeps everything


def test_context_overflow_from_the_server_is_retried_once(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.chat("one", "two", "three")
    server.expect(
        Behaviour(
            status=400,
            error={"message": "maximum context length exceeded", "code": "context_length_exceeded"},
        )
    )
    term.prompt()
    term.send("four")
    term.expect("retrying once with [1-9]+ earlier turns left out")
    term.expect("Echo: four")
    assert len(contents(server.chat_requests[-1])) < 7


def test_sessions_subcommand_list_show_export_import_delete(
    server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    assert chatcli(env, "-s", "简短", "今天天气怎么样").returncode == 0
    assert chatcli(env, "-c", "明天呢").returncode == 0
    listing = chatcli(env, "sessions")
    assert listing.returncode == 0
    assert (
        "#1" in listing.stdout
        and "2 turns" in listing.stdout
        and "今天天气怎么样" in listing.stdout
    )
    assert "今天天气" in chatcli(env, "sessions", "list", "明天").stdout
    shown = chatcli(env, "sessions", "show", "1").stdout
    assert "### User\n\n明天呢" in shown and "### System\n\n简短" in shown

    for form in ("md", "json"):
        out = tmp_path / f"one.{form}"
        assert (
            chatcli(env, "sessions", "export", "1", "--format", form, "-o", str(out)).returncode
            == 0
        )
        assert out.stat().st_mode & 0o777 == 0o600
        imported = chatcli(env, "sessions", "import", str(out))
        assert imported.returncode == 0, imported.stderr
        assert "2 turns" in imported.stderr
    data = json.loads(chatcli(env, "sessions", "export", "1", "--format", "json").stdout)
    assert [m["content"] for m in data["messages"]] == [
        "今天天气怎么样",
        "Echo: 今天天气怎么样",
        "明天呢",
        "Echo: 明天呢",
    ]
    for copy in (2, 3):
        again = json.loads(chatcli(env, "sessions", "export", str(copy), "--format", "json").stdout)
        assert [m["content"] for m in again["messages"]] == [m["content"] for m in data["messages"]]
        assert again["system"] == "简短"

    refused = chatcli(env, "sessions", "delete", "2")  # stdin is not a terminal: needs --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert chatcli(env, "sessions", "delete", "2", "--yes").returncode == 0
    assert chatcli(env, "sessions", "show", "2").returncode == 2
    bad = chatcli(env, "sessions", "export", "x")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    (tmp_path / "junk.json").write_text("{not json")
    junk = chatcli(env, "sessions", "import", str(tmp_path / "junk.json"))
    assert junk.returncode == 2 and "cannot be imported" in junk.stderr


def test_two_chatcli_processes_at_once_lose_nothing(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    """A chatcli session holds the database open, one turn saved, while two more chatcli
    processes each save four one-shot conversations, and it goes on after them."""
    session = terminal()
    session.chat("session 1")
    script = 'for i in 1 2 3 4; do "$0" "$1 $i" > /dev/null || exit 1; done'
    writers = [
        subprocess.Popen(["sh", "-c", script, CHATCLI, name], env=env) for name in ("left", "right")
    ]
    session.chat("session 2")
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    session.chat("session 3")
    session.quit()
    titles = sorted(str(r[0]) for r in rows(env, "SELECT title FROM conversations"))
    one_shots = [f"{name} {i}" for name in ("left", "right") for i in range(1, 5)]
    assert titles == sorted(["session 1", *one_shots])
    assert rows(env, "SELECT count(*) FROM messages") == [(16 + 6,)]


@pytest.mark.parametrize("flag", ["--context-tokens=0", "--context-tokens=lots"])
def test_bad_context_tokens_is_one_line_exit_2(env: dict[str, str], flag: str) -> None:
    result = chatcli(env, flag, "hi")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--context-tokens" in result.stderr
