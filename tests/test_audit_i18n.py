"""Chinese wherever a stored conversation speaks: what the format readers (records,
transcript), the store (database) and `chatcli sessions` say about a file or a database, and
the quoting complaints of commands that split words, run in Chinese.

Each case runs the installed chatcli under `--lang zh` (or CHATCLI_LANG=zh) and reads the
whole line it prints, so an English reason inside a Chinese frame fails too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

PAIR = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
MARKDOWN = "# t\n\n{meta}\n\n### User\n\nq\n\n### Assistant\n\na\n"


def _export(**fields: Any) -> str:
    return json.dumps({"chatcli_export": 1, "messages": PAIR, **fields})


BAD_FILES = {
    "content-number": (
        _export(messages=[{"role": "user", "content": 5}, PAIR[1]]),
        "第 1 条消息：content：必须是文本，或由 text 和 image_url 部分组成的列表",
    ),
    "unknown-role": (
        _export(messages=[PAIR[0], {"role": "bot", "content": "a"}]),
        "第 2 条消息：role：'bot' 不是可选值之一（'user' 或 'assistant'）",
    ),
    "role-missing": (
        _export(messages=[{"content": "q"}, PAIR[1]]),
        "第 1 条消息：role：缺少这一项",
    ),
    "no-reply": (
        _export(messages=[PAIR[0]]),
        "messages：必须是用户、助手交替出现（第 1 条消息没有回复）",
    ),
    "two-users": (
        _export(messages=[PAIR[0], PAIR[0]]),
        "messages：必须是用户、助手交替出现（第 2 条消息是 user）",
    ),
    "params-number": (_export(params=5), "params：5 不是 JSON 对象（{…}）"),
    "system-number": (_export(system=5), "system：5 不是文本"),
    "created-word": (_export(created="soon"), "created：'soon' 不是数字"),
    "created-far": (
        _export(created=1e300),
        "created：必须是以秒计的时间，在 1970 年到 9999 年之间",
    ),
    "tokens-negative": (
        _export(messages=[PAIR[0], {**PAIR[1], "tokens": -1}]),
        "第 2 条消息：tokens：-1 超出范围",
    ),
    "reasoning-of-a-question": (
        _export(messages=[{**PAIR[0], "reasoning": "hm"}, PAIR[1]]),
        "第 1 条消息：reasoning：只有助手消息才有思考内容",
    ),
    "tool-result-first": (
        _export(
            messages=[
                PAIR[0],
                {**PAIR[1], "tools": [{"role": "tool", "tool_call_id": "1", "content": "x"}]},
            ]
        ),
        "第 2 条消息：tools：tools：不是每次调用后紧跟它的结果",
    ),
    "messages-not-a-list": (_export(messages=5), "messages：5 不是列表（[…]）"),
    "broken-json": ('{"messages": [', "不是 JSON（第 1 行第 15 列）"),
    "nested-too-deeply": ('{"messages": ' + "[" * 100_000, "嵌套太深"),
    "no-messages": ("[1, 2]", "不是 chatcli 的对话（没有 'messages'）"),
    "plain-notes": (
        "just notes\n",
        "既不是 JSON，也不是带有 '### User' 或 '### Assistant' 段落的 Markdown",
    ),
    "meta-line-a-list": (
        MARKDOWN.format(meta="<!-- chatcli [1] -->"),
        "<!-- chatcli … --> 这一行不是 JSON 对象",
    ),
    "meta-line-bad-time": (
        MARKDOWN.format(meta='<!-- chatcli {"updated": "soon"} -->'),
        "updated：'soon' 不是数字",
    ),
}


def _one_line(result: Any) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


@pytest.mark.parametrize(("text", "reason"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_import_says_why_in_chinese(env: dict[str, str], text: str, reason: str) -> None:
    path = Path.cwd() / "talk.json"
    path.write_text(text, encoding="utf-8")
    result = run_chatcli({**env, "CHATCLI_LANG": "zh"}, "sessions", "import", str(path))
    assert _one_line(result) == f"chatcli: {path} 无法导入：{reason}"


def test_english_stays_english(env: dict[str, str]) -> None:
    path = Path.cwd() / "talk.json"
    path.write_text(BAD_FILES["unknown-role"][0], encoding="utf-8")
    result = run_chatcli(env, "sessions", "import", str(path))
    assert _one_line(result) == (
        f"chatcli: {path} cannot be imported: "
        "message 2: role: 'bot' is not one of the choices ('user' or 'assistant')"
    )


def test_lang_before_sessions_is_the_subcommand_in_chinese(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    """`chatcli --lang zh sessions import F` imports (it was sent to the model as a prompt)."""
    path = Path.cwd() / "talk.json"
    path.write_text(BAD_FILES["content-number"][0], encoding="utf-8")
    for lang in (["--lang", "zh"], ["--lang=zh"]):
        result = run_chatcli(env, *lang, "sessions", "import", str(path))
        assert _one_line(result) == f"chatcli: {path} 无法导入：{BAD_FILES['content-number'][1]}"
    assert server.chat_requests == []


def test_sessions_help_and_usage_errors_in_chinese(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--lang", "zh", "sessions", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("用法：chatcli sessions")
    for text in ("保存的对话。不带命令：列出最近的对话。", "把一段对话写成 Markdown 或 JSON"):
        assert text in result.stdout
    result = run_chatcli(env, "--lang", "zh", "sessions", "frob")
    assert _one_line(result).startswith("chatcli sessions: 参数 action：无效的选项：'frob'")
    result = run_chatcli(env, "--lang", "zh", "sessions", "show", "one")
    assert _one_line(result) == "chatcli sessions show: 参数 id：无效的 int 值：'one'"


@pytest.fixture
def database(env: dict[str, str], tmp_path: Path) -> Path:
    """CHATCLI_HOME's database, holding conversation 1 (imported by chatcli itself)."""
    home = tmp_path / "data"
    env["CHATCLI_HOME"] = str(home)
    path = Path.cwd() / "good.json"
    path.write_text(_export(), encoding="utf-8")
    assert run_chatcli(env, "sessions", "import", str(path)).returncode == 0
    return home / "conversations.db"


