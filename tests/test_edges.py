"""Edges the coverage report showed no test reached, tried through the installed chatcli:
config files that cannot be read or written, the interactive delete, a failing slash command,
conversations stored with damaged parameters."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import CHATCLI, Terminal, run_chatcli
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


@pytest.fixture
def config(isolated: Path) -> Path:
    """The default config path in the isolated home."""
    path = isolated / ".config" / "chatcli" / "config.toml"
    path.parent.mkdir(parents=True)
    return path


def test_config_that_is_not_utf8_names_its_line(
    env: dict[str, str], config: Path, server: FakeOpenAI
) -> None:
    config.write_bytes(b'model = "gpt-4o"\nsystem = "caf\xe9"\n')
    result = run_chatcli(env, "hi")
    assert result.returncode == 2
    assert result.stderr == f"chatcli: {config}:2: not valid UTF-8\n"
    assert server.requests == []


def test_config_that_cannot_be_read_is_one_line(env: dict[str, str], server: FakeOpenAI) -> None:
    """A regular file whose read fails, even for root (which file modes do not stop): a
    process's own memory at address 0."""
    path = "/proc/self/mem"
    result = run_chatcli({**env, "CHATCLI_CONFIG": path}, "hi")
    assert result.returncode == 2
    assert result.stderr.startswith(f"chatcli: {path}: cannot be read: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    "where",
    [
        lambda home: home / "blocker" / "chatcli" / "config.toml",  # a directory is a file
        lambda home: Path("/proc/chatcli-config.toml"),  # a file system that takes no files
    ],
    ids=["parent-is-a-file", "read-only-place"],
)
def test_init_config_where_nothing_can_be_written(
    env: dict[str, str], isolated: Path, where: Callable[[Path], Path]
) -> None:
    (isolated / "blocker").write_text("")
    path = where(isolated)
    result = run_chatcli({**env, "CHATCLI_CONFIG": str(path)}, "--init-config")
    assert result.returncode == 2
    assert result.stderr.startswith(f"chatcli: {path}: cannot be written: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (isolated / "blocker").read_text() == ""


def test_sessions_delete_asks_first_in_a_terminal(env: dict[str, str]) -> None:
    assert run_chatcli(env, "keep me").returncode == 0

    def delete(answer: str | None) -> str:
        """Answer the question with a line, or with Ctrl-D (None)."""
        child = pexpect.spawn(
            CHATCLI, ["sessions", "delete", "1"], env=env, encoding="utf-8", timeout=15
        )
        child.expect_exact("delete conversation #1 “keep me”?")
        child.expect_exact("[y/N]")  # once the question takes answers
        if answer is None:
            child.sendeof()
        else:
            child.sendline(answer)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        return str(child.before)

    assert "not deleted" in delete("")
    assert "not deleted" in delete("n")
    assert "not deleted" in delete(None)
    assert "keep me" in run_chatcli(env, "sessions", "list").stdout
    assert "deleted conversation #1" in delete("y")
    assert "keep me" not in run_chatcli(env, "sessions", "list").stdout


def test_a_failing_slash_command_is_one_line_and_the_chat_goes_on(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.chat("hi")
    server.api_key = "sk-another-key"  # from now on the server refuses chatcli's key
    term.prompt()
    term.send("/models")
    term.expect("the API key was rejected \\(401\\)")
    server.api_key = None
    term.chat("still here")
    term.quit()
    assert "Traceback" not in term.transcript()


@pytest.mark.parametrize("stored", ["{not json", "[1, 2]", "null"])
def test_damaged_stored_parameters_resume_with_the_defaults(
    env: dict[str, str], server: FakeOpenAI, stored: str
) -> None:
    assert run_chatcli(env, "--temperature", "0.3", "first").returncode == 0
    database = Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE conversations SET params = ?", (stored,))
    db.close()
    result = run_chatcli(env, "-c", "second")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: second\n"
    sent = server.chat_requests[-1]
    assert [m["content"] for m in sent["messages"]] == ["first", "Echo: first", "second"]
    assert "temperature" not in sent


def test_export_where_nothing_can_be_written_is_one_line(env: dict[str, str]) -> None:
    assert run_chatcli(env, "hi").returncode == 0
    result = run_chatcli(env, "sessions", "export", "1", "-o", "/proc/chatcli-export.md")
    assert result.returncode == 2
    assert result.stderr.startswith("chatcli: /proc/chatcli-export.md: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_picture_is_saved_and_exported_as_a_placeholder(
    terminal: Start, env: dict[str, str], tmp_path: Path
) -> None:
    """/save and `sessions export` name the pictures of a conversation, not paste their bytes."""
    picture = tmp_path / "pic.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 20)
    saved = tmp_path / "talk.md"
    term = terminal()
    term.prompt()
    term.send(f"/image {picture} what is it?")
    term.expect("Echo: what is it\\? \\[image\\]")
    term.prompt()
    term.send(f"/save {saved}")
    term.expect("saved")
    term.quit()
    exported = run_chatcli(env, "sessions", "export", "1").stdout
    for text in (saved.read_text(), exported):
        assert "what is it?\n" in text and "\n[image]\n" in text
        assert "base64" not in text


def test_an_editor_that_fails_is_one_line(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal(extra_env={"EDITOR": "false"})
    term.prompt()
    term.send("/edit")
    term.expect("\\$EDITOR \\(false\\): ")
    term.chat("after the editor")
    term.quit()
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == ["after the editor"]
