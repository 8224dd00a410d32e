"""Settings: precedence (flags > env > .env > defaults), ranges, and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chatcli.config.settings import GenerationParams, Settings, describe_validation_error


def error_for(given: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as info:
        Settings(**given)
    return describe_validation_error(info.value, set(given))


def test_defaults() -> None:
    s = Settings()
    assert s.model == "gpt-4o"
    assert s.exit_command == "退出"
    assert s.api_key is None and s.base_url is None
    assert s.stream is True


def test_flag_beats_env_beats_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("CHATCLI_MODEL=from-dotenv\nCHATCLI_TEMPERATURE=0.3\nCHATCLI_SEED=7\n")
    monkeypatch.setenv("CHATCLI_MODEL", "from-env")
    monkeypatch.setenv("CHATCLI_TEMPERATURE", "0.5")
    s = Settings(model="from-flag")
    assert s.model == "from-flag"
    assert s.temperature == 0.5
    assert s.seed == 7


def test_openai_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abc")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9/v1/")
    s = Settings()
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-abc"
    assert s.base_url == "http://localhost:9/v1"
    assert "sk-abc" not in repr(s)


def test_dotenv_supplies_the_key() -> None:
    Path(".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    s = Settings()
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-from-dotenv"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"temperature": "5"}, "--temperature: 5 is out of range (allowed: 0 to 2)"),
        ({"top_p": "1.5"}, "--top-p: 1.5 is out of range (allowed: 0 to 1)"),
        ({"top_p": "abc"}, "--top-p: 'abc' is not a number (allowed: 0 to 1)"),
        ({"max_tokens": "0"}, "--max-tokens: 0 is out of range (allowed: 1 or more)"),
        ({"n": "0"}, "-n: 0 is out of range"),
        ({"frequency_penalty": "-3"}, "--frequency-penalty: -3 is out of range (allowed: -2 to 2)"),
        ({"presence_penalty": "2.5"}, "--presence-penalty: 2.5 is out of range (allowed: -2 to 2)"),
        ({"top_logprobs": "21"}, "--top-logprobs: 21 is out of range (allowed: 0 to 20)"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "--stop: too many values (allowed: at most 4)"),
        ({"logit_bias": ["50256=-101"]}, "--logit-bias: bias must be between -100 and 100"),
        ({"logit_bias": ["50256"]}, "--logit-bias: expected TOKEN_ID=BIAS"),
        ({"logit_bias": ["abc=1"]}, "--logit-bias: token id must be a whole number"),
        ({"seed": "x"}, "--seed: 'x' is not a whole number"),
        ({"timeout": "0"}, "--timeout: 0 is out of range (allowed: more than 0, at most 86400)"),
        ({"base_url": "localhost:8080"}, "--base-url: must start with http:// or https://"),
        ({"lang": "fr"}, "--lang: 'fr' is not one of the choices"),
    ],
)
def test_bad_values_name_the_flag_and_range(given: dict[str, object], expected: str) -> None:
    assert error_for(given).startswith(expected)


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATCLI_TEMPERATURE", "9")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert describe_validation_error(info.value, set()).startswith("CHATCLI_TEMPERATURE: 9 is out")


def test_logit_bias_and_stop_parse() -> None:
    s = Settings(logit_bias=["50256=-100", "42=5"], stop="END")
    assert s.logit_bias == {"50256": -100, "42": 5}
    assert s.stop == ["END"]


def test_params_carry_generation_fields_only() -> None:
    params = Settings(temperature="0.2", model="m").params
    assert isinstance(params, GenerationParams)
    assert params.differs_from_defaults() == {"temperature": 0.2}


def test_env_example_lists_every_variable() -> None:
    """.env.example is the reference for variables: a new setting must appear there."""
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    config_file_only = {"providers", "mcp"}
    for name in Settings.model_fields:
        if name not in config_file_only:
            assert f"CHATCLI_{name.upper()}=" in example, name
    for line in example.splitlines():
        if "KEY=" in line:
            assert line.split("=", 1)[1].startswith(("sk-your-key", "your-key", "sk-...")), line
