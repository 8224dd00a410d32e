"""The one settings model: flags > environment > .env > defaults, validated in one place.

Generation parameters live in their own model (`GenerationParams`) so the REPL's `/set`
validates a single value with exactly the rules the flags use.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gpt-4o"
DEFAULT_EXIT_COMMAND = "退出"
OPENAI_HOST = "api.openai.com"


class GenerationParams(BaseModel):
    """Parameters sent with every request; `None` means "let the server decide"."""

    model_config = {"validate_assignment": True, "extra": "forbid"}

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=128)
    stop: list[str] | None = Field(None, max_length=4)
    seed: int | None = None
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, int] | None = None
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    json_mode: bool = False

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("logit_bias", mode="before")
    @classmethod
    def _parse_logit_bias(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return dict(parse_logit_bias(item) for item in value)
        return value

    @field_validator("logit_bias")
    @classmethod
    def _bias_in_range(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        for token, bias in (value or {}).items():
            if not token.isdigit():
                raise ValueError(f"token id must be a whole number, got {token!r}")
            if not -100 <= bias <= 100:
                raise ValueError(f"bias must be between -100 and 100, got {bias}")
        return value

    def differs_from_defaults(self) -> dict[str, Any]:
        """The parameters a user changed, for the status line and `/set`."""
        return {
            name: value
            for name, value in self.model_dump().items()
            if value != type(self).model_fields[name].default
        }


def parse_logit_bias(item: str) -> tuple[str, int]:
    token, sep, bias = item.partition("=")
    if not sep:
        raise ValueError(f"expected TOKEN_ID=BIAS, got {item!r}")
    try:
        return token.strip(), int(bias)
    except ValueError:
        raise ValueError(f"bias must be a whole number, got {bias!r}") from None


class Settings(BaseSettings, GenerationParams):
    """Every option; the CLI passes the flags it was given as init arguments (top precedence)."""

    model_config = SettingsConfigDict(
        env_prefix="CHATCLI_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_assignment=True,
    )

    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("CHATCLI_API_KEY", "OPENAI_API_KEY")
    )
    base_url: str | None = Field(
        None, validation_alias=AliasChoices("CHATCLI_BASE_URL", "OPENAI_BASE_URL")
    )
    model: str = Field(DEFAULT_MODEL, min_length=1)
    system: str | None = None
    history_limit: int | None = Field(None, ge=0)
    context_tokens: int | None = Field(None, ge=1)
    timeout: float = Field(60.0, gt=0)
    max_retries: int = Field(2, ge=0, le=20)
    stream: bool = True
    exit_command: str = Field(DEFAULT_EXIT_COMMAND, min_length=1)
    lang: Literal["zh", "en"] | None = None
    private: bool = False

    @field_validator("base_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/") if value else value

    @property
    def params(self) -> GenerationParams:
        return GenerationParams.model_validate(
            {name: getattr(self, name) for name in GenerationParams.model_fields}
        )

    @property
    def uses_openai_host(self) -> bool:
        return self.base_url is None or OPENAI_HOST in self.base_url


FLAG_NAMES: dict[str, str] = {
    "json_mode": "--json",
    "n": "-n",
    "stream": "--no-stream",
    "api_key": "--api-key",
}


def flag_for(field: str) -> str:
    return FLAG_NAMES.get(field, "--" + field.replace("_", "-"))


def env_for(field: str) -> str:
    return "CHATCLI_" + field.upper()


def _allowed(field: str) -> str:
    """The documented range of a field, read from its own constraints."""
    info = Settings.model_fields.get(field)
    if info is None:
        return ""
    bounds: dict[str, Any] = {}
    for meta in info.metadata:
        for key in ("ge", "gt", "le", "lt", "max_length", "min_length"):
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
    if "ge" in bounds and "le" in bounds:
        return f"allowed: {_num(bounds['ge'])} to {_num(bounds['le'])}"
    if "ge" in bounds:
        return f"allowed: {_num(bounds['ge'])} or more"
    if "gt" in bounds:
        return f"allowed: more than {_num(bounds['gt'])}"
    if "max_length" in bounds:
        return f"allowed: at most {bounds['max_length']}"
    return ""


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_REASONS = {
    "float_parsing": "{got!r} is not a number",
    "float_type": "{got!r} is not a number",
    "int_parsing": "{got!r} is not a whole number",
    "int_from_float": "{got!r} is not a whole number",
    "int_type": "{got!r} is not a whole number",
    "bool_parsing": "{got!r} is not true or false",
    "too_long": "too many values",
    "string_too_short": "must not be empty",
    "literal_error": "{got!r} is not one of the choices",
}


def describe_validation_error(error: ValidationError, given_flags: set[str]) -> str:
    """One line naming the option (as the user gave it: flag or variable) and its allowed range."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    name = flag_for(field) if field in given_flags or not field else env_for(field)
    got = first.get("input")
    kind = first["type"]
    if kind in _REASONS:
        reason = _REASONS[kind].format(got=got)
    elif kind in {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}:
        reason = f"{got} is out of range"
    else:
        reason = first["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        reason += f" ({first['ctx']['expected']})"
    allowed = _allowed(field)
    return f"{name}: {reason}" + (f" ({allowed})" if allowed else "")
