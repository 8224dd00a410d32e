"""Presets for OpenAI-compatible services, and the user's own `[providers.NAME]` tables.

A preset is the lowest layer above the built-in defaults: a flag, a variable, `.env` or a
top-level key in the config file always beats it. Keys are never stored in a preset, only the
name of the variable that holds one, so choosing a provider never sends another service's key.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)

from chatcli.config.file import ConfigError
from chatcli.config.prices import MAX_PRICE
from chatcli.i18n import t

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]
DEFAULT_PROVIDER = "openai"
# Request fields chatcli decides; extra_body may not replace them.
RESERVED_BODY_FIELDS = frozenset({"model", "messages", "stream", "stream_options", "n"})


def check_base_url(value: str | None) -> str | None:
    """The one rule for base URLs, shared by the settings and the provider tables.
    Surrounding whitespace (a Windows line end) goes; inner spaces or controls are refused."""
    if value is None:
        return None
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(t("url_scheme", value=value))
    if not value.isprintable() or " " in value:
        raise ValueError(t("url_spaces"))
    return value.rstrip("/")


def parse_json_object(text: str) -> dict[str, Any]:
    """`--extra-body`, `CHATCLI_EXTRA_BODY` and `/set extra_body`: one JSON object."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError(t("json_invalid", text=_short(text))) from None
    if not isinstance(value, dict):
        raise ValueError(t("json_not_object", text=_short(text)))
    return value


def check_extra_body(value: dict[str, Any]) -> dict[str, Any]:
    """Fields merged into the request body must be JSON (a TOML date is not) and must leave
    alone what chatcli itself relies on: the messages, the model, the stream and the choices."""
    reserved = sorted(RESERVED_BODY_FIELDS.intersection(value))
    if reserved:
        raise ValueError(t("body_reserved", field=reserved[0]))
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise ValueError(t("body_not_json")) from None
    return value


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _as_json_object(value: Any) -> Any:
    """JSON text is parsed, a list refused here."""
    if isinstance(value, str):
        return parse_json_object(value)
    if value is not None and not isinstance(value, dict):
        raise ValueError(t("json_not_object", text=_short(str(value))))
    return value


def _sendable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else check_extra_body(value)


# Every extra_body (flags, env, /set, a provider's): one JSON object chatcli can send.
ExtraBody = Annotated[
    dict[str, Any] | None, BeforeValidator(_as_json_object), AfterValidator(_sendable)
]


