"""The config file and provider presets, through the installed chatcli and the loopback server."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from chatcli.config.providers import PRESETS
from chatcli.config.settings import Settings
from tests.conftest import run_chatcli as run
from tests.fake_server import FakeOpenAI

LONG_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789WXYZ"


@pytest.fixture
def config_file(isolated: Path) -> Path:
    """Where chatcli looks by default in the isolated home (XDG_CONFIG_HOME/chatcli)."""
    path = isolated / ".config" / "chatcli" / "config.toml"
    path.parent.mkdir(parents=True)
    return path


def last_request(server: FakeOpenAI) -> tuple[str, str, dict[str, object]]:
    """Path, Authorization header and body of the last chat request."""
    request = [r for r in server.requests if r.path.endswith("/chat/completions")][-1]
    headers = {k.lower(): v for k, v in request.headers.items()}
    return request.path, headers["authorization"], request.body


def test_config_path_default_and_override(env: dict[str, str], config_file: Path) -> None:
    assert run(env, "--config-path").stdout == f"{config_file}\n"
    other = config_file.parent / "other.toml"
    result = run({**env, "CHATCLI_CONFIG": str(other)}, "--config-path")
    assert result.stdout == f"{other}\n"


def test_init_config_writes_a_private_starter_and_never_overwrites(
    env: dict[str, str], isolated: Path
) -> None:
    path = isolated / ".config" / "chatcli" / "config.toml"
    result = run(env, "--init-config")
    assert result.returncode == 0, result.stderr
    starter = path.read_text()
    assert "--show-config" in starter and '# provider = "deepseek"' in starter
    assert tomllib.loads(starter) == {}  # every setting commented out: nothing changes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.write_text('model = "mine"\n')
    again = run(env, "--init-config")
    assert again.returncode == 2
    assert again.stderr == f"chatcli: {path} already exists: edit it, or remove it first\n"
    assert path.read_text() == 'model = "mine"\n'


def test_every_commented_starter_line_is_a_valid_setting(
    env: dict[str, str], config_file: Path, server: FakeOpenAI
) -> None:
    """Uncommenting the starter's examples must give a file chatcli accepts."""
    assert run(env, "--init-config").returncode == 0
    lines = []
    for line in config_file.read_text().splitlines():
        code = line.removeprefix("# ")
        if code.startswith("[") or " = " in code.split("#")[0]:
            lines.append(code.split("  #")[0])
    config_file.write_text("\n".join(lines) + "\n")
    settings = tomllib.loads(config_file.read_text())
    assert settings["provider"] == "deepseek" and "mine" in settings["providers"]
    result = run(env, "--show-config")
    assert result.returncode == 0, result.stderr


@pytest.fixture
def five_layers(env: dict[str, str], config_file: Path) -> dict[str, str]:
    """Each generation parameter set in every layer down to a different lowest one."""
    config_file.write_text(
        "\n".join(
            [
                "# lowest layer of the file",
                "presence_penalty = 0.4",
                "temperature = 0.4",
                "top_p = 0.4",
                "seed = 4",
                "",
            ]
        )
    )
    Path(".env").write_text("CHATCLI_TEMPERATURE=0.3\nCHATCLI_TOP_P=0.3\nCHATCLI_SEED=3\n")
    return {**env, "CHATCLI_TOP_P": "0.2", "CHATCLI_SEED": "2"}


def test_precedence_flags_env_dotenv_config_defaults(
    five_layers: dict[str, str], server: FakeOpenAI
) -> None:
    result = run(five_layers, "--seed", "1", "hi")
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert body["seed"] == 1  # flag
    assert body["top_p"] == 0.2  # environment
    assert body["temperature"] == 0.3  # .env
    assert body["presence_penalty"] == 0.4  # config file
    assert "frequency_penalty" not in body  # default: left to the server


def test_show_config_names_each_origin_and_masks_the_key(
    five_layers: dict[str, str], config_file: Path, server: FakeOpenAI
) -> None:
    result = run({**five_layers, "OPENAI_API_KEY": LONG_KEY}, "--seed", "1", "--show-config")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    assert rows["seed"][1:] == ["1", "flag", "--seed"]
    assert rows["top_p"][1:] == ["0.2", "env", "CHATCLI_TOP_P"]
    assert rows["temperature"][1:] == ["0.3", ".env", "CHATCLI_TEMPERATURE"]
    assert rows["presence_penalty"][1:] == ["0.4", "config", "file", f"{config_file}:2"]
    assert rows["frequency_penalty"][1:] == ["(not", "set)", "default"]
    assert rows["model"][1:] == ["gpt-4o", "provider", "preset", "openai"]
    assert rows["api_key"][1:] == ["sk-…WXYZ", "env", "OPENAI_API_KEY"]
    assert LONG_KEY[3:-4] not in result.stdout and "abcdef" not in result.stdout
    assert server.requests == []


