"""Chinese first: what chatcli builds for the user (flag and setting errors, file, image and
/pick errors, argparse's own words, --help) comes from the string table, in both languages.

The static half reads the source: no user-facing message is spelled out in English where it
is raised, and every key the code looks up indirectly (through a table) exists. The other half
runs the installed chatcli in Chinese and reads what it says.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from chatcli import cli, errors, images, install
from chatcli.config import settings
from chatcli.config.settings import GenerationParams
from chatcli.i18n import _ERRNO_KEYS, ARGPARSE_KEYS, STRINGS
from tests.conftest import Terminal, run_chatcli
from tests.fake_server import FakeOpenAI

SOURCE = Path(__file__).parent.parent / "src" / "chatcli"
# The modules whose messages the first-hour issue named, and the ones they raise through.
TRANSLATED = [
    "config/settings",
    "errors",
    "terminal/commands",
    "cli",
    "images",
    "config/providers",
    "conversation/bot",
    "install",
    # stored conversations, their files and `chatcli sessions` (the audit of issue 13)
    "store/records",
    "store/transcript",
    "store/database",
    "terminal/sessions",
    "terminal/attach_commands",
    "terminal/repl",
    "config/roles",
    "conversation/wire",
    "terminal/role_commands",
]
# Calls whose arguments reach the user as a whole line (a parser's help and description too).
SPEAKERS = {
    "_fail",
    "_say",
    "CommandError",
    "ConfigError",
    "ValueError",
    "ChatcliError",
    "StoreError",
    "Malformed",
    "RoleError",
    "err",
    "error",
}
# Calls whose help, description and epilog reach the user (`chatcli … --help`).
PARSERS = {"add_parser", "add_argument", "add_argument_group", "Parser", "_Parser"}
SPOKEN_KEYWORDS = {"help", "description", "epilog"}


def _literal_text(node: ast.expr) -> bool:
    """English spelled out: a string constant or an f-string holding words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(part, ast.Constant) and any(c.isalpha() for c in str(part.value))
            for part in node.values
        )
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    return False


@pytest.mark.parametrize("module", TRANSLATED)
def test_no_message_is_spelled_out_in_english(module: str) -> None:
    tree = ast.parse((SOURCE / f"{module}.py").read_text())
    spelled = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        said = [*node.args] if name in SPEAKERS else []
        if name in PARSERS:
            said = [k.value for k in node.keywords if k.arg in SPOKEN_KEYWORDS]
        if any(_literal_text(arg) for arg in said):
            spelled.append(f"{module}.py:{node.lineno}: {ast.unparse(node)[:80]}")
    assert spelled == []


def test_keys_looked_up_through_tables_exist() -> None:
    tables = [
        settings._REASONS.values(),
        _ERRNO_KEYS.values(),
        install.ANNOUNCE.values(),
        ARGPARSE_KEYS,
    ]
    missing = {key for table in tables for key in table if key not in STRINGS}
    assert missing == set()


def test_argparse_words_are_argparses_own() -> None:
    """The English side of each argparse key is the message id argparse really uses."""
    text = Path(cli.argparse.__file__).read_text()
    for key in ARGPARSE_KEYS:
        english = STRINGS[key][1]
        assert f"_('{english}')" in text or f'_("{english}")' in text, key


def test_every_chinese_string_is_chinese() -> None:
    """A Chinese side with English words and no Chinese was never translated (a layout of
    placeholders, `[providers.NAME]` and punctuation is fine; "tokens" is the word in both)."""
    untranslated = []
    for key, (zh, _) in STRINGS.items():
        words = re.sub(r"\{[^}]*\}|\[[^]]*\]", "", zh).replace("tokens", "")
        if re.search("[A-Za-z]{3,}", words) and not re.search("[\u4e00-\u9fff]", zh):
            untranslated.append(key)
    assert untranslated == []


def test_values_errors_are_chinese() -> None:
    from chatcli import i18n

    i18n.set_language("zh")
    try:
        try:
            GenerationParams(temperature=5)
        except settings.ValidationError as exc:
            message = settings.describe_validation_error(exc, {"temperature"})
        assert message == "--temperature：5 超出范围（允许：0 到 2）"
        with pytest.raises(ValueError, match="不是 PNG、JPEG、GIF 或 WebP 图片"):
            images.image_url(__file__)
        with pytest.raises(ValueError, match="文件或目录不存在"):
            images.image_url("/nonexistent/cat.png")
        assert errors._duration(600) == "10 分钟"
    finally:
        i18n.set_language("en")


def test_a_chinese_run_says_its_flag_errors_in_chinese(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--lang", "zh", "--temperature", "5", "hi")
    assert result.returncode == 2
    assert result.stderr == "chatcli: --temperature：5 超出范围（允许：0 到 2）\n"
    result = run_chatcli(env, "--lang", "zh", "--temprature", "5")
    assert result.stderr == (
        "chatcli: 不认识的参数：--temprature（你是不是想输入 --temperature？）\n"
    )
    result = run_chatcli({**env, "CHATCLI_LANG": "zh"}, "--base-url", "ftp://x", "hi")
    assert "必须以 http:// 或 https:// 开头" in result.stderr


@pytest.mark.parametrize(
    "how", [{"LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, {"args": "--lang zh"}]
)
def test_help_is_chinese_under_a_chinese_locale(env: dict[str, str], how: dict[str, str]) -> None:
    args = how.pop("args", "").split()
    result = run_chatcli({**env, **how}, *args, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("用法：chatcli")
    for text in ("采样温度，0 到 2", "生成参数", "显示这条帮助并退出", "退出码：", "离线模型"):
        assert text in result.stdout, text
    assert "sampling temperature" not in result.stdout


def test_help_stays_english_elsewhere(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--help")
    assert result.stdout.startswith("usage: chatcli")
    assert "sampling temperature, 0 to 2" in result.stdout


def test_slash_command_errors_in_chinese(
    terminal: Callable[..., Terminal], server: FakeOpenAI, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    term = terminal("--lang", "zh")
    term.prompt()
    term.send(f"/image {tmp_path / 'nope.png'}")
    term.expect("文件或目录不存在")
    term.send(f"/image {notes}")
    term.expect("不是 PNG、JPEG、GIF 或 WebP 图片")
    term.send("/pick 2")
    term.expect("还没有回复")
    term.send("/set temperature 5")
    term.expect(r"temperature：5 超出范围（允许：0 到 2）")
    term.send("/load /nonexistent/talk.json")
    term.expect("/nonexistent/talk.json：文件或目录不存在")
    assert server.chat_requests == []
