"""Finishing the Chinese (issue 23): the words still English under a zh locale (MCP states,
the built-ins' label, "bytes", the toolbar's mode, /history's speakers, `sessions show`'s
headings and its machine line, the starter files, Python reprs in /set), `--init-role`'s
template, `/tree` at any width, Tab after `/file`, and the awkward lines (ranges of none or
one, a space before full-width punctuation, numbers written two ways, a silent export, a
waiting line that does not say what it waits for).

The static half reads the string table; the rest runs the real commands against the loopback
server, most of them in the installed chatcli, in a real terminal or a pipe.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from rich.cells import cell_len

from chatcli import i18n
from chatcli.conversation.bot import ChatBot, Content
from chatcli.i18n import STRINGS, t
from chatcli.local.server import LocalRun
from chatcli.store.records import Conversation, StoredMessage
from chatcli.terminal import consent
from chatcli.terminal.commands import Context, dispatch, value_text
from chatcli.terminal.exchange import waiting_for
from chatcli.terminal.prompt import ChatCompleter, InputState
from chatcli.terminal.repl import toolbar_text
from chatcli.terminal.tree_view import draw
from chatcli.tools.config import McpServerConfig
from chatcli.tools.mcp_client import McpServer
from chatcli.tools.runner import BUILTIN, server_label
from tests.conftest import CHATCLI, KEY, SCREEN_COLS, SCREEN_ROWS, Terminal, make_bot, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]
ROOT = Path(__file__).resolve().parent.parent
FULL_WIDTH = "（）「」『』【】《》，。；：！？、“”"
ZH = ["--lang", "zh"]


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


class Screen:
    """The commands' output and UI, kept as lines."""

    def __init__(self, bot: ChatBot) -> None:
        self.bot = bot
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    error = info
    thought = info

    def send(self, content: Content) -> None:
        self.bot(content)

    def go_on(self) -> None:
        pass

    def copy(self, text: str) -> None:
        pass

    def toggle_multiline(self) -> bool:
        return True

    def confirm(self, question: str) -> bool:
        return True

    def edit(self, initial: str) -> str | None:
        return initial

    def remember_models(self, names: list[str]) -> None:
        pass


def context(server: FakeOpenAI) -> tuple[Context, Screen]:
    bot = make_bot(server)
    screen = Screen(bot)
    return Context(bot=bot, out=screen, ui=screen, exit_command="退出"), screen


# --- the string table ----------------------------------------------------------------------


def test_no_half_width_space_touches_full_width_punctuation() -> None:
    """`模型  （上下文…）`: Chinese punctuation carries its own space."""
    found = [
        f"{key}: {zh!r}"
        for key, (zh, _) in STRINGS.items()
        if re.search(f"[ \t][{FULL_WIDTH}]|[{FULL_WIDTH}] ", zh)
    ]
    assert found == []


RANGES = [key for key, (zh, _) in STRINGS.items() if "1 到 {n}" in zh]