def test_a_short_key_is_not_shown_at_all(env: dict[str, str]) -> None:
    result = run({**env, "OPENAI_API_KEY": "sk-Qz9Kp12"}, "--show-config")
    api_key = next(line for line in result.stdout.splitlines() if line.startswith("api_key"))
    assert api_key.split()[:2] == ["api_key", "…"]
    assert "Qz9K" not in result.stdout


def test_provider_routes_to_its_url_with_its_own_key(
    env: dict[str, str], config_file: Path, server: FakeOpenAI
) -> None:
    """A user provider: its base URL, its key variable and its max-tokens field are used, and
    the OpenAI key in the environment is never sent to it."""
    config_file.write_text(
        f'[providers.loop]\nbase_url = "{server.base_url.removesuffix("/v1")}/gateway/v1"\n'
        'api_key_env = "LOOP_TOKEN"\nmodel = "loop-model"\n'
        'max_tokens_field = "max_completion_tokens"\n'
    )
    result = run(
        {**env, "LOOP_TOKEN": "loop-secret"}, "--provider", "loop", "--max-tokens", "9", "hi"
    )
    assert result.returncode == 0, result.stderr
    path, authorization, body = last_request(server)
    assert path == "/gateway/v1/chat/completions"
    assert authorization == "Bearer loop-secret"
    assert body["model"] == "loop-model"
    assert body["max_completion_tokens"] == 9 and "max_tokens" not in body


def test_user_table_overrides_a_preset_and_explicit_flags_win(
    env: dict[str, str], config_file: Path, server: FakeOpenAI
) -> None:
    config_file.write_text(
        'provider = "deepseek"\n\n[providers.deepseek]\n'
        f'base_url = "{server.base_url}"\nmodel = "deepseek-reasoner"\n'
    )
    environ = {**env, "DEEPSEEK_API_KEY": "sk-deepseek-key"}
    result = run(environ, "--max-tokens", "7", "hi")
    assert result.returncode == 0, result.stderr
    path, authorization, body = last_request(server)
    assert path == "/v1/chat/completions"
    assert authorization == "Bearer sk-deepseek-key"  # not the OPENAI_API_KEY also set
    assert body["model"] == "deepseek-reasoner"  # the table beats the preset
    assert body["max_tokens"] == 7 and "max_completion_tokens" not in body  # the preset's field

    result = run(environ, "--model", "deepseek-chat", "--api-key", "sk-flag", "hi")
    assert result.returncode == 0, result.stderr
    _, authorization, body = last_request(server)
    assert authorization == "Bearer sk-flag" and body["model"] == "deepseek-chat"


def test_provider_from_the_environment_and_key_from_dotenv(
    env: dict[str, str], config_file: Path, server: FakeOpenAI
) -> None:
    config_file.write_text(f'[providers.moonshot]\nbase_url = "{server.base_url}"\n')
    Path(".env").write_text("MOONSHOT_API_KEY=sk-moon-from-dotenv\n")
    result = run({**env, "CHATCLI_PROVIDER": "moonshot"}, "hi")
    assert result.returncode == 0, result.stderr
    _, authorization, body = last_request(server)
    assert authorization == "Bearer sk-moon-from-dotenv"
    assert body["model"] == "moonshot-v1-8k"


