"""Roles: Markdown files (or built-in ones) that bring a prompt, a model and parameters; what
reaches the server, what is refused in one line, and how flags and roles rank."""

from __future__ import annotations

import stat
from collections.abc import Callable

import pytest

from chatcli.config.roles import RoleError, find, parse, roles_dir
from tests.conftest import Terminal, run_chatcli
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


def write_role(name: str, text: str) -> None:
    folder = roles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(text, encoding="utf-8")


def test_front_matter_values_are_read_as_json_when_they_are() -> None:
    role = parse("r", '---\nmodel: qwen-plus\ntemperature: 0.3\nstop: ["END"]\n# note\n---\nHi\n')
    assert role.settings == {"model": "qwen-plus", "temperature": 0.3, "stop": ["END"]}
    assert (role.prompt, role.is_template) == ("Hi", False)
    assert parse("r", "Just a prompt").settings == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "---\ncolour: red\n---\nx",
            "r.md:2: unknown key 'colour' (allowed: model, provider and generation parameters)",
        ),
        ("---\ntemperature: 5\n---\nx", "r.md: temperature: 5 is out of range (allowed: 0 to 2)"),
        ("---\nmodel: 3\n---\nx", "r.md: model needs a name"),
        ("---\ntemperature: 1\nx", "r.md: the front matter has no closing ---"),
        ("---\n---\n  \n", "r.md: no prompt"),
    ],
)
def test_a_bad_role_is_one_line_naming_file_and_line(text: str, message: str) -> None:
    with pytest.raises(RoleError) as refused:
        parse("r", text, "r.md")
    assert str(refused.value) == message


def test_a_users_file_wins_over_a_built_in_role_of_the_same_name() -> None:
    assert find("shell").origin == ""
    write_role("shell", "Always answer with `ls`.")
    assert find("shell").prompt == "Always answer with `ls`."
    with pytest.raises(
        RoleError, match=r"^no role 'nope' \(known: shell, 中英互译, 代码审查, 润色\)$"
    ):
        find("nope")


def test_a_template_role_fills_the_message_and_sends_no_system_prompt(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    result = run_chatcli(env, "--role", "中英互译", "今天天气很好")
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert [m["role"] for m in body["messages"]] == ["user"]
    sent = body["messages"][0]["content"]
    assert sent.startswith("把下面的文字翻译成另一种语言") and sent.endswith("\n\n今天天气很好")
    assert body["temperature"] == 0.2


def test_flags_win_over_the_roles_front_matter_which_wins_over_the_environment(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    write_role(
        "review", "---\nmodel: deepseek-chat\ntemperature: 0.1\ntop_p: 0.5\n---\n你是审查者。"
    )
    result = run_chatcli(
        {**env, "CHATCLI_TOP_P": "0.9", "CHATCLI_MODEL": "gpt-4o"},
        "-r",
        "review",
        "--temperature",
        "1",
        "看看",
    )
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert body["messages"][0] == {"role": "system", "content": "你是审查者。"}
    assert (body["model"], body["temperature"], body["top_p"]) == ("deepseek-chat", 1.0, 0.5)


def test_init_role_writes_a_private_starter_once(env: dict[str, str], server: FakeOpenAI) -> None:
    first = run_chatcli(env, "--init-role", "mine")
    path = roles_dir() / "mine.md"
    assert first.returncode == 0 and str(path) in first.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = run_chatcli(env, "--init-role", "mine")
    assert (again.returncode, again.stderr) == (2, f"chatcli: {path} exists; not overwritten\n")
    used = run_chatcli(env, "--role", "mine", "hi")
    assert used.returncode == 0, used.stderr
    assert server.chat_requests[-1]["temperature"] == 0.7


def test_an_unknown_role_stops_before_any_request(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run_chatcli(env, "--role", "nope", "hi")
    assert result.returncode == 2 and result.stderr.startswith("chatcli: no role 'nope' (known: ")
    assert server.requests == []


def test_roles_and_role_in_the_chat(server: FakeOpenAI, terminal: Start) -> None:
    term = terminal()
    term.prompt()
    term.send("/roles")
    term.expect(r"代码审查\s+你是一位严谨的资深工程师")
    term.chat("hello")
    term.prompt()
    term.send("/role 代码审查")
    term.expect("new conversation as 代码审查")
    term.chat("def f: pass")
    messages = server.chat_requests[-1]["messages"]
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith("你是一位严谨")
    assert [m["content"] for m in messages[1:]] == ["def f: pass"]  # the old turns are gone
    assert server.chat_requests[-1]["temperature"] == 0.2
    term.prompt()
    term.send("/role nope")
    term.expect(r"no role 'nope'")
    term.quit()