@pytest.mark.parametrize("key", RANGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_range_of_none_or_one_is_said_another_way(key: str, lang: str) -> None:
    """Never "N 从 1 到 0" or "选项是 1 到 1": no choice, or one, is said as such."""
    assert RANGES, "the pattern found no range"
    i18n.set_language(lang)
    try:
        for n in (0, 1):
            text = t(key, n=n)
            assert f"1 到 {n}" not in text and f"1 to {n}" not in text, (key, text)
    finally:
        i18n.set_language("en")


def test_two_lines_joined_have_no_space_before_chinese_punctuation(chinese: None) -> None:
    assert (
        i18n.follow(t("undone"), t("branch_kept"))
        == "已撤销上一轮问答（原来的内容留在另一个分支上：/tree 查看）"
    )
    i18n.set_language("en")
    assert i18n.follow(t("undone"), t("branch_kept")).startswith(
        "dropped the last question and reply ("
    )


# --- words that were English -----------------------------------------------------------------


def test_tool_words_come_from_the_table(chinese: None) -> None:
    assert consent.size_text(122) == "122 字节"
    assert server_label(BUILTIN) == "内置"
    server = McpServer("time", McpServerConfig(command="true"))
    assert server.describe() == "未启动"
    server.state = "starting"
    assert server.describe() == "启动中"
    server.state, server.reason = "failed", "boom"
    assert server.describe() == "失败：boom"
    i18n.set_language("en")
    assert consent.size_text(122) == "122 bytes" and consent.size_text(1) == "1 byte"
    assert server_label(BUILTIN) == "built-in" and server.describe() == "failed: boom"


def test_set_shows_the_users_words_not_python(chinese: None, server: FakeOpenAI) -> None:
    assert [value_text(v) for v in (False, True, "summary", ["END"], None)] == [
        "否",
        "是",
        "summary",
        '["END"]',
        "未设置",
    ]
    ctx, screen = context(server)
    dispatch(ctx, "/set")
    shown = "\n".join(screen.lines)
    assert "json_mode = 否" in shown and "reasoning = summary" in shown
    assert "False" not in shown and "'summary'" not in shown
    dispatch(ctx, "/set json_mode 是")  # the word /set shows is one it takes
    assert screen.lines[-1] == "json_mode = 是" and ctx.bot.params.json_mode is True


def test_toolbar_in_chinese_and_numbers_written_one_way(chinese: None, server: FakeOpenAI) -> None:
    ctx, _ = context(server)
    ctx.bot.context_tokens = 128000
    ctx.bot("你好")
    ctx.bot.params.json_mode = True
    state = InputState()
    state.multiline = True
    bar = toolbar_text(ctx.bot, state)
    assert "多行" in bar and "multi-line" not in bar
    assert "json_mode=是" in bar and "/128,000" in bar


def test_history_names_the_speakers_in_chinese(chinese: None, server: FakeOpenAI) -> None:
    ctx, screen = context(server)
    ctx.bot.set_system("简短")
    ctx.bot("你好")
    dispatch(ctx, "/history")
    assert screen.lines == ["  系统：简短", "1 用户：你好", "  助手：Echo: 你好"]


# --- /tree at any width ----------------------------------------------------------------------


def branched() -> Conversation:
    question = StoredMessage("user", "请用三句话解释量子纠缠，并举一个生活中的例子" * 2, id=1)
    return Conversation(
        id=1,
        title="t",
        model="deepseek-chat",
        messages=(
            question,
            StoredMessage("assistant", "量子纠缠是两个粒子之间的一种关联" * 5, id=2, parent=1),
        ),
        branches=(StoredMessage("assistant", "另一种说法：" + "很长的回答" * 20, id=3, parent=1),),
    )


@pytest.mark.parametrize("width", [12, 20, 30, 41, 80])
def test_tree_lines_fit_the_width_in_cells(width: int) -> None:
    lines = draw(branched(), width)
    assert all(cell_len(line) <= width for line in lines[1:]), lines
    assert any("[1]" in line for line in lines) or width < 30
    assert any(line.endswith("…") or line.endswith("]") for line in lines[1:])


def test_tree_speaks_with_a_chinese_colon(chinese: None) -> None:
    lines = draw(branched(), 60)
    assert lines[1].startswith("* 你：请用三句话") and all(": " not in line for line in lines)


# --- Tab after /file -------------------------------------------------------------------------


def test_tab_completes_paths_after_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "notes\x1b[31m.md").write_text("x")
    monkeypatch.chdir(tmp_path)
    completer = ChatCompleter(InputState())

    def complete(text: str) -> list[tuple[str, str]]:
        found = completer.get_completions(Document(text), CompleteEvent(completion_requested=True))
        return [(c.text, c.display_text) for c in found]

    assert ("c/", "src/") in complete("/file sr")  # a folder with its slash: Tab goes on in
    assert ("c/", "src/") in complete("/file README.md sr")  # the last word of several
    shown = [display for _, display in complete("/file no")]
    assert shown and all("\x1b" not in display for display in shown)


def test_tab_after_file_in_the_terminal(terminal: Start, tmp_path: Path) -> None:
    (Path.cwd() / "说明文档.md").write_text("内容", encoding="utf-8")
    term = terminal()
    term.prompt()
    term.child.send("/file 说明\t")
    term.expect("说明文档.md")
    term.child.send("\r")
    term.expect("说明文档.md，≈|说明文档.md, ≈")
    term.quit()


# --- the installed chatcli -------------------------------------------------------------------


def command_call(command: str) -> Behaviour:
    arguments = json.dumps({"command": command})
    return Behaviour(
        reply="", tool_calls=[{"id": "c1", "name": "run_command", "arguments": arguments}]
    )