class Provider(BaseModel):
    """How to reach one service. Every field can be overridden from the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    base_url_env: str | None = None
    api_key_env: str | None = None
    api_key: SecretStr | None = None
    model: str | None = None
    max_tokens_field: MaxTokensField = "max_tokens"
    local: bool = False
    # Provider-specific request fields (e.g. Qwen3's enable_thinking), under --extra-body's.
    extra_body: ExtraBody = None
    # The user's prices per million tokens, over the price table's (see prices.py).
    price_input: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_output: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_cached: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_currency: str | None = Field(None, min_length=1, max_length=3)
    # Where this server offers chat prefix completion (an assistant message with
    # `"prefix": true` is completed), which /continue uses; it belongs to `base_url`'s server.
    prefix_url: str | None = None

    @field_validator("base_url", "prefix_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        return check_base_url(value)

    @property
    def needs_key(self) -> bool:
        return self.api_key_env is not None or self.api_key is not None


PRESETS: dict[str, Provider] = {
    # base_url None: the SDK's own default, https://api.openai.com/v1.
    "openai": Provider(
        base_url_env="OPENAI_BASE_URL",
        api_key_env="OPENAI_API_KEY",
        model="gpt-4o",
        max_tokens_field="max_completion_tokens",
    ),
    "deepseek": Provider(
        base_url="https://api.deepseek.com/v1",
        api_key_env="DEEPSEEK_API_KEY",
        model="deepseek-chat",
        prefix_url="https://api.deepseek.com/beta",
    ),
    "qwen": Provider(
        base_url="https://dashscope.aliyuncs.com/compatible-mode/v1",
        api_key_env="DASHSCOPE_API_KEY",
        model="qwen-plus",
    ),
    "moonshot": Provider(
        base_url="https://api.moonshot.cn/v1",
        api_key_env="MOONSHOT_API_KEY",
        model="moonshot-v1-8k",
    ),
    "zhipu": Provider(
        base_url="https://open.bigmodel.cn/api/paas/v4",
        api_key_env="ZHIPUAI_API_KEY",
        model="glm-4-flash",
    ),
    "siliconflow": Provider(
        base_url="https://api.siliconflow.cn/v1",
        api_key_env="SILICONFLOW_API_KEY",
        model="Qwen/Qwen2.5-7B-Instruct",
    ),
    # Anthropic and Gemini through their OpenAI-compatible endpoints.
    "anthropic": Provider(
        base_url="https://api.anthropic.com/v1",
        api_key_env="ANTHROPIC_API_KEY",
        model="claude-sonnet-4-5",
    ),
    "gemini": Provider(
        base_url="https://generativelanguage.googleapis.com/v1beta/openai",
        api_key_env="GEMINI_API_KEY",
        model="gemini-2.5-flash",
    ),
    "openrouter": Provider(
        base_url="https://openrouter.ai/api/v1",
        api_key_env="OPENROUTER_API_KEY",
        model="openai/gpt-4o-mini",
    ),
    "groq": Provider(
        base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        model="llama-3.3-70b-versatile",
    ),
    "mistral": Provider(
        base_url="https://api.mistral.ai/v1",
        api_key_env="MISTRAL_API_KEY",
        model="mistral-small-latest",
    ),
    "xai": Provider(
        base_url="https://api.x.ai/v1",
        api_key_env="XAI_API_KEY",
        model="grok-4",
    ),
    "together": Provider(
        base_url="https://api.together.xyz/v1",
        api_key_env="TOGETHER_API_KEY",
        model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    # Doubao is Volcengine Ark; Hunyuan is Tencent's, Qianfan Baidu's (ERNIE).
    "doubao": Provider(
        base_url="https://ark.cn-beijing.volces.com/api/v3",
        api_key_env="ARK_API_KEY",
        model="doubao-seed-1-6-250615",
    ),
    "minimax": Provider(
        base_url="https://api.minimaxi.com/v1",
        api_key_env="MINIMAX_API_KEY",
        model="MiniMax-M2",
    ),
    "stepfun": Provider(
        base_url="https://api.stepfun.com/v1",
        api_key_env="STEPFUN_API_KEY",
        model="step-2-mini",
    ),
    "baichuan": Provider(
        base_url="https://api.baichuan-ai.com/v1",
        api_key_env="BAICHUAN_API_KEY",
        model="Baichuan4-Turbo",
    ),
    "hunyuan": Provider(
        base_url="https://api.hunyuan.cloud.tencent.com/v1",
        api_key_env="HUNYUAN_API_KEY",
        model="hunyuan-turbos-latest",
    ),
    "qianfan": Provider(
        base_url="https://qianfan.baidubce.com/v2",
        api_key_env="QIANFAN_API_KEY",
        model="ernie-4.5-turbo-128k",
    ),
    "ollama": Provider(base_url="http://localhost:11434/v1", model="llama3.2"),
    # The bundled model: the same as --local, which starts the llama.cpp server.
    "local": Provider(local=True),
}


# Model names only one preset serves, by prefix (lower case; a name with an `org/` part is a
# router's and never matches): `--model deepseek-chat` with DeepSeek's key set and OpenAI's
# not goes to DeepSeek (settings.ProviderSource).
MODEL_PREFIXES: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-", "o1", "o3", "o4-", "chatgpt-"),
    "deepseek": ("deepseek-",),
    "qwen": ("qwen", "qwq-"),
    "moonshot": ("moonshot-", "kimi-"),
    "zhipu": ("glm-",),
    "anthropic": ("claude-",),
    "gemini": ("gemini-",),
    "mistral": ("mistral-", "magistral-", "codestral-", "ministral-"),
    "xai": ("grok-",),
    "doubao": ("doubao-",),
    "minimax": ("minimax-",),
    "stepfun": ("step-",),
    "baichuan": ("baichuan",),
    "hunyuan": ("hunyuan-",),
    "qianfan": ("ernie-",),
}


def preset_for_model(model: str) -> str | None:
    """The one preset whose models are named like `model`, or None (none, or several)."""
    name = model.lower()
    if "/" in name:
        return None
    found = [preset for preset, prefixes in MODEL_PREFIXES.items() if name.startswith(prefixes)]
    return found[0] if len(found) == 1 else None


class UnknownProvider(ConfigError):
    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1)
        hint = t("did_you_mean", suggestion=close[0]) if close else ""
        super().__init__(t("unknown_provider", name=name, hint=hint, known=", ".join(known)))


def known_names(tables: Mapping[str, Provider]) -> list[str]:
    return [*PRESETS, *(name for name in tables if name not in PRESETS)]


def resolve(name: str, tables: Mapping[str, Provider]) -> Provider:
    """The preset `name` with the user's table for it laid over (or the user's table alone)."""
    preset = PRESETS.get(name)
    table = tables.get(name)
    if preset is None and table is None:
        raise UnknownProvider(name, known_names(tables))
    if table is None:
        assert preset is not None
        return preset
    if preset is None:
        return table
    update = table.model_dump(exclude_unset=True)
    if "base_url" in update and "prefix_url" not in update:
        update["prefix_url"] = None  # the preset's prefix URL is another server's
    return preset.model_copy(update=update)
