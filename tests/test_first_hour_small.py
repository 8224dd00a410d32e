"""Small things a newcomer notices: `--model deepseek-chat` with only DeepSeek's key goes to
DeepSeek and says so; /image to a text-only model says the model may not take images.

DeepSeek's preset is pointed at the loopback server through the config file's provider table
(the way a user would point it at a proxy), so the request's key and model are checked.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from chatcli.config.providers import preset_for_model
from tests.conftest import KEY, Terminal, clean_environ, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def env(isolated: Path, server: FakeOpenAI, reaper: dict[str, str]) -> dict[str, str]:
    """No OpenAI key or URL; DeepSeek's key, and its preset's URL on the loopback server."""
    config = isolated / "chatcli.toml"
    config.write_text(f'[providers.deepseek]\nbase_url = "{server.base_url}"\n')
    server.api_key = KEY
    return {
        **clean_environ(isolated),
        "DEEPSEEK_API_KEY": KEY,
        "CHATCLI_CONFIG": str(config),
        **reaper,
    }


@pytest.mark.parametrize(
    ("model", "preset"),
    [
        ("deepseek-chat", "deepseek"),
        ("deepseek-reasoner", "deepseek"),
        ("glm-4-flash", "zhipu"),
        ("Qwen-Plus", "qwen"),
        ("gpt-4o", "openai"),
        ("deepseek-ai/DeepSeek-V3", None),  # a router's name: several presets serve it
        ("llama3.2", None),
    ],
)
def test_model_names_that_belong_to_one_preset(model: str, preset: str | None) -> None:
    assert preset_for_model(model) == preset


def test_the_model_name_picks_the_provider_whose_key_is_set(
    terminal: Callable[..., Terminal], server: FakeOpenAI
) -> None:
    term = terminal("--model", "deepseek-chat")
    term.expect(r"provider deepseek, from the model name: DEEPSEEK_API_KEY is set")
    term.chat("hello")
    (request,) = [r for r in server.requests if r.path.endswith("/chat/completions")]
    assert request.body["model"] == "deepseek-chat"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_show_config_says_where_the_provider_came_from(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--model", "deepseek-chat", "--show-config")
    assert "from the model name deepseek-chat" in result.stdout


@pytest.mark.parametrize(
    "extra",
    [{"OPENAI_API_KEY": "sk-openai-0123456789"}, {"CHATCLI_PROVIDER": "qwen"}],
    ids=["openai-key-set", "provider-chosen"],
)
def test_no_guess_when_openai_or_a_provider_is_chosen(
    env: dict[str, str], extra: dict[str, str]
) -> None:
    result = run_chatcli({**env, **extra}, "--model", "deepseek-chat", "--show-config")
    assert "from the model name" not in result.stdout
    assert "deepseek-chat" in result.stdout


@pytest.mark.parametrize(
    "behaviour",
    [
        Behaviour(reply=""),
        Behaviour(status=400, error={"message": "image input is not supported by this model"}),
    ],
    ids=["empty", "refused"],
)
def test_an_image_to_a_text_only_model_says_so(
    terminal: Callable[..., Terminal], server: FakeOpenAI, tmp_path: Path, behaviour: Behaviour
) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(PNG)
    term = terminal("--model", "deepseek-chat")
    term.prompt()
    server.expect(behaviour)
    term.send(f"/image {image} what is this?")
    term.expect("deepseek-chat may not accept images")
    if behaviour.error:
        assert "image input is not supported by this model" in term.transcript()
    else:
        assert "the model returned an empty reply" in term.transcript()
    term.prompt()
    term.send("plain text")
    term.expect("Echo: plain text")
    assert "may not accept images" not in term.transcript().rpartition("plain text")[2]
