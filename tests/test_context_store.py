"""What a message carried, in the store, as a user meets it: each attachment's source, size and
hash beside the text the model saw; `/history`, the resume recap and `chatcli sessions show`
show one line per attachment instead of its text; resume (-c), JSON export and import keep the
records; one-shot -f records them too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
APP = "def add(a, b):\n    return a - b\n"
UTIL = "def half(x):\n    return x / 2\n"
LINE = r"📎 src/ \(2 files, {size} B, sha256:[0-9a-f]{{8}}…\)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(APP)
    (tmp_path / "src" / "util.py").write_text(UTIL)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def export(env: dict[str, str], conversation: int) -> dict[str, Any]:
    result = run_chatcli(env, "sessions", "export", str(conversation), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_history_resume_show_export_and_import_keep_one_line_per_attachment(
    project: Path, server: FakeOpenAI, env: dict[str, str], terminal: Start
) -> None:
    size = len(APP) + len(UTIL)
    server.expect(Behaviour(reply="看过了"))
    term = terminal()
    term.prompt()
    term.send("/file src/")
    term.expect(r"\+ src/ \(2 files")
    term.prompt()
    term.send("/run echo 构建通过")
    term.expect(r"\+ \$ echo 构建通过")
    term.prompt()
    term.send("审查")
    term.expect("看过了")
    term.prompt()
    term.send("/history")
    term.expect("user: " + LINE.format(size=size))
    listed = term.expect("assistant: 看过了")
    assert "📎 $ echo 构建通过 (13 B, sha256:" in listed and "\n审查" in listed.replace("\r", "")
    assert "def add" not in listed and "```" not in listed
    sent = server.chat_requests[-1]["messages"][-1]["content"]
    assert APP.strip() in sent and sent.endswith("[exit status 0]\n\n审查")  # the model saw it
    term.quit()

    resumed = terminal("-c")
    resumed.expect("  " + LINE.format(size=size))  # the recap
    resumed.expect(r"you: 审查")
    resumed.prompt()
    resumed.send("/history")
    resumed.expect("user: " + LINE.format(size=size))
    resumed.expect(r"📎 \$ echo 构建通过 \(13 B")
    resumed.quit()

    show = run_chatcli(env, "sessions", "show", "1")
    assert show.returncode == 0, show.stderr
    assert "### User\n\n📎 src/ (2 files," in show.stdout and "\n\n审查\n" in show.stdout
    assert "def add" not in show.stdout

    data = export(env, 1)
    question = data["messages"][0]
    assert question["content"] == sent  # the export keeps what the model saw
    folder, command = question["attachments"]
    assert (folder["source"], folder["files"], folder["size"]) == ("src/", 2, size)
    assert (command["source"], command["size"]) == ("$ echo 构建通过", 13)
    piece = sent[: folder["chars"]]
    assert piece.startswith("src/app.py\n```python\n") and piece.endswith(UTIL.strip() + "\n```")
    assert hashlib.sha256(piece.encode()).hexdigest() == folder["sha256"]

    file = project / "one.json"
    file.write_text(json.dumps(data, ensure_ascii=False))
    assert run_chatcli(env, "sessions", "import", str(file)).returncode == 0
    assert export(env, 2)["messages"][0]["attachments"] == question["attachments"]
    again = run_chatcli(env, "sessions", "show", "2").stdout
    assert "📎 $ echo 构建通过 (13 B" in again and "def add" not in again


def test_one_shot_f_records_what_it_sent(
    project: Path, server: FakeOpenAI, env: dict[str, str]
) -> None:
    server.expect(Behaviour(reply="好"))
    result = run_chatcli(env, "-f", "src/app.py", "修复它", cwd=project)
    assert result.returncode == 0, result.stderr
    show = run_chatcli(env, "sessions", "show", "1").stdout
    assert f"📎 src/app.py ({len(APP)} B, sha256:" in show and "\n\n修复它\n" in show
    assert "def add" not in show
