"""The installed chatcli in a real pseudo-terminal against the loopback server."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from tests.conftest import Terminal
from tests.conftest import run_chatcli as run
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]


def test_multi_turn_conversation_and_exit_word(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal("--system", "用鲁迅的语气和我说话。")
    term.prompt()
    term.send("你好，我是羚伊")
    term.expect("Echo: 你好，我是羚伊")
    term.expect(r"tokens · [\d.]+ s")
    term.prompt()
    term.send("我叫什么")
    term.expect("Echo: 我叫什么")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert server.chat_requests[-1]["messages"] == [
        {"role": "system", "content": "用鲁迅的语气和我说话。"},
        {"role": "user", "content": "你好，我是羚伊"},
        {"role": "assistant", "content": "Echo: 你好，我是羚伊"},
        {"role": "user", "content": "我叫什么"},
    ]


def test_markdown_is_rendered_not_shown_raw(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="# Big title\n\nSome **bold** words.\n\n```python\nx = 1\n```\n"))
    term = terminal()
    term.prompt()
    term.send("show markdown")
    screen = term.expect(r"tokens")
    assert "**bold**" not in screen and "bold" in screen
    assert "```" not in screen and "[1] python" in screen
    assert "# Big title" not in screen and "Big title" in screen


def test_ctrl_c_mid_reply_keeps_partial_and_continues(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=3)
    server.expect(Behaviour(reply="tick " * 400, hold=gate))
    term = terminal()
    term.prompt()
    term.send("count")
    term.expect("tick tick tick")
    term.child.sendintr()
    term.expect("interrupted")
    gate.open()
    term.prompt()
    term.send("after")
    term.expect("Echo: after")
    term.prompt()
    term.child.sendeof()
    assert term.exit_status() == 0
    sent = server.chat_requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    partial = sent[1]["content"]
    assert partial.startswith("tick tick") and len(partial) < len("tick " * 400)


def test_ctrl_c_at_prompt_says_how_to_quit(terminal: Start) -> None:
    term = terminal()
    term.prompt()
    term.child.send("half typed")
    term.child.sendintr()
    term.expect("退出")
    term.prompt()
    term.send("exit")
    assert term.exit_status() == 0


def test_error_then_recovery_with_consistent_history(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal("--max-retries", "0")
    term.prompt()
    term.send("first")
    term.expect("Echo: first")
    server.expect(Behaviour(status=401, error={"message": "Incorrect API key provided"}))
    term.prompt()
    term.send("second")
    term.expect(r"rejected \(401\)")
    term.prompt()
    term.send("third")
    term.expect("Echo: third")
    term.prompt()
    term.send("/quit")
    assert term.exit_status() == 0
    contents = [m["content"] for m in server.chat_requests[-1]["messages"]]
    assert contents == ["first", "Echo: first", "third"]


def test_length_cut_and_fingerprint_are_reported(terminal: Start) -> None:
    term = terminal("--max-tokens", "2", "--seed", "7")
    term.prompt()
    term.send("one two three four")
    term.expect("cut off by the token limit")
    term.expect("fingerprint fp_test")


def test_n_choices_each_under_a_heading(terminal: Start) -> None:
    term = terminal("-n", "2")
    term.prompt()
    term.send("pick")
    term.expect("Choice 1")
    term.expect("Echo: pick")
    term.expect("Choice 2")
    term.expect(r"\[2\] Echo: pick")


def test_logprobs_are_shown(terminal: Start) -> None:
    term = terminal("--logprobs")
    term.prompt()
    term.send("a b")
    term.expect("token probabilities")
    term.expect("90%")


def test_model_commands(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal()
    term.prompt()
    term.send("/models")
    term.expect("deepseek-chat")
    term.prompt()
    term.send("/model qwen-plus")
    term.expect("switched to model qwen-plus")
    term.expect("qwen-plus>")
    term.send("hi")
    term.expect("Echo: hi")
    assert server.chat_requests[-1]["model"] == "qwen-plus"


def test_unknown_command_suggests(terminal: Start) -> None:
    term = terminal()
    term.prompt()
    term.send("/modle")
    term.expect("did you mean /model")


def test_chinese_interface(terminal: Start, env: dict[str, str]) -> None:
    term = terminal("--lang", "zh")
    term.expect("输入 /help 查看命令")
    term.prompt()
    term.send("/clear")
    term.expect("对话历史已清空")


def test_every_flag_arrives_in_the_request(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(
        env,
        *("--model", "deepseek-chat", "--system", "be brief", "--temperature", "0.7"),
        *("--top-p", "0.9", "--max-tokens", "64", "-n", "2", "--stop", "END", "--stop", "STOP"),
        *("--seed", "42", "--frequency-penalty", "0.5", "--presence-penalty", "-0.5"),
        *("--logit-bias", "50256=-100", "--logit-bias", "42=10", "--logprobs"),
        *("--top-logprobs", "2", "--json", "--no-stream", "--timeout", "9", "--max-retries", "1"),
        "json please",
    )
    assert result.returncode == 0, result.stderr
    body = server.chat_requests[-1]
    assert body["model"] == "deepseek-chat"
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["temperature"] == 0.7 and body["top_p"] == 0.9 and body["max_tokens"] == 64
    assert body["n"] == 2 and body["stop"] == ["END", "STOP"] and body["seed"] == 42
    assert body["frequency_penalty"] == 0.5 and body["presence_penalty"] == -0.5
    assert body["logit_bias"] == {"50256": -100, "42": 10}
    assert body["logprobs"] is True and body["top_logprobs"] == 2
    assert body["response_format"] == {"type": "json_object"}
    assert "stream" not in body


def test_out_of_range_flag_refused_before_any_request(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    result = run(env, "--temperature", "5", "hi")
    assert result.returncode == 2
    assert result.stderr.strip() == "chatcli: --temperature: 5 is out of range (allowed: 0 to 2)"
    assert "Traceback" not in result.stderr
    assert server.requests == []


def test_unknown_flag_suggests_the_closest(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "--temprature", "1")
    assert result.returncode == 2
    assert "did you mean --temperature?" in result.stderr
    assert server.requests == []


def test_history_limit_keeps_system(terminal: Start, server: FakeOpenAI) -> None:
    term = terminal("--history-limit", "2", "--system", "S")
    for word in ("a", "b", "c"):
        term.prompt()
        term.send(word)
        term.expect(f"Echo: {word}")
    contents = [m["content"] for m in server.chat_requests[-1]["messages"]]
    assert contents == ["S", "b", "Echo: b", "c"]


def test_exit_command_is_configurable(terminal: Start) -> None:
    term = terminal("--exit-command", "bye")
    term.prompt()
    term.send("bye")
    assert term.exit_status() == 0


def test_ctrl_c_mid_line_leaves_no_line_twice(terminal: Start, server: FakeOpenAI) -> None:
    """The terminal's "^C" echo must not shift the live region: every line shown once."""
    import pyte

    sentences = " ".join(f"Sentence {i:02d} goes on for a while." for i in range(60))
    gate = Gate(after=7 * 25)  # seven pieces a sentence: held after sentence 24
    server.expect(Behaviour(reply=sentences, hold=gate))
    term = terminal()
    term.prompt()
    term.send("talk")
    term.expect("Sentence 2[0-9]")
    term.child.sendintr()
    term.expect("interrupted")
    gate.open()
    term.prompt()
    screen = pyte.Screen(120, 40)
    pyte.Stream(screen).feed(term.transcript())
    shown = "\n".join(screen.display)
    numbers = [n for n in range(60) if f"Sentence {n:02d}" in shown]
    assert len(numbers) >= 20
    for n in numbers:
        assert shown.count(f"Sentence {n:02d}") == 1, n
    assert "^C" not in shown


def test_chinese_locale_gives_chinese_interface(terminal: Start) -> None:
    term = terminal(extra_env={"LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8"})
    term.expect("输入 /help 查看命令")
    term.prompt()
    term.send("/history")
    term.expect("还没有对话")
    term.prompt()
    term.send("exit")
    assert term.exit_status() == 0


def test_python_dash_m_works(env: dict[str, str], server: FakeOpenAI) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "chatcli", "hello"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and result.stdout == "Echo: hello\n"
