"""The bundled model behaves: a bounded reply and a repetition penalty it is started with, a
cut-off notice that names the limit that ended the reply, and one hint, in a session, that it
knows English only.

The notices are read off the real presenter talking to the loopback server, with the bot told
what chatcli chose for its llama.cpp child (as cli._run_local tells it); one test runs the real
bundled model.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import ChatBot
from chatcli.local import server as local
from chatcli.terminal.exchange import Presenter
from tests.conftest import clean_environ, make_bot
from tests.fake_server import Behaviour, FakeOpenAI
from tests.test_local_model import PROMPT, Start, ready

LONG = "tell me one two three four five six seven eight nine ten"


@pytest.fixture
def env(isolated: Path, reaper: dict[str, str]) -> dict[str, str]:
    """Overrides conftest's: no key and no base URL, so chatcli runs the bundled model."""
    return {**clean_environ(isolated), **reaper}


def shown(bot: ChatBot, *messages: str) -> str:
    screen = io.StringIO()
    console = Console(file=screen, width=400, color_system=None)
    presenter = Presenter(console, console)
    for message in messages:
        presenter.run(bot, message)
    return screen.getvalue()


def bundled(ctx: int = 4096, default_max_tokens: int | None = 3) -> local.LocalRun:
    return local.LocalRun(ctx=ctx, bundled=True, default_max_tokens=default_max_tokens)


def test_the_bundled_models_own_limit_is_named(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(max_tokens=3))
    bot.local = bundled()
    out = shown(bot, LONG)
    assert "chatcli's reply limit for the bundled model (3 tokens)" in out
    assert "--max-tokens or /set max_tokens" in out


def test_the_users_max_tokens_is_named(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(max_tokens=3))
    bot.local = bundled(default_max_tokens=None)
    assert "the token limit you set (--max-tokens 3)" in shown(bot, LONG)


def test_the_local_context_window_is_named(server: FakeOpenAI) -> None:
    """Cut short of any reply limit: the server ran out of context."""
    server.expect(Behaviour(reply="a short reply", finish_reason="length"))
    bot = make_bot(server, params=GenerationParams(max_tokens=512))
    bot.local = bundled(ctx=2048, default_max_tokens=512)
    out = shown(bot, "hello")
    assert "the local server's context window (--local-ctx 2048)" in out
    assert "max_tokens" not in out


def test_an_online_cut_blames_no_flag_the_user_never_set(server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="a short reply", finish_reason="length"))
    out = shown(make_bot(server), "hello")
    assert "the server's token limit" in out
    assert "--max-tokens" not in out


def test_chinese_to_the_bundled_model_gets_one_hint(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    bot.local = bundled()
    out = shown(bot, "hello", "中国的首都是哪里？", "上海呢？")
    assert out.count("knows English only: a question in Chinese") == 1
    assert "chatcli models pull qwen2.5-0.5b" in out
    assert "Qwen2.5-0.5B-Instruct" in out


@pytest.mark.parametrize("run", [None, local.LocalRun(ctx=4096, bundled=False)])
def test_no_hint_for_other_models(server: FakeOpenAI, run: local.LocalRun | None) -> None:
    bot = make_bot(server)
    bot.local = run
    assert "English only" not in shown(bot, "中国的首都是哪里？")


def test_the_repetition_penalty_reaches_the_server(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(repeat_penalty=1.3))
    bot("hello")
    bot.params.repeat_penalty = None
    bot("again")
    first, second = server.chat_requests
    assert first["repeat_penalty"] == 1.3
    assert "repeat_penalty" not in second


@pytest.mark.local_model
def test_the_bundled_model_starts_bounded_and_says_english_only(terminal: Start) -> None:
    term = terminal()
    term.expect("SmolLM2-135M-Instruct, English only")
    ready(term)
    term.send("/set")
    term.expect(r"max_tokens = 512")
    term.expect(r"repeat_penalty = 1\.2")
    term.expect(PROMPT)
    term.send("/set max_tokens 4")
    term.expect(PROMPT)
    term.send("中国的首都是哪里？")
    term.expect("knows English only")
    term.expect(r"the token limit you set \(--max-tokens 4\)")
