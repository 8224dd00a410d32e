"""/file, /drop and -f as a user meets them: the installed chatcli in a PTY and in pipes, against
the loopback server; what the screen says and what the server received."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "src" / "说明.md").write_text("# 计算器\n")
    (tmp_path / "src" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def last_user(server: FakeOpenAI) -> str:
    content = server.chat_requests[-1]["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


def test_a_staged_folder_goes_with_the_next_message_only(
    project: Path, server: FakeOpenAI, terminal: Start
) -> None:
    term = terminal()
    term.prompt()
    term.send("/file src/ nothing-here.txt")
    term.expect(r"\+ src/ \(2 files, ≈\d+ tokens\)")
    term.expect(r"left out: src/key\.pem \(looks secret\)")
    term.expect(r"nothing-here\.txt: No such file or directory")
    term.prompt()
    term.send("/file")
    term.expect(r"1\. src/ \(2 files")
    assert server.chat_requests == []  # staging sends nothing
    term.prompt()
    term.send("审查这段代码")
    term.expect(r"\+ src/ \(2 files, ≈\d+ tokens\) · context ≈\d+/128,000")
    term.expect("Echo: ")
    sent = last_user(server)
    assert sent.startswith("src/app.py\n```python\ndef add(a, b):")
    assert "src/说明.md\n```markdown\n# 计算器" in sent and sent.endswith("\n\n审查这段代码")
    assert "PRIVATE KEY" not in sent
    term.chat("再看一遍")
    assert last_user(server) == "再看一遍"  # the stage emptied when it was sent
    term.quit()


def test_drop_unstages_and_an_oversized_stage_is_refused_and_kept(
    project: Path, server: FakeOpenAI, terminal: Start
) -> None:
    (project / "big.txt").write_text("长" * 3000)
    term = terminal("--context-tokens", "2000")
    term.prompt()
    term.send("/file src/app.py big.txt")
    term.expect(r"\+ big\.txt, ≈3,0\d\d tokens")
    term.prompt()
    term.send("总结")
    term.expect("does not fit: context ≈")
    term.expect(r"largest:\s+big\.txt")
    assert server.chat_requests == []
    term.prompt()
    term.send("/drop 2")
    term.expect(r"- big\.txt")
    term.prompt()
    term.send("总结")
    term.expect("Echo: src/app.py")
    assert last_user(server).startswith("src/app.py\n") and "长" not in last_user(server)
    term.quit()


def test_one_shot_files_and_urls_go_before_the_prompt(
    project: Path, env: dict[str, str], server: FakeOpenAI
) -> None:
    base = server.base_url.removesuffix("/v1")
    server.pages["/spec"] = (200, {"Content-Type": "text/plain"}, "加法必须正确。".encode())
    result = run_chatcli(env, "-f", "src/app.py", "-f", base + "/spec", "修复它", cwd=project)
    assert result.returncode == 0, result.stderr
    sent = last_user(server)
    assert sent.index("def add") < sent.index("加法必须正确。") < sent.index("修复它")
    assert "+ src/app.py, ≈" in result.stderr and "context ≈" in result.stderr
    assert result.stdout.startswith("Echo: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "missing.txt", "x"], "chatcli: missing.txt: No such file or directory\n"),
        (["-f", "src/key.pem", "x"], "chatcli: src/key.pem was not added\n"),
        (["-f", "src"], "chatcli: nothing to send: give a prompt or pipe text on stdin\n"),
    ],
)
def test_one_shot_refuses_a_bad_file_before_anything_is_sent(
    project: Path, env: dict[str, str], server: FakeOpenAI, args: list[str], message: str
) -> None:
    result = run_chatcli(env, *args, cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    assert server.requests == []


def test_f_without_a_message_on_a_terminal_points_to_file(
    project: Path, server: FakeOpenAI, terminal: Start
) -> None:
    term = terminal("-f", "src")
    term.expect(r"-f goes with a message to send \(in the chat, use /file\)")
    term.child.expect(pexpect.EOF)
    term.child.close()
    assert term.child.exitstatus == 2 and server.requests == []
