"""--reasoning, --reasoning-effort and --extra-body (and their /set and config forms): what
reaches the server, what is refused in one line, and what --show-config says."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatcli.conversation.bot import ChatBot
from chatcli.terminal.commands import Context, dispatch
from tests.conftest import run_chatcli
from tests.fake_server import FakeOpenAI
from tests.test_commands import Recorder


@pytest.fixture
def config_file(isolated: Path) -> Path:
    path = isolated / ".config" / "chatcli" / "config.toml"
    path.parent.mkdir(parents=True)
    return path


def test_effort_and_extra_body_reach_the_request(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run_chatcli(
        env,
        "--reasoning-effort",
        "high",
        "--extra-body",
        '{"enable_thinking": false, "chat_template_kwargs": {"thinking": true}}',
        "--reasoning",
        "hide",
        "hi",
    )
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert body["reasoning_effort"] == "high"
    assert body["enable_thinking"] is False
    assert body["chat_template_kwargs"] == {"thinking": True}
    assert "reasoning" not in body  # a display choice, never sent
    assert body["messages"][-1] == {"role": "user", "content": "hi"}


def test_nothing_extra_is_sent_by_default(env: dict[str, str], server: FakeOpenAI) -> None:
    assert run_chatcli(env, "hi").returncode == 0
    body = server.chat_requests[-1]
    assert not {"reasoning_effort", "reasoning", "extra_body"} & set(body)


def test_a_provider_tables_extra_body_merges_under_the_flags(
    env: dict[str, str], server: FakeOpenAI, config_file: Path
) -> None:
    config_file.write_text(
        f'[providers.loop]\nbase_url = "{server.base_url}"\n'
        "extra_body = { enable_thinking = true, top_k = 20, chat_template_kwargs = { a = 1 } }\n"
    )
    result = run_chatcli(
        env,
        "-p",
        "loop",
        "--extra-body",
        '{"enable_thinking": false, "chat_template_kwargs": {"b": 2}}',
        "hi",
    )
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert body["enable_thinking"] is False  # the flag wins
    assert body["top_k"] == 20  # the table's other fields stay
    assert body["chat_template_kwargs"] == {"a": 1, "b": 2}


def test_the_provider_tables_extra_body_alone_is_sent(
    env: dict[str, str], server: FakeOpenAI, config_file: Path
) -> None:
    config_file.write_text(
        f'[providers.deepseek]\nbase_url = "{server.base_url}"\n'
        'extra_body = { thinking = { type = "enabled" } }\n'
    )
    result = run_chatcli({**env, "DEEPSEEK_API_KEY": "sk-ds"}, "-p", "deepseek", "hi")
    assert result.returncode == 0, result.stderr
    assert server.chat_requests[-1]["thinking"] == {"type": "enabled"}


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (
            ["--reasoning-effort", "extreme"],
            {},
            "chatcli: --reasoning-effort: 'extreme' is not one of the choices "
            "('minimal', 'low', 'medium' or 'high')",
        ),
        (
            ["--reasoning", "loud"],
            {},
            "chatcli: --reasoning: 'loud' is not one of the choices ('show', 'summary' or 'hide')",
        ),
        (
            ["--extra-body", "{enable_thinking: false}"],
            {},
            "chatcli: argument --extra-body: '{enable_thinking: false}' is not valid JSON "
            "(expected an object)",
        ),
        (
            ["--extra-body", "[1, 2]"],
            {},
            "chatcli: argument --extra-body: '[1, 2]' is not a JSON object ({...})",
        ),
        (
            ["--extra-body", '{"messages": []}'],
            {},
            "chatcli: --extra-body: 'messages' is set by chatcli itself, not through extra_body",
        ),
        (
            [],
            {"CHATCLI_EXTRA_BODY": "nope"},
            "chatcli: CHATCLI_EXTRA_BODY: 'nope' is not valid JSON (expected an object)",
        ),
        (
            [],
            {"CHATCLI_REASONING_EFFORT": "max"},
            "chatcli: CHATCLI_REASONING_EFFORT: 'max' is not one of the choices "
            "('minimal', 'low', 'medium' or 'high')",
        ),
    ],
)
def test_a_bad_value_is_one_line_and_nothing_is_sent(
    env: dict[str, str],
    server: FakeOpenAI,
    args: list[str],
    extra_env: dict[str, str],
    message: str,
) -> None:
    result = run_chatcli({**env, **extra_env}, *args, "hi")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == message + "\n"
    assert server.requests == []


def test_a_bad_extra_body_in_a_provider_table_names_file_and_line(
    env: dict[str, str], server: FakeOpenAI, config_file: Path
) -> None:
    config_file.write_text('[providers.deepseek]\nmodel = "m"\nextra_body = { model = "x" }\n')
    result = run_chatcli({**env, "DEEPSEEK_API_KEY": "sk-ds"}, "-p", "deepseek", "hi")
    assert result.returncode == 2
    assert result.stderr == (
        f"chatcli: {config_file}:3: [providers.deepseek] extra_body: "
        "'model' is set by chatcli itself, not through extra_body\n"
    )
    assert server.requests == []


def test_show_config_shows_the_controls_and_their_origin(
    env: dict[str, str], server: FakeOpenAI, config_file: Path
) -> None:
    config_file.write_text('reasoning_effort = "low"\n')
    result = run_chatcli(
        {**env, "CHATCLI_REASONING": "show"},
        "--extra-body",
        '{"enable_thinking": true}',
        "--show-config",
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:]}
    assert rows["reasoning"][1:] == ["show", "env", "CHATCLI_REASONING"]
    assert rows["reasoning_effort"][1:] == ["low", "config", "file", f"{config_file}:1"]
    assert rows["extra_body"][1:] == ['{"enable_thinking":', "true}", "flag", "--extra-body"]


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def ctx(server: FakeOpenAI, rec: Recorder) -> Context:
    bot = ChatBot(api_key="k", base_url=server.base_url, max_retries=0)
    return Context(bot=bot, out=rec, ui=rec, exit_command="退出")


def test_set_changes_what_the_next_request_carries(
    ctx: Context, rec: Recorder, server: FakeOpenAI
) -> None:
    dispatch(ctx, "/set reasoning_effort low")
    dispatch(ctx, '/set extra_body {"enable_thinking": false, "note": "it\'s kept as typed"}')
    dispatch(ctx, "/set reasoning show")
    assert rec.errors == []
    assert rec.lines[-3:] == [
        "reasoning_effort = low",
        'extra_body = {"enable_thinking": false, "note": "it\'s kept as typed"}',
        "reasoning = show",
    ]
    ctx.bot("hi")
    body = server.chat_requests[-1]
    assert body["reasoning_effort"] == "low"
    assert body["enable_thinking"] is False and body["note"] == "it's kept as typed"
    assert "reasoning" not in body
    dispatch(ctx, "/unset extra_body")
    dispatch(ctx, "/unset reasoning_effort")
    ctx.bot("again")
    assert not {"reasoning_effort", "enable_thinking"} & set(server.chat_requests[-1])


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            "/set reasoning_effort extreme",
            "reasoning_effort: 'extreme' is not one of the choices "
            "('minimal', 'low', 'medium' or 'high')",
        ),
        (
            "/set extra_body {enable_thinking: false}",
            "extra_body: '{enable_thinking: false}' is not valid JSON (expected an object)",
        ),
        ("/set extra_body 42", "extra_body: '42' is not a JSON object ({...})"),
        (
            '/set extra_body {"stream": false}',
            "extra_body: 'stream' is set by chatcli itself, not through extra_body",
        ),
        ("/set extra_body", "usage: /set PARAM VALUE (/set alone lists them)"),
        (
            "/set reasoning everything",
            "reasoning: 'everything' is not one of the choices ('show', 'summary' or 'hide')",
        ),
    ],
)
def test_set_refuses_a_bad_value_and_keeps_the_old_one(
    ctx: Context, rec: Recorder, line: str, error: str
) -> None:
    dispatch(ctx, '/set extra_body {"top_k": 20}')
    before = ctx.bot.params.model_dump()
    dispatch(ctx, line)
    assert rec.errors == [error]
    assert ctx.bot.params.model_dump() == before
