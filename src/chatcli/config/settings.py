"""The one settings model: flags > environment > .env > config file > provider preset >
defaults, validated in one place; every value remembers which layer it came from.

Generation parameters live in their own model (`GenerationParams`) so the REPL's `/set`
validates a single value with exactly the rules the flags use.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chatcli.config.file import ConfigError, check_path, config_path, read_config, where
from chatcli.config.paths import check_regular
from chatcli.config.prices import MAX_PRICE, PRICE_FIELDS, Prices
from chatcli.config.providers import (
    DEFAULT_PROVIDER,
    PRESETS,
    ExtraBody,
    MaxTokensField,
    Provider,
    UnknownProvider,
    check_base_url,
    known_names,
    preset_for_model,
    resolve,
)
from chatcli.i18n import NUMBER_REASONS, os_reason, t
from chatcli.tools.config import McpSettings

DEFAULT_MODEL = "gpt-4o"
DEFAULT_EXIT_COMMAND = "退出"
INPUT = "{{input}}"  # in a system prompt: where each message goes (see ChatBot.fill)
DEFAULT_LOCAL_CTX = 4096
OPENAI_URL = "https://api.openai.com/v1"  # the SDK's default base URL
DOTENV = ".env"  # in the current directory


# Bounds past any real use, so an absurd number is refused in one line instead of
# overflowing somewhere later (a socket timeout, a context budget, a JSON body).
MAX_TIMEOUT = 86400.0
MAX_TOKENS = 100_000_000
MAX_LOCAL_CTX = 1 << 20
INT64 = 1 << 63
ReasoningEffort = Literal["minimal", "low", "medium", "high"]
ReasoningDisplay = Literal["show", "summary", "hide"]
TRUST_DOTENV = "CHATCLI_TRUST_DOTENV"


class GenerationParams(BaseModel):
    """Parameters sent with every request; `None` means "let the server decide"."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid", allow_inf_nan=False)

    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    n: int = Field(1, ge=1, le=128)
    stop: list[str] | None = Field(None, max_length=4)
    seed: int | None = Field(None, ge=-INT64, le=INT64 - 1)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    # llama.cpp's own penalty (1 is off); only local servers know it, so it is sent only when set.
    repeat_penalty: float | None = Field(None, ge=0, le=2)
    logit_bias: dict[str, int] | None = None
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    json_mode: bool = False
    reasoning_effort: ReasoningEffort | None = None
    extra_body: ExtraBody = None
    # How a reasoning model's thinking is shown; a display choice, never sent. It lives here
    # so `/set reasoning` changes it for the running chat like any other parameter.
    reasoning: ReasoningDisplay = "summary"

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
                raise ValueError(t("bad_token_id", token=token))
            if not -100 <= bias <= 100:
                raise ValueError(t("bad_bias_range", bias=bias))
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
        raise ValueError(t("bad_bias_form", item=item))
    try:
        return token.strip(), int(bias)
    except ValueError:
        raise ValueError(t("bad_bias_number", bias=bias)) from None


class Origin(NamedTuple):
    """Where a value came from: the flag, the variable, `path:line`, or the provider name."""

    kind: Literal["flag", "env", "dotenv", "config", "provider", "model", "default"]
    where: str = ""


# Filled by ProviderSource while a Settings is built and taken by that instance; left in place
# when validation fails so the error can name the layer that gave the bad value.
_last_origins: ContextVar[dict[str, Origin] | None] = ContextVar("origins", default=None)