def test_a_provider_without_its_key_names_the_variable(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    result = run(env, "--provider", "deepseek", "hi")
    assert result.returncode == 2
    assert result.stderr == (
        "chatcli: no API key for deepseek: set DEEPSEEK_API_KEY in the environment "
        "or in a .env file here\n"
    )
    assert server.requests == []


def test_unknown_provider_lists_the_known_ones(env: dict[str, str]) -> None:
    result = run(env, "--provider", "deepsek", "hi")
    assert result.returncode == 2
    assert result.stderr == (
        "chatcli: unknown provider deepsek — did you mean deepseek? "
        f"(known: {', '.join(PRESETS)})\n"
    )


def test_unknown_provider_in_config_or_environment_says_where(
    env: dict[str, str], config_file: Path
) -> None:
    config_file.write_text('model = "m"\nprovider = "kimi"\n')
    result = run(env, "hi")
    assert result.returncode == 2
    assert result.stderr.startswith(f"chatcli: {config_file}:2: unknown provider kimi (known: ")
    result = run({**env, "CHATCLI_PROVIDER": "kimi"}, "hi")
    assert result.stderr.startswith("chatcli: CHATCLI_PROVIDER: unknown provider kimi (known: ")


def test_providers_lists_key_availability_never_the_key(
    env: dict[str, str], config_file: Path
) -> None:
    config_file.write_text('[providers.mine]\nbase_url = "http://127.0.0.1:9/v1"\n')
    Path(".env").write_text("QWEN_UNUSED=1\nDASHSCOPE_API_KEY=sk-dashscope-secret\n")
    result = run({**env, "DEEPSEEK_API_KEY": "sk-deepseek-secret"}, "--providers")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert list(rows) == [*PRESETS, "mine"]
    assert "✓ available (env DEEPSEEK_API_KEY)" in rows["deepseek"]
    assert "✓ available (.env DASHSCOPE_API_KEY)" in rows["qwen"]
    assert "✗ not set" in rows["zhipu"]
    assert "not needed" in rows["ollama"] and "not needed" in rows["mine"]
    assert "(current)" in rows["openai"] and "(config file)" in rows["mine"]
    assert "secret" not in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('model = "x"\ntemperature = \n', "2: invalid value (column 15)"),
        ('model = "x"\n[providers.a\n', "2: expected ']' at the end of a table declaration"),
        ('model = "x"\n\ntemprature = 0.5\n', "3: unknown setting temprature — did you mean "),
        ('model = "x"\ntemperature = 5\n', "2: temperature: 5 is out of range (allowed: 0 to 2)"),
        ("[providers.x]\nmodel = 'm'\n", "1: the new provider [providers.x] needs a base_url"),
        (
            "[providers.deepseek]\nbase_url = 'api.deepseek.com'\n",
            "2: [providers.deepseek] base_url: must start with http:// or https://",
        ),
        (
            "[providers.deepseek]\n\nmodle = 'm'\n",
            "3: [providers.deepseek] modle: no such field — did you mean model?",
        ),
    ],
)
def test_config_mistakes_name_file_and_line(
    env: dict[str, str], config_file: Path, server: FakeOpenAI, text: str, message: str
) -> None:
    config_file.write_text(text)
    result = run(env, "hi")
    assert result.returncode == 2
    assert result.stderr.startswith(f"chatcli: {config_file}:{message}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert server.requests == []


def test_config_path_that_is_a_directory_or_missing(env: dict[str, str], tmp_path: Path) -> None:
    result = run({**env, "CHATCLI_CONFIG": str(tmp_path)}, "hi")
    assert result.returncode == 2
    assert result.stderr == (
        f"chatcli: {tmp_path}: is a directory, not a config file (see chatcli --config-path)\n"
    )
    missing = tmp_path / "nope.toml"
    result = run({**env, "CHATCLI_CONFIG": str(missing)}, "hi")
    assert result.returncode == 2
    assert f"{missing}: no such file (CHATCLI_CONFIG points here" in result.stderr


def test_chinese_messages_for_config_mistakes(env: dict[str, str], config_file: Path) -> None:
    config_file.write_text("temprature = 1\n")
    result = run({**env, "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "hi")
    assert result.returncode == 2
    assert result.stderr.startswith(f"chatcli: {config_file}:1：没有 temprature 这个设置")


def test_local_provider_means_local() -> None:
    settings = Settings(provider="local")
    assert settings.local is True
    assert settings.chosen_provider.local
    assert settings.origin("local").kind == "provider"


def test_openai_variables_belong_to_the_openai_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SILICONFLOW_API_KEY", "sk-silicon")
    openai = Settings()
    assert openai.base_url == "http://127.0.0.1:9/v1"
    assert openai.max_tokens_field is None  # another server behind OPENAI_BASE_URL: guess
    silicon = Settings(provider="siliconflow")
    assert silicon.base_url == "https://api.siliconflow.cn/v1"
    assert silicon.api_key is not None and silicon.api_key.get_secret_value() == "sk-silicon"
    assert silicon.model == "Qwen/Qwen2.5-7B-Instruct"
    assert silicon.max_tokens_field == "max_tokens"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert Settings().max_tokens_field == "max_completion_tokens"  # OpenAI's own server