def _change(database: Path, statement: str) -> None:
    with sqlite3.connect(database) as db:
        db.execute(statement)
    db.close()


def test_a_damaged_conversation_is_named_in_chinese(env: dict[str, str], database: Path) -> None:
    _change(database, "UPDATE messages SET role = 'bot' WHERE position = 1")
    result = run_chatcli({**env, "CHATCLI_LANG": "zh"}, "sessions", "show", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"chatcli: {database}: 对话 1 已损坏：role：'bot' 不是可选值之一（'user' 或 'assistant'）\n"
    )


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("schema", "由更新版本的 chatcli 写入（schema 999）；请升级 chatcli"),
        ("garbage", "不是 SQLite 数据库（已损坏或是别的文件）；把它移走即可重新开始"),
    ],
    ids=["newer-schema", "not-sqlite"],
)
def test_an_unusable_database_says_why_in_chinese(
    env: dict[str, str], database: Path, damage: str, reason: str
) -> None:
    if damage == "schema":
        _change(database, "PRAGMA user_version = 999")
    else:
        for extra in database.parent.glob("conversations.db-*"):
            extra.unlink()
        database.write_bytes(b"this is no database" * 100)
    for action in (["list"], ["import", "good.json"]):
        result = run_chatcli({**env, "CHATCLI_LANG": "zh"}, "sessions", *action)
        assert result.returncode == 1, result.stderr
        assert result.stderr == f"chatcli: {database}: {reason}\n"


def test_an_export_that_cannot_be_written_in_chinese(env: dict[str, str], database: Path) -> None:
    target = Path.cwd() / "missing" / "talk.md"
    result = run_chatcli(
        {**env, "CHATCLI_LANG": "zh"}, "sessions", "export", "1", "-o", str(target)
    )
    assert _one_line(result) == f"chatcli: {target}: 文件或目录不存在"


def test_repl_file_and_quote_errors_in_chinese(
    terminal: Callable[..., Terminal], server: FakeOpenAI, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(BAD_FILES["unknown-role"][0], encoding="utf-8")
    term = terminal("--lang", "zh", extra_env={"EDITOR": "vi 'unclosed"})
    term.prompt()
    term.send(f"/load {bad}")
    term.expect(f"{bad}：第 2 条消息：role：'bot' 不是可选值之一")
    term.send("/set stop 'END")
    term.expect("/set：引号没有闭合")
    term.send("/file 'notes.txt")
    term.expect("/file：引号没有闭合")
    term.send("/edit")
    term.expect(r"\$EDITOR \(vi 'unclosed\)：引号没有闭合")
    term.send("/image 'cat.png")
    term.expect("/image：引号没有闭合")
    term.chat("still here")
    assert len(server.chat_requests) == 1
    term.quit()


@pytest.mark.parametrize(
    ("editor", "reason"),
    [("false", "以退出码 1 结束"), ("no-such-editor", "文件或目录不存在")],
    ids=["exits-1", "missing"],
)
def test_an_editor_that_fails_is_one_chinese_line(
    terminal: Callable[..., Terminal], server: FakeOpenAI, editor: str, reason: str
) -> None:
    term = terminal("--lang", "zh", extra_env={"EDITOR": editor})
    term.prompt()
    term.send("/edit")
    term.expect(rf"编辑器 \$EDITOR（{editor}）出错：{reason}")
    term.chat("still here")
    assert len(server.chat_requests) == 1
    term.quit()


def _chunk(**choice: Any) -> str:
    return json.dumps({"choices": [{"index": 0, **choice}]})


HOSTILE_REPLIES = {
    "chunk-a-list": (["[1, 2]"], "应为 JSON 对象，收到的是 含 2 项的列表"),
    "choices-a-string": (['{"choices": "x"}'], 'choices 是 字符串（"x"）'),
    "delta-a-number": ([_chunk(delta=5)], "delta 是 数字（5）"),
    "content-a-boolean": ([_chunk(delta={"content": True})], "content 是 布尔值（true）"),
    "index-past-n": (
        [_chunk(index=7, delta={"content": "x"})],
        "选项序号 7 不是 0 到 0 之间的整数",
    ),
    "tool-call-a-list": (
        [_chunk(delta={"tool_calls": [[]]})],
        "有一个工具调用是 含 0 项的列表",
    ),
    "not-json": (["{oops"], "不是 JSON：{oops"),
}


@pytest.mark.parametrize(("events", "reason"), HOSTILE_REPLIES.values(), ids=HOSTILE_REPLIES.keys())
def test_a_malformed_reply_is_named_in_chinese(
    env: dict[str, str], server: FakeOpenAI, events: list[str], reason: str
) -> None:
    server.expect(Behaviour(raw_events=events))
    result = run_chatcli(env, "--lang", "zh", "--max-retries", "0", "hi")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"错误：服务器返回了无法解析的数据：{reason}\n"