class Settings(BaseSettings, GenerationParams):
    """Every option; the CLI passes the flags it was given as init arguments (top precedence)."""

    model_config = SettingsConfigDict(
        env_prefix="CHATCLI_",
        env_file=DOTENV,
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_assignment=True,
        allow_inf_nan=False,
    )

    # OPENAI_API_KEY and OPENAI_BASE_URL are read by the openai provider preset, so choosing
    # another provider never sends the OpenAI key elsewhere.
    provider: str | None = None
    providers: dict[str, Provider] = Field(default_factory=dict)
    api_key: SecretStr | None = None
    base_url: str | None = None
    max_tokens_field: MaxTokensField | None = None
    model: str = Field(DEFAULT_MODEL, min_length=1)
    system: str | None = None
    history_limit: int | None = Field(None, ge=0)
    context_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS)
    timeout: float = Field(60.0, gt=0, le=MAX_TIMEOUT)
    max_retries: int = Field(2, ge=0, le=20)
    stream: bool = True
    exit_command: str = Field(DEFAULT_EXIT_COMMAND, min_length=1)
    lang: Literal["zh", "en"] | None = None
    private: bool = False
    debug: bool = False
    local: bool = False
    local_model: Path | None = None
    local_ctx: int = Field(DEFAULT_LOCAL_CTX, ge=256, le=MAX_LOCAL_CTX)
    price_input: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_output: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_cached: float | None = Field(None, ge=0, le=MAX_PRICE)
    price_currency: str | None = Field(None, min_length=1, max_length=3)
    # Tools (issue 14): built-ins enabled by group, tools approved in advance by name.
    tools: Annotated[list[str], NoDecode] = Field(default_factory=list)
    yes_tool: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_tool_rounds: int = Field(10, ge=0, le=1000)
    tool_choice: str | None = Field(None, min_length=1, max_length=200)
    mcp: McpSettings = Field(default_factory=McpSettings)  # [mcp.servers.NAME]
    mcp_config: Path | None = None  # a Claude-Desktop-style mcpServers JSON file
    use_mcp: Annotated[list[str], NoDecode] = Field(default_factory=list)  # --mcp NAME
    no_mcp: bool = False

    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        """Flags as keyword arguments. A .env that is a FIFO or a device would be read
        forever, so it is refused before pydantic-settings opens it; a directory (a
        virtualenv named .env) is no .env file and is passed over, as pydantic-settings does."""
        dotenv = Path(DOTENV)
        try:
            check_regular(dotenv)
        except IsADirectoryError:
            pass
        except OSError as exc:
            raise ConfigError(
                t("dotenv_unreadable", path=dotenv.absolute(), reason=os_reason(exc))
            ) from None
        super().__init__(**values)

    @field_validator("tools", "yes_tool", "use_mcp", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """`--tools shell,read`, CHATCLI_TOOLS=shell,read or a TOML list; repeats add up."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        return [word.strip() for item in items for word in str(item).split(",") if word.strip()]

    @field_validator("tools")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        from chatcli.tools.builtin import GROUPS

        known = {*GROUPS, *GROUPS.values()}
        for name in value:
            if name not in known:
                raise ValueError(t("tools_unknown_group", name=name, known=", ".join(GROUPS)))
        return value

    @field_validator("base_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        return check_base_url(value)

    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, value: SecretStr | None) -> SecretStr | None:
        """A key saved with a Windows line end still works; one that cannot be an HTTP
        header value is refused here, in one line, instead of deep in the HTTP client
        (whose message would print the key)."""
        if value is None:
            return None
        key = value.get_secret_value().strip()
        if not key:
            return None
        if not all("!" <= char <= "~" for char in key):
            raise ValueError(t("key_unusable"))
        return SecretStr(key)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The config file sits under .env; the provider preset under everything but defaults.
        The path is looked up on every build, so $CHATCLI_CONFIG set at run time counts."""
        assert isinstance(dotenv_settings, DotEnvSettingsSource)
        config = ConfigFileSource(settings_cls, config_path())
        provider = ProviderSource(settings_cls, dotenv_settings, config)
        return init_settings, env_settings, dotenv_settings, config, provider

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._origins = _last_origins.get() or {}
        _last_origins.set(None)

    def origin(self, field: str) -> Origin:
        """Which layer gave `field` its value, for --show-config."""
        return self._origins.get(field, Origin("default"))

    @property
    def chosen_provider(self) -> Provider:
        return resolve(self.provider or DEFAULT_PROVIDER, self.providers)

    @property
    def prices(self) -> Prices | None:
        """The user's prices, when both the input and the output price are set."""
        if self.price_input is None or self.price_output is None:
            return None
        return Prices(
            input=self.price_input,
            output=self.price_output,
            cached=self.price_cached,
            currency=self.price_currency or "$",
        )

    @property
    def prefix_url(self) -> str | None:
        """The chosen provider's prefix-completion URL, while requests go to its own server
        (never with another base URL: the key would go where the user did not send it)."""
        provider = self.chosen_provider
        return provider.prefix_url if self.base_url == provider.base_url else None

    @property
    def params(self) -> GenerationParams:
        return GenerationParams.model_validate(
            {name: getattr(self, name) for name in GenerationParams.model_fields}
        )


class ConfigFileSource(TomlConfigSettingsSource):
    """The TOML config file, with errors that name file and line and no silently ignored key."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        check_path(path)
        self.path = path
        self.text = ""
        super().__init__(settings_cls, toml_file=path)
        self._check_keys(settings_cls)

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        data, self.text = read_config(Path(file_path))
        return data

    def where(self, key: str, table: str = "") -> str:
        return where(self.path, self.text, key, table)

    def _check_keys(self, settings_cls: type[BaseSettings]) -> None:
        fields = list(settings_cls.model_fields)
        for key in self.toml_data:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                hint = t("did_you_mean", suggestion=close[0]) if close else ""
                raise ConfigError(
                    t("cfg_unknown_key", where=self.where(key), setting=key, hint=hint)
                )
        tables = self.toml_data.get("providers", {})
        if not isinstance(tables, dict):
            raise ConfigError(t("cfg_not_table", where=self.where("providers"), name="*"))
        for name, table in tables.items():
            self._check_table(name, table)

    def _check_table(self, name: str, table: Any) -> None:
        section = f"providers.{name}"
        if not isinstance(table, dict):
            raise ConfigError(t("cfg_not_table", where=self.where(name, "providers"), name=name))
        try:
            provider = Provider.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else ""
            reason = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                close = difflib.get_close_matches(key, list(Provider.model_fields), n=1)
                reason = t("no_such_field") + (
                    t("did_you_mean", suggestion=close[0]) if close else ""
                )
            raise ConfigError(
                t(
                    "cfg_provider_value",
                    where=self.where(key, section),
                    name=name,
                    setting=key,
                    reason=reason,
                )
            ) from None
        if name not in known_names({}) and provider.base_url is None and not provider.local:
            raise ConfigError(t("cfg_provider_needs_url", where=self.where("", section), name=name))


def find_variable(name: str | None, dotenv: Mapping[str, str | None]) -> tuple[str, Origin] | None:
    """A provider's variable from the environment, else from .env (names lower-cased there)."""
    if not name:
        return None
    if os.environ.get(name):
        return os.environ[name], Origin("env", name)
    value = dotenv.get(name.lower())
    return (value, Origin("dotenv", name)) if value else None


def dotenv_variables() -> Mapping[str, str | None]:
    """Every variable in ./.env, for telling whether a provider's key is there."""
    return DotEnvSettingsSource(Settings).env_vars


class ProviderSource(PydanticBaseSettingsSource):
    """The chosen provider's preset, laid under every other layer, and the record of where
    each value came from (read from the layers above, which pydantic-settings shares)."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        dotenv: DotEnvSettingsSource,
        config: ConfigFileSource,
    ) -> None:
        super().__init__(settings_cls)
        self.dotenv_vars = dotenv.env_vars
        self.config_file = config

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def _layer_origins(self) -> dict[str, Origin]:
        layers = self.settings_sources_data
        origins: dict[str, Origin] = {}
        for field in self.settings_cls.model_fields:
            if field in layers.get("InitSettingsSource", {}):
                origins[field] = Origin("flag", flag_for(field))
            elif field in layers.get("EnvSettingsSource", {}):
                origins[field] = Origin("env", env_for(field))
            elif field in layers.get("DotEnvSettingsSource", {}):
                origins[field] = Origin("dotenv", env_for(field))
            elif field in layers.get(type(self.config_file).__name__, {}):
                origins[field] = Origin("config", self.config_file.where(field))
        return origins

    def _inferred(self, state: dict[str, Any]) -> str | None:
        """The provider a model name points to, when that provider's key is at hand and
        nothing sends the request to OpenAI (its key or base URL, or any key or URL given)."""
        model = state.get("model")
        if not isinstance(model, str) or "api_key" in state or "base_url" in state:
            return None
        openai = PRESETS[DEFAULT_PROVIDER]
        for variable in (openai.api_key_env, openai.base_url_env):
            if find_variable(variable, self.dotenv_vars) is not None:
                return None
        name = preset_for_model(model)
        if name is None or name == DEFAULT_PROVIDER:
            return None
        key = find_variable(PRESETS[name].api_key_env, self.dotenv_vars)
        return name if key is not None else None

    def __call__(self) -> dict[str, Any]:
        state = self.current_state
        origins = self._layer_origins()
        _last_origins.set(origins)
        tables = {
            name: Provider.model_validate(table)
            for name, table in (state.get("providers") or {}).items()
        }
        inferred = None if "provider" in state else self._inferred(state)
        name = state.get("provider") or inferred or DEFAULT_PROVIDER
        try:
            provider = resolve(name, tables)
        except UnknownProvider as exc:
            chosen = origins.get("provider")
            if chosen is None or chosen.kind == "flag":
                raise
            where = f"{chosen.where} (.env)" if chosen.kind == "dotenv" else chosen.where
            raise ConfigError(f"{where}: {exc}") from None
        table = tables.get(name)
        overridden = table.model_fields_set if table is not None else set()

        def from_preset(field: str) -> Origin:
            if field in overridden:
                return Origin("config", self.config_file.where(field, f"providers.{name}"))
            return Origin("provider", name)

        found: dict[str, tuple[Any, Origin]] = {}
        if inferred is not None:
            found["provider"] = (inferred, Origin("model", state["model"]))
        variable = None
        if "base_url" not in state:
            variable = find_variable(provider.base_url_env, self.dotenv_vars)
        if variable is not None:
            found["base_url"] = variable
        elif "base_url" not in state:
            # The preset's own server, so its max-tokens field is known to be right.
            if provider.base_url is not None:
                found["base_url"] = (provider.base_url, from_preset("base_url"))
            if "max_tokens_field" not in state:
                found["max_tokens_field"] = (
                    provider.max_tokens_field,
                    from_preset("max_tokens_field"),
                )
        if "api_key" not in state:
            variable = find_variable(provider.api_key_env, self.dotenv_vars)
            if provider.api_key is not None:
                found["api_key"] = (provider.api_key, from_preset("api_key"))
            elif variable is not None:
                found["api_key"] = variable
        if "model" not in state and provider.model:
            found["model"] = (provider.model, from_preset("model"))
        if provider.extra_body:
            # Merged under a higher layer's extra_body (pydantic-settings merges the dicts).
            found["extra_body"] = (
                provider.extra_body,
                origins.get("extra_body") or from_preset("extra_body"),
            )
        for field in PRICE_FIELDS:
            value = getattr(provider, field)
            if value is not None and field not in state:
                found[field] = (value, from_preset(field))
        if provider.local and "local" in self.settings_cls.model_fields and "local" not in state:
            found["local"] = (True, Origin("provider", name))
        origins.update({field: origin for field, (_, origin) in found.items()})
        return {field: value for field, (value, _) in found.items()}


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


def _layer_name(field: str) -> str:
    """The variable or config-file line that gave a rejected value (it is not a flag)."""
    origin = (_last_origins.get() or {}).get(field)
    if origin is not None and origin.kind == "config":
        return f"{origin.where}: {field}"
    variable = origin.where if origin is not None and origin.where else env_for(field)
    if origin is not None and origin.kind == "dotenv":
        return f"{variable} (.env)"
    return variable


def check_trust(settings: Settings) -> None:
    """A key goes only where the same trust level sends it.

    A .env in the current directory may come with a cloned repository: when it alone picks
    the server (its base URL, or its provider with that provider's own URL) while the key
    comes from the user's environment, config file or flags, the key would go to a host a
    stranger chose. Refused with a ConfigError, unless $CHATCLI_TRUST_DOTENV is 1 in the
    real environment (never read from .env itself).
    """
    key = settings.origin("api_key")
    if settings.api_key is None or key.kind == "dotenv" or os.environ.get(TRUST_DOTENV) == "1":
        return
    url = settings.origin("base_url")
    chosen = settings.origin("provider")
    if url.kind == "dotenv":
        variable = url.where
    elif chosen.kind == "dotenv" and url.kind in ("provider", "default"):
        provider = settings.chosen_provider
        own_key = (key.kind == "env" and key.where == provider.api_key_env) or (
            provider.api_key is not None and provider.api_key == settings.api_key
        )
        if own_key:  # the provider's own key to the provider's own server
            return
        variable = chosen.where
    else:
        return
    raise ConfigError(
        t(
            "dotenv_redirect",
            path=Path(DOTENV).absolute(),
            var=variable,
            key_where=key.where or key.kind,
            url=settings.base_url or OPENAI_URL,
        )
    )


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
        return t("allowed_range", low=_num(bounds["ge"]), high=_num(bounds["le"]))
    if "ge" in bounds:
        return t("allowed_min", low=_num(bounds["ge"]))
    if "gt" in bounds and "le" in bounds:
        return t("allowed_above_max", low=_num(bounds["gt"]), high=_num(bounds["le"]))
    if "gt" in bounds:
        return t("allowed_above", low=_num(bounds["gt"]))
    if "max_length" in bounds:
        return t("allowed_count", high=bounds["max_length"])
    return ""


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


_REASONS = {
    **NUMBER_REASONS,
    "too_long": "reason_too_many",
    "string_too_short": "reason_empty",
}
_OUT_OF_RANGE = {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}


def describe_validation_error(
    error: ValidationError, given_flags: set[str], *, as_setting: bool = False
) -> str:
    """One line naming the option as the user gave it (flag, variable, or `/set` name) and
    its allowed range."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if as_setting:
        name = field
    else:
        name = flag_for(field) if field in given_flags or not field else _layer_name(field)
    got = first.get("input")
    kind = first["type"]
    if kind in _REASONS:
        reason = t(_REASONS[kind], got=got)
    elif kind in _OUT_OF_RANGE:
        reason = t("reason_out_of_range", got=got)
    elif kind == "literal_error":
        # pydantic's "'a', 'b' or 'c'", with the "or" in the interface's language
        choices = str(first["ctx"]["expected"]).replace(" or ", t("word_or"))
        reason = t("reason_not_choice", got=got, choices=choices)
    else:
        reason = first["msg"].removeprefix("Value error, ")
    allowed = _allowed(field)
    shown = t("allowed_paren", allowed=allowed) if allowed else ""
    return t("value_error", name=name, reason=reason, allowed=shown)