def test_tools_in_chinese_in_the_terminal(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(command_call("echo 你好"))
    term = terminal(*ZH, "--tools", "shell,read", "--yes-tool", "read_file")
    term.prompt()
    term.send("打个招呼")
    term.expect("模型想调用 内置 · run_command")
    term.expect(r"运行吗？")
    term.expect(r"\[y\]是 / \[n\]否")  # drawn once the question takes answers
    term.send("y")
    term.expect(r"⚙ run_command → \d+ 字节，")
    term.expect("Echo: 你好")
    term.prompt()
    term.send("/tools")
    listing = term.expect(r"内置 · read_file\s+开（无需询问）")
    assert "built-in" not in listing and "bytes" not in term.transcript()
    term.quit()


def test_mcp_states_in_chinese(terminal: Start, isolated: Path) -> None:
    config = isolated / "mcp.json"
    config.write_text(json.dumps({"mcpServers": {"坏": {"command": "/nonexistent/server"}}}))
    term = terminal(*ZH, "--mcp-config", str(config))
    term.prompt()
    term.send("/tools")
    state = term.expect(r"MCP 服务器 坏：(启动中|失败)")
    assert "starting" not in state and "failed" not in state
    term.quit()


def waiting(term: Terminal, pattern: str) -> None:
    term.until_screen(pattern, r"\d 秒")


def test_waiting_line_says_what_it_waits_for(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=0)  # the headers came: the model has the request
    server.expect(Behaviour(reply="到了。", hold=gate))
    term = terminal(*ZH)
    term.prompt()
    term.send("在吗？")
    waiting(term, r"… 等待模型开始回答 \d+ 秒")
    gate.open()
    term.expect("到了。")
    server.expect(Behaviour(header_trickle=True))  # no answer from the server yet
    term.prompt()
    term.send("还在吗？")
    waiting(term, r"… 等待服务器响应 \d+ 秒")
    term.child.sendintr()
    term.expect("已中断")
    term.quit()


def test_the_offline_model_is_named_while_it_is_waited_for(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    turn = bot.stream_turn("你好")
    assert waiting_for(bot, turn) == "waiting_server"
    turn.receiving = True
    assert waiting_for(bot, turn) == "waiting_model"
    bot.local = LocalRun(ctx=4096, bundled=True)
    assert waiting_for(bot, turn) == "waiting_local"


def stored(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="你好，我在。"))
    assert run_chatcli(env, "--system", "简短", "在吗").returncode == 0


def test_sessions_show_on_a_terminal_speaks_chinese(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    stored(env, server)
    child = pexpect.spawn(
        CHATCLI,
        [*ZH, "sessions", "show", "1"],
        env=env,
        encoding="utf-8",
        dimensions=(SCREEN_ROWS, SCREEN_COLS),
        timeout=15,
    )
    child.expect(pexpect.EOF)
    shown = str(child.before)
    assert "用户" in shown and "助手" in shown and "系统提示" in shown
    assert "User" not in shown and "Assistant" not in shown and "<!-- chatcli" not in shown
    piped = run_chatcli(env, *ZH, "sessions", "show", "1").stdout  # a file keeps its format
    assert "### User" in piped and "### Assistant" in piped and "<!-- chatcli {" in piped


def test_export_to_a_file_says_where(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path
) -> None:
    stored(env, server)
    out = tmp_path / "对话.md"
    result = run_chatcli(env, *ZH, "sessions", "export", "1", "-o", str(out))
    assert result.returncode == 0 and out.is_file()
    assert result.stderr == f"已把对话 #1 写入 {out}\n"
    english = run_chatcli(env, "sessions", "export", "1", "--format", "json", "-o", str(out))
    assert english.stderr == f"wrote conversation #1 to {out}\n"


@pytest.mark.parametrize(
    ("lang", "said"), [("zh", "# chatcli 的配置文件"), ("en", "# chatcli configuration")]
)
def test_init_config_speaks_the_language(
    env: dict[str, str], isolated: Path, lang: str, said: str
) -> None:
    result = run_chatcli(env, "--lang", lang, "--init-config")
    assert result.returncode == 0, result.stderr
    text = (isolated / ".config" / "chatcli" / "config.toml").read_text(encoding="utf-8")
    assert text.startswith(said)
    tomllib.loads(text)  # all comments: a valid, empty file


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_init_role_writes_a_role_not_a_template(
    env: dict[str, str], server: FakeOpenAI, isolated: Path, lang: str
) -> None:
    """The starter explains {{input}} without becoming an input template: used as written,
    the user's message goes as the user's message, under the starter's system prompt."""
    made = run_chatcli(env, "--lang", lang, "--init-role", "助手")
    assert made.returncode == 0, made.stderr
    text = (isolated / ".config" / "chatcli" / "roles" / "助手.md").read_text(encoding="utf-8")
    assert "{{input}}" in text  # explained…
    used = run_chatcli(env, "--lang", lang, "--role", "助手", "今天星期几？")
    assert used.returncode == 0, used.stderr
    sent = server.chat_requests[-1]
    system, user = sent["messages"]
    assert user == {"role": "user", "content": "今天星期几？"}  # …and not a template
    assert system["role"] == "system" and "{{input}}" not in system["content"]
    assert "#" not in system["content"] and sent["temperature"] == 0.7


def test_a_copied_env_example_sends_no_placeholder_key(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path
) -> None:
    work = tmp_path / "copy"
    work.mkdir()
    shutil.copy(ROOT / ".env.example", work / ".env")
    bare = {k: v for k, v in env.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    result = run_chatcli(bare, "--base-url", server.base_url, "--no-mcp", "你好", cwd=work)
    sent = [r.headers.get("authorization", "") for r in server.requests]
    assert not any("your-key-here" in header for header in sent), sent
    assert KEY not in result.stdout + result.stderr
