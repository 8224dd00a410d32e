"""A question in Chinese to the English-only bundled model gets the hint and a short attempt:
a reply limit of SHORT_ATTEMPT tokens and a stop at a run of blank lines for that turn (not
512 tokens of noise), and no /continue offer on it. English questions, and a reply limit the
user set, keep their limits.

The requests are read off the loopback server, the notices off the real presenter; the real
bundled model answers the last tests (marked `local_model`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import ChatBot
from chatcli.local import server as local
from chatcli.terminal.exchange import Presenter
from tests.conftest import clean_environ, make_bot, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI
from tests.test_local_model import PROMPT, Start, ready

QUESTION = "中国的首都是哪里？"
LIMIT = local.BUNDLED_MAX_TOKENS
# llama-cpp-python ends a reply at its limit only on a whole UTF-8 character: a Chinese one
# split over tokens takes up to 3 more (4 bytes at most, one token each).
SPLIT_CHARACTER = 3


@pytest.fixture
def env(isolated: Path) -> dict[str, str]:
    """Overrides conftest's: no key and no base URL, so chatcli runs the bundled model."""
    return clean_environ(isolated)


def bundled_bot(server: FakeOpenAI, *, default: int | None = LIMIT) -> ChatBot:
    """A bot as cli._run_local makes it for the bundled model (`default`: chatcli's limit)."""
    bot = make_bot(server, params=GenerationParams(max_tokens=LIMIT))
    bot.local = local.LocalRun(ctx=4096, bundled=True, default_max_tokens=default)
    return bot


def test_chinese_gets_a_short_attempt_and_english_the_normal_limit(server: FakeOpenAI) -> None:
    bot = bundled_bot(server)
    bot("What is the capital of France?")
    bot(QUESTION)
    bot("And of Italy?")
    english, chinese, again = server.chat_requests
    assert (english["max_tokens"], "stop" in english) == (LIMIT, False)
    assert chinese["max_tokens"] == local.SHORT_ATTEMPT < LIMIT
    assert chinese["stop"] == ["\n\n\n"]
    assert (again["max_tokens"], "stop" in again) == (LIMIT, False)


def test_a_limit_the_user_set_is_kept(server: FakeOpenAI) -> None:
    bot = bundled_bot(server, default=None)  # --max-tokens 512 on the command line
    bot(QUESTION)
    bot.local = local.LocalRun(ctx=4096, bundled=True, default_max_tokens=LIMIT)
    bot.params.max_tokens = 1000  # /set max_tokens 1000
    bot(QUESTION)
    assert [r["max_tokens"] for r in server.chat_requests] == [LIMIT, 1000]
    assert all("stop" not in r for r in server.chat_requests)


def test_a_users_stop_is_kept(server: FakeOpenAI) -> None:
    bot = bundled_bot(server)
    bot.params.stop = ["。"]
    bot(QUESTION)
    assert server.chat_requests[0]["stop"] == ["。"]


@pytest.mark.parametrize("run", [None, local.LocalRun(ctx=4096, bundled=False)])
def test_other_models_get_no_short_attempt(server: FakeOpenAI, run: local.LocalRun | None) -> None:
    bot = make_bot(server, params=GenerationParams(max_tokens=LIMIT))
    bot.local = run
    bot(QUESTION)
    assert server.chat_requests[0]["max_tokens"] == LIMIT


def test_a_cut_short_attempt_is_named_and_offers_no_continue(server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="中国是一个", finish_reason="length"))
    screen = io.StringIO()
    console = Console(file=screen, width=400, color_system=None)
    Presenter(console, console, offers_continue=True).run(bundled_bot(server), QUESTION)
    out = screen.getvalue()
    assert "chatcli models pull qwen2.5-0.5b" in out
    assert f"this question got a short attempt of {local.SHORT_ATTEMPT} tokens" in out
    assert "/continue" not in out
    assert "reply limit for the bundled model" not in out


# --- the real bundled model -------------------------------------------------------------


def one_shot(env: dict[str, str], question: str) -> dict[str, object]:
    result = run_chatcli(env, "--json-output", question, timeout=180)
    assert result.returncode == 0, result.stderr
    reply: dict[str, object] = json.loads(result.stdout)
    return reply


@pytest.mark.local_model
def test_the_bundled_model_answers_chinese_briefly(env: dict[str, str]) -> None:
    chinese = one_shot(env, QUESTION)
    usage = chinese["usage"]
    assert isinstance(usage, dict)
    assert usage["completion_tokens"] <= local.SHORT_ATTEMPT + SPLIT_CHARACTER
    english = one_shot(env, "Write a long story about a dragon who learns to fly.")
    usage = english["usage"]
    assert isinstance(usage, dict)
    assert usage["completion_tokens"] > local.SHORT_ATTEMPT + SPLIT_CHARACTER


@pytest.mark.local_model
def test_no_continue_offer_on_the_short_attempt_in_the_terminal(terminal: Start) -> None:
    term = terminal()
    ready(term)
    term.send(QUESTION)
    term.expect("knows English only")  # the hint (its words: the presenter's test above)
    term.expect(r"\d+ → (\d+) tokens")
    assert int(term.child.match[1]) <= local.SHORT_ATTEMPT + SPLIT_CHARACTER
    term.expect(PROMPT)
    assert "/continue" not in term.transcript()
