"""The slash-command registry and handlers, with a recording UI instead of a terminal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from chatcli.conversation.bot import ChatBot, Content
from chatcli.terminal.commands import REGISTRY, Context, ExitRequested, dispatch, split
from chatcli.terminal.prompt import unfence
from tests.fake_server import FakeOpenAI

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.sent: list[Content] = []
        self.copied: list[str] = []
        self.multiline = False
        self.edited: str | None = "from the editor\n"
        self.models: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    def error(self, text: str) -> None:
        self.errors.append(text)

    def send(self, content: Content) -> None:
        self.sent.append(content)

    def copy(self, text: str) -> None:
        self.copied.append(text)

    def toggle_multiline(self) -> bool:
        self.multiline = not self.multiline
        return self.multiline

    def confirm(self, question: str) -> bool:
        return True

    def edit(self, initial: str) -> str | None:
        return self.edited

    def remember_models(self, names: list[str]) -> None:
        self.models = names


@pytest.fixture
def bot(server: FakeOpenAI) -> ChatBot:
    return ChatBot(api_key="k", base_url=server.base_url, max_retries=0, system="S")


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(bot: ChatBot, rec: Recorder) -> Context:
    return Context(bot=bot, out=rec, ui=rec, exit_command="退出")


def test_split() -> None:
    assert split("/model  gpt-4o ") == ("model", "gpt-4o")
    assert split("/HELP") == ("help", "")


def test_every_command_has_help_in_both_languages() -> None:
    for cmd in REGISTRY.values():
        assert cmd.usage.startswith("/" + cmd.name)
        assert cmd.help_zh and cmd.help_en


def test_help_lists_everything_and_explains_one(ctx: Context, rec: Recorder) -> None:
    dispatch(ctx, "/help")
    for name in ("set", "undo", "retry", "copy", "save", "load", "image", "pick", "multiline"):
        assert f"/{name}" in rec.lines[-1]
    dispatch(ctx, "/help copy")
    assert rec.lines[-1].startswith("/copy [N]")
    dispatch(ctx, "/help nope")
    assert rec.errors[-1] == "unknown command /nope"


def test_unknown_command_suggests_nearest(ctx: Context, rec: Recorder) -> None:
    dispatch(ctx, "/udno")
    assert rec.errors == ["unknown command /udno — did you mean /undo?"]


def test_set_validates_like_the_flags(ctx: Context, rec: Recorder, bot: ChatBot) -> None:
    dispatch(ctx, "/set temperature 0.2")
    assert bot.params.temperature == 0.2
    dispatch(ctx, "/set temperature 5")
    assert rec.errors[-1] == "temperature: 5 is out of range (allowed: 0 to 2)"
    assert bot.params.temperature == 0.2
    dispatch(ctx, "/set top-p abc")
    assert rec.errors[-1].startswith("top_p: 'abc' is not a number")
    dispatch(ctx, "/set stop END '. '")
    assert bot.params.stop == ["END", ". "]
    dispatch(ctx, "/set logit_bias 50256=-100")
    assert bot.params.logit_bias == {"50256": -100}
    dispatch(ctx, "/set json on")
    assert bot.params.json_mode is True
    dispatch(ctx, "/set temprature 1")
    assert rec.errors[-1] == "no parameter temprature — did you mean temperature?"
    dispatch(ctx, "/unset temperature")
    assert bot.params.temperature is None
    dispatch(ctx, "/set")
    assert "  temperature = (not set)" in "\n".join(rec.lines[-2:]).split("\n")


def test_undo_and_retry(ctx: Context, rec: Recorder, bot: ChatBot) -> None:
    dispatch(ctx, "/undo")
    assert rec.errors[-1] == "nothing to undo"
    bot("one")
    bot("two")
    dispatch(ctx, "/retry")
    assert rec.sent == ["two"]
    assert [m["content"] for m in bot.history] == ["one", "Echo: one"]
    dispatch(ctx, "/undo")
    assert bot.history == []
    ctx.failed = "failed message"
    dispatch(ctx, "/retry")
    assert rec.sent[-1] == "failed message"


def test_copy_reply_and_code_block(
    ctx: Context, rec: Recorder, bot: ChatBot, server: FakeOpenAI
) -> None:
    from tests.fake_server import Behaviour

    server.expect(
        Behaviour(reply="Two blocks:\n\n```python\na = 1\n```\n\n```sh\nls -la\necho\n```\n")
    )
    bot("code please")
    dispatch(ctx, "/copy 2")
    assert rec.copied == ["ls -la\necho"]
    assert rec.lines[-1] == "copied code block 2 (2 lines)"
    dispatch(ctx, "/copy")
    assert rec.copied[-1].startswith("Two blocks:")
    dispatch(ctx, "/copy 3")
    assert rec.errors[-1] == "no code block 3 (the last reply has 2)"


def test_save_markdown_and_json_then_load(
    ctx: Context, rec: Recorder, bot: ChatBot, tmp_path: Path
) -> None:
    bot("你好")
    dispatch(ctx, "/set temperature 0.3")
    dispatch(ctx, f"/save {tmp_path / 'chat.md'}")
    md = (tmp_path / "chat.md").read_text()
    assert (
        "### User\n\n你好" in md and "### Assistant\n\nEcho: 你好" in md and "### System\n\nS" in md
    )
    dispatch(ctx, f"/save {tmp_path / 'chat.json'}")
    assert stat.S_IMODE((tmp_path / "chat.json").stat().st_mode) == 0o600
    saved = json.loads((tmp_path / "chat.json").read_text())
    assert saved["messages"][0]["content"] == "你好"
    dispatch(ctx, "/clear")
    dispatch(ctx, "/unset temperature")
    dispatch(ctx, "/system other")
    dispatch(ctx, f"/load {tmp_path / 'chat.json'}")
    assert rec.lines[-1].startswith("loaded 1 turn from")
    assert bot.system == "S" and bot.params.temperature == 0.3
    assert [m["content"] for m in bot.history] == ["你好", "Echo: 你好"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "neither JSON nor Markdown"),
        ("{not json", "not JSON (line 1"),
        ('{"x": 1}', "not a chatcli conversation"),
        ('{"messages": [{"role": "user", "content": null}]}', "message 1: content"),
        ('{"messages": [{"role": "user", "content": "a"}]}', "must alternate"),
        ('{"messages": [], "params": {}}', "it holds no messages"),
        (
            '{"messages": [{"role": "user", "content": "a"},'
            ' {"role": "assistant", "content": "b"}], "params": {"temperature": 9}}',
            "temperature",
        ),
    ],
)
def test_load_refuses_bad_files_and_changes_nothing(
    ctx: Context, rec: Recorder, bot: ChatBot, tmp_path: Path, content: str, message: str
) -> None:
    bot("keep me")
    path = tmp_path / "bad.json"
    path.write_text(content)
    dispatch(ctx, f"/load {path}")
    assert message in rec.errors[-1]
    assert bot.history[0]["content"] == "keep me"
    dispatch(ctx, f"/load {tmp_path / 'missing.json'}")
    assert "No such file" in rec.errors[-1]


def test_image_from_file_and_url(ctx: Context, rec: Recorder, tmp_path: Path) -> None:
    (tmp_path / "pic.png").write_bytes(PNG)
    dispatch(ctx, f"/image {tmp_path / 'pic.png'} 这是什么？")
    parts = rec.sent[-1]
    assert isinstance(parts, list)
    assert parts[0] == {"type": "text", "text": "这是什么？"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    dispatch(ctx, "/image https://example.com/cat.jpg")
    assert rec.sent[-1][1]["image_url"]["url"] == "https://example.com/cat.jpg"  # type: ignore[index]


def test_image_errors(ctx: Context, rec: Recorder, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    dispatch(ctx, f"/image {tmp_path / 'notes.txt'}")
    assert rec.errors[-1].endswith("not a PNG, JPEG, GIF or WebP image")
    dispatch(ctx, f"/image {tmp_path / 'nope.png'}")
    assert "No such file" in rec.errors[-1]
    dispatch(ctx, f"/image {tmp_path}")
    assert rec.errors[-1].endswith("is a directory")
    assert rec.sent == []


def test_pick_choice(ctx: Context, rec: Recorder, bot: ChatBot) -> None:
    dispatch(ctx, "/set n 3")
    bot("pick")
    dispatch(ctx, "/pick 2")
    assert bot.history[-1]["content"] == "[2] Echo: pick"
    dispatch(ctx, "/pick 4")
    assert rec.errors[-1] == "the last reply has choices 1 to 3"


def test_edit_sends_editor_text(ctx: Context, rec: Recorder) -> None:
    dispatch(ctx, "/edit")
    assert rec.sent == ["from the editor"]
    rec.edited = "  \n"
    dispatch(ctx, "/edit")
    assert rec.sent == ["from the editor"]


def test_multiline_toggle_and_exit(ctx: Context, rec: Recorder) -> None:
    dispatch(ctx, "/multiline")
    assert rec.multiline and "Alt-Enter" in rec.lines[-1]
    with pytest.raises(ExitRequested):
        dispatch(ctx, "/exit")


def test_models_are_cached_for_completion(ctx: Context, rec: Recorder) -> None:
    dispatch(ctx, "/models")
    assert "qwen-plus" in rec.models


def test_usage_totals(ctx: Context, rec: Recorder, bot: ChatBot) -> None:
    bot("a")
    bot("b c")
    dispatch(ctx, "/usage")
    assert rec.lines[-1].startswith("total:")


def test_unfence() -> None:
    assert unfence('"""\nline one\nline two\n"""') == "line one\nline two"
    assert unfence("plain") == "plain"


def test_copy_after_load_uses_the_history(
    ctx: Context, rec: Recorder, bot: ChatBot, tmp_path: Path
) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": "loaded answer"},
                ]
            }
        )
    )
    dispatch(ctx, f"/load {path}")
    dispatch(ctx, "/copy")
    assert rec.copied == ["loaded answer"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/model two words", "/model NAME: two words"),
        ("/set temperature", "usage: /set PARAM VALUE (/set alone lists them)"),
        ("/set stop 'unclosed", "/set: No closing quotation"),
        ("/unset", "/unset PARAM"),
        ("/retry", "nothing to retry"),
        ("/copy", "no reply to copy yet"),
        ("/load", "/load PATH"),
        ("/load /nonexistent/talk.json", "/nonexistent/talk.json: No such file or directory"),
        ("/image", "/image PATH|URL [QUESTION]"),
        ("/image 'unclosed", "/image: No closing quotation"),
        ("/pick first", "/pick K"),
        ("/pick 9", "no reply yet"),
    ],
)
def test_a_misused_command_is_one_error_line_and_changes_nothing(
    ctx: Context, rec: Recorder, bot: ChatBot, line: str, error: str
) -> None:
    params, model = bot.params.model_dump(), bot.model
    dispatch(ctx, line)
    assert rec.errors == [error]
    assert rec.lines == [] and rec.sent == [] and rec.copied == []
    assert bot.history == [] and bot.params.model_dump() == params and bot.model == model
