"""Presets for OpenAI-compatible services, and the user's own `[providers.NAME]` tables.

A preset is the lowest layer above the built-in defaults: a flag, a variable, `.env` or a
top-level key in the config file always beats it. Keys are never stored in a preset, only the
name of the variable that holds one, so choosing a provider never sends another service's key.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from chatcli.config import ConfigError
from chatcli.i18n import t

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]
DEFAULT_PROVIDER = "openai"


def check_base_url(value: str | None) -> str | None:
    """The one rule for base URLs, shared by the settings and the provider tables.
    Surrounding whitespace (a Windows line end) goes; inner spaces or controls are refused."""
    if value is None:
        return None
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {value!r}")
    if not value.isprintable() or " " in value:
        raise ValueError("must not contain spaces or control characters")
    return value.rstrip("/")


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

    @field_validator("base_url")
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
    "ollama": Provider(base_url="http://localhost:11434/v1", model="llama3.2"),
    # The bundled model: the same as --local, which starts the llama.cpp server.
    "local": Provider(local=True),
}


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
    return preset.model_copy(update=table.model_dump(exclude_unset=True))
