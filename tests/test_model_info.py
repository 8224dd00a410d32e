"""Context windows and thinking by model name (today's values), and the window the server
itself reports in /models, which wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chatcli.config.model_info import FALLBACK_CONTEXT, default_context_tokens, thinks
from chatcli.conversation.bot import ChatBot
from chatcli.conversation.wire import Malformed, ModelInfo, decode_model_infos, decode_models
from chatcli.terminal.commands import Context, dispatch
from tests.conftest import Terminal, make_bot
from tests.fake_server import FakeOpenAI
from tests.test_commands import Recorder

WINDOWS = {
    "gpt-5": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4o-mini": 128_000,
    "gpt-4-turbo": 128_000,
    "o1": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    "deepseek-chat": 128_000,
    "deepseek-reasoner": 128_000,
    "qwen3-max": 262_144,
    "qwen3-235b-a22b": 131_072,
    "Qwen/Qwen3-8B": 131_072,
    "qwq-32b": 131_072,
    "qwen-max": 32_768,
    "qwen-plus": 131_072,
    "qwen-turbo": 1_000_000,
    "qwen2.5-72b-instruct": 32_768,
    "glm-4.6": 200_000,
    "glm-4.5-air": 128_000,
    "glm-4-flash": 128_000,
    "kimi-k2-0711-preview": 131_072,
    "kimi-k2-0905-preview": 262_144,
    "kimi-k2-turbo-preview": 262_144,
    "kimi-k2-thinking": 262_144,
    "moonshot-v1-8k": 8192,
    "moonshot-v1-128k": 131_072,
    "doubao-seed-1-6-250615": 262_144,
    "doubao-1-5-pro-32k-250115": 32_768,
    "doubao-lite": 32_768,
    "claude-sonnet-4-5": 200_000,
    "gemini-2.5-flash": 1_048_576,
    "grok-4": 256_000,
    "MiniMax-M2": 204_800,
    "mistral-small-latest": 128_000,
    "llama-3.3-70b-versatile": 131_072,
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": 131_072,
    "some-local-model": FALLBACK_CONTEXT,
}


@pytest.mark.parametrize(("model", "window"), WINDOWS.items())
def test_todays_context_windows(model: str, window: int) -> None:
    assert default_context_tokens(model) == window


@pytest.mark.parametrize(
    "model",
    [
        "deepseek-reasoner",
        "deepseek-r1-distill-qwen-7b",
        "qwq-32b",
        "Qwen/Qwen3-8B",
        "o3-mini",
        "o1",
        "o4-mini",
        "gpt-5",
        "kimi-k2-thinking",
        "glm-4.5",
        "glm-4.6",
    ],
)
def test_thinking_models_are_known(model: str) -> None:
    assert thinks(model)


@pytest.mark.parametrize(
    "model",
    ["deepseek-chat", "gpt-4o", "qwen-plus", "qwen3-max", "gpt-5-chat-latest", "kimi-k2", "x"],
)
def test_other_models_are_not_taken_for_thinking_ones(model: str) -> None:
    assert not thinks(model)


@pytest.mark.parametrize(
    ("entry", "window"),
    [
        ({"id": "m", "max_model_len": 32768}, 32768),  # vLLM
        ({"id": "m", "context_length": 131072}, 131072),  # OpenRouter
        ({"id": "m", "context_window": "65536"}, 65536),  # a number sent as text
        ({"id": "m", "context_length": 0}, None),
        ({"id": "m", "context_length": -5}, None),
        ({"id": "m", "context_length": 10**15}, None),
        ({"id": "m", "context_length": "lots"}, None),
        ({"id": "m", "context_length": True}, None),
        ({"id": "m", "context_length": 1.5}, None),
        ({"id": "m"}, None),
    ],
)
def test_the_window_a_server_reports_is_read_when_plausible(
    entry: dict[str, Any], window: int | None
) -> None:
    assert decode_model_infos({"data": [entry]}) == [ModelInfo("m", window)]
    assert decode_models({"data": [entry]}) == ["m"]


def test_model_infos_keep_the_listing_rules() -> None:
    payload = {
        "data": [
            {"id": "b", "max_model_len": 4096},
            "junk",
            {"id": "  "},
            {"id": "a"},
            {"id": "b"},
        ]
    }
    assert decode_model_infos(payload) == [ModelInfo("a"), ModelInfo("b", 4096)]
    with pytest.raises(Malformed):
        decode_model_infos({"data": "nope"})


def served(server: FakeOpenAI, **fields: Any) -> None:
    server.models_payload = {
        "object": "list",
        "data": [{"id": "Qwen/Qwen3-8B", "object": "model", **fields}, {"id": "other"}],
    }


def test_slash_models_shows_the_reported_window_and_the_budget_follows_it(
    server: FakeOpenAI,
) -> None:
    """vLLM started with --max-model-len 16384: the name alone would promise 131,072."""
    served(server, max_model_len=16384)
    bot = make_bot(server, model="Qwen/Qwen3-8B")
    assert bot.context_window == 131_072
    rec = Recorder()
    dispatch(Context(bot=bot, out=rec, ui=rec, exit_command="退出"), "/models")
    assert rec.lines[-1] == "Qwen/Qwen3-8B  (context 16,384 tokens)\nother"
    assert rec.models == ["Qwen/Qwen3-8B", "other"]
    assert bot.context_window == 16384
    assert bot.prompt_budget == 16384 - 4096
    bot.context_tokens = 9000  # --context-tokens still wins
    assert bot.context_window == 9000


def test_a_model_the_server_says_nothing_about_keeps_its_known_window(server: FakeOpenAI) -> None:
    served(server)
    bot = make_bot(server, model="Qwen/Qwen3-8B")
    assert bot.list_models() == ["Qwen/Qwen3-8B", "other"]
    assert bot.context_window == 131_072


def test_the_window_follows_a_model_switch(server: FakeOpenAI) -> None:
    served(server, context_length=40960)
    bot = ChatBot(api_key="k", base_url=server.base_url, max_retries=0, model="other")
    bot.model_infos()
    assert bot.context_window == FALLBACK_CONTEXT
    bot.model = "Qwen/Qwen3-8B"
    assert bot.context_window == 40960


def test_the_chat_learns_the_servers_window_while_the_user_types(
    terminal: Callable[..., Terminal], server: FakeOpenAI
) -> None:
    """At start-up, off the start-up path, /models is asked once; the status line's window is
    then the server's, not the name's 131,072."""
    served(server, max_model_len=16384)
    term = terminal("-m", "Qwen/Qwen3-8B")
    term.prompt()
    assert server.models_served.wait(15)
    term.chat("hi")
    term.expect("context ≈[0-9]+/16,384")
    term.quit()


def test_no_models_request_when_the_window_is_given(
    terminal: Callable[..., Terminal], server: FakeOpenAI
) -> None:
    served(server, max_model_len=16384)
    term = terminal("-m", "Qwen/Qwen3-8B", "--context-tokens", "9000")
    term.chat("hi")
    term.expect("context ≈[0-9]+/9,000")
    term.quit()
    assert [r.path for r in server.requests if r.path.endswith("/models")] == []
