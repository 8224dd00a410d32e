"""Every provider preset: the request goes to the preset's base URL with the preset's own key,
and never with another service's key (all of them are set at once here)."""

from __future__ import annotations

import pytest

from chatcli.config.providers import PRESETS
from chatcli.config.settings import OPENAI_URL, Settings
from chatcli.conversation.bot import ChatBot
from tests.fake_server import FakeOpenAI

# What the issue asks for, written out so a typo in the preset table shows up here.
EXPECTED = {
    "anthropic": ("https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", "claude-sonnet-4-5"),
    "gemini": (
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "GEMINI_API_KEY",
        "gemini-2.5-flash",
    ),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini"),
    "groq": ("https://api.groq.com/openai/v1", "GROQ_API_KEY", "llama-3.3-70b-versatile"),
    "mistral": ("https://api.mistral.ai/v1", "MISTRAL_API_KEY", "mistral-small-latest"),
    "xai": ("https://api.x.ai/v1", "XAI_API_KEY", "grok-4"),
    "together": (
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    "doubao": ("https://ark.cn-beijing.volces.com/api/v3", "ARK_API_KEY", "doubao-seed-1-6-250615"),
    "minimax": ("https://api.minimaxi.com/v1", "MINIMAX_API_KEY", "MiniMax-M2"),
    "stepfun": ("https://api.stepfun.com/v1", "STEPFUN_API_KEY", "step-2-mini"),
    "baichuan": ("https://api.baichuan-ai.com/v1", "BAICHUAN_API_KEY", "Baichuan4-Turbo"),
    "hunyuan": (
        "https://api.hunyuan.cloud.tencent.com/v1",
        "HUNYUAN_API_KEY",
        "hunyuan-turbos-latest",
    ),
    "qianfan": ("https://qianfan.baidubce.com/v2", "QIANFAN_API_KEY", "ernie-4.5-turbo-128k"),
}


# Every preset that takes a key, the new ones named even before they exist.
KEYED = sorted({*EXPECTED, *(name for name, preset in PRESETS.items() if preset.api_key_env)})


def key_of(name: str) -> str:
    return f"sk-{name}-only-key"


@pytest.fixture
def every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each preset's variable holds a key naming its own service."""
    for name in KEYED:
        variable = EXPECTED[name][1] if name in EXPECTED else PRESETS[name].api_key_env
        assert variable is not None
        monkeypatch.setenv(variable, key_of(name))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_new_presets_are_what_the_providers_document(name: str) -> None:
    url, variable, model = EXPECTED[name]
    preset = PRESETS[name]
    assert (preset.base_url, preset.api_key_env, preset.model) == (url, variable, model)


@pytest.mark.usefixtures("every_key")
@pytest.mark.parametrize("name", KEYED)
def test_a_preset_talks_to_its_own_url_with_its_own_key(name: str) -> None:
    bot = ChatBot.from_settings(Settings(provider=name))
    url = PRESETS[name].base_url or OPENAI_URL
    assert str(bot.client.base_url).rstrip("/") == url
    assert bot.client.api_key == key_of(name)
    assert bot.model == PRESETS[name].model


@pytest.mark.usefixtures("every_key")
@pytest.mark.parametrize("name", KEYED)
def test_the_request_carries_the_preset_key_and_no_other(name: str, server: FakeOpenAI) -> None:
    """Pointed at the loopback server (--base-url), the request's headers and body hold this
    preset's key and none of the others'."""
    settings = Settings(provider=name, base_url=server.base_url, max_retries=0, timeout=5)
    ChatBot.from_settings(settings)("hi")
    request = server.requests[-1]
    assert request.headers["authorization"] == f"Bearer {key_of(name)}"
    sent = repr(request.headers) + repr(request.body)
    leaked = [other for other in KEYED if other != name and key_of(other) in sent]
    assert leaked == []
