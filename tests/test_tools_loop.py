"""The tool-call loop against the loopback server: calls assembled from deltas split anywhere,
run in order through the toolbox, answered one `tool` message each, and the turn kept whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatcli.conversation.bot import ChatBot, fit_context, group_turns
from chatcli.conversation.wire import Malformed, ToolCallDelta, decode_chunk
from chatcli.tools.builtin import builtin_tools
from chatcli.tools.runner import Consent, Tool, Toolbox, ToolRecord
from tests.conftest import make_bot
from tests.fake_server import Behaviour, FakeOpenAI


class Answers:
    """A user who answers the consent prompts from a list (and is asked nothing more)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.lines: list[str] = []
        self.reports: list[ToolRecord] = []

    def consent(self, tool: Tool, arguments: dict[str, Any]) -> Consent:
        self.asked.append((tool.name, arguments))
        return Consent(self.answers.pop(0), arguments)  # type: ignore[arg-type]

    def report(self, record: ToolRecord) -> None:
        self.reports.append(record)

    def problem(self, text: str) -> None:
        self.lines.append(text)

    def notice(self, text: str) -> None:
        self.lines.append(text)


def tooled_bot(server: FakeOpenAI, ui: Answers, **kwargs: Any) -> tuple[ChatBot, Toolbox]:
    box = Toolbox(ui)
    box.add(builtin_tools())
    box.tools["read_file"].enabled = True
    return make_bot(server, tools=box, **kwargs), box


def call(ident: str, name: str, arguments: Any) -> dict[str, str]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": ident, "name": name, "arguments": text}


def valid_history(messages: list[dict[str, Any]]) -> bool:
    """Every assistant message with calls is followed at once by one result per call."""
    for i, message in enumerate(messages):
        if message.get("role") == "tool" and not any(
            m.get("tool_calls") for m in messages[max(0, i - 64) : i]
        ):
            return False
        ids = [c["id"] for c in message.get("tool_calls") or []]
        following = [m.get("tool_call_id") for m in messages[i + 1 : i + 1 + len(ids)]]
        if ids and following != ids:
            return False
    return True


def test_split_parallel_calls_are_assembled_and_answered(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("alpha 甲", encoding="utf-8")
    (tmp_path / "b.txt").write_text("beta", encoding="utf-8")
    calls = [
        call("call_a", "read_file", {"path": str(tmp_path / "a.txt")}),
        call("call_b", "read_file", {"path": str(tmp_path / "b.txt")}),
    ]
    server.expect(
        Behaviour(reply="Let me look.", tool_calls=calls, tool_split=3, tool_interleave=True),
        Behaviour(reply="Both read."),
    )
    ui = Answers("yes", "yes")
    bot, box = tooled_bot(server, ui)
    assert bot("read both") == "Both read."
    first, second = server.chat_requests
    assert [t["function"]["name"] for t in first["tools"]] == ["read_file"]
    sent = second["messages"]
    assert sent[1]["tool_calls"] == [
        {
            "id": c["id"],
            "type": "function",
            "function": {"name": c["name"], "arguments": c["arguments"]},
        }
        for c in calls
    ]
    assert sent[1]["content"] == "Let me look."
    assert sent[2] == {"role": "tool", "tool_call_id": "call_a", "content": "alpha 甲"}
    assert sent[3] == {"role": "tool", "tool_call_id": "call_b", "content": "beta"}
    assert [name for name, _ in ui.asked] == ["read_file", "read_file"]
    assert [r.number for r in box.records] == [1, 2]
    assert bot.history == [*sent[:4], {"role": "assistant", "content": "Both read."}]


def test_whole_replies_carry_calls_too(server: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    server.expect(
        Behaviour(
            reply="", tool_calls=[call("c1", "read_file", {"path": str(tmp_path / "a.txt")})]
        ),
        Behaviour(reply="done"),
    )
    bot, _ = tooled_bot(server, Answers("yes"), stream=False)
    assert bot("read it") == "done"
    assert server.chat_requests[1]["messages"][2]["content"] == "alpha"


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        (call("c1", "read_file", '{"path": "a.txt"'), "not a valid JSON object"),
        (call("c1", "delete_everything", {}), "no tool here"),
        (call("c1", "run_command", {"command": "true"}), "which is off"),
        (call("c1", "read_file", "[1, 2]"), "not a valid JSON object"),
    ],
)
def test_bad_calls_get_an_error_result_and_one_line(
    server: FakeOpenAI, bad: dict[str, str], said: str
) -> None:
    server.expect(Behaviour(reply="", tool_calls=[bad], tool_split=5), Behaviour(reply="sorry"))
    ui = Answers()
    bot, box = tooled_bot(server, ui)
    assert bot("go") == "sorry"
    result = server.chat_requests[1]["messages"][2]
    assert result["role"] == "tool" and result["content"].startswith("error:")
    assert len(ui.lines) == 1 and said in ui.lines[0]
    assert ui.asked == []
    # numbered all the same, as it is once the conversation is resumed (`/tool 1`)
    assert [r.result for r in box.records] == [result["content"]]


def test_declined_call_tells_the_model(server: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("secret", encoding="utf-8")
    server.expect(
        Behaviour(
            reply="", tool_calls=[call("c1", "read_file", {"path": str(tmp_path / "a.txt")})]
        ),
        Behaviour(reply="ok"),
    )
    bot, _ = tooled_bot(server, Answers("no"))
    bot("read it")
    result = server.chat_requests[1]["messages"][2]["content"]
    assert result == "error: the user declined this call" and "secret" not in result


def test_endless_calling_stops_at_the_limit(server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="", tool_calls=[call("c", "nothing", {})], times=50))
    bot, _ = tooled_bot(server, Answers(), max_tool_rounds=3)
    turn = bot.stream_turn("loop")
    for _ in turn:
        pass
    assert turn.reply is not None and turn.reply.tool_limit_reached
    assert len(server.chat_requests) == 4
    assert valid_history(bot.history) and bot.history[-1]["role"] == "assistant"
    bot("next")  # the history it left is one a server takes
    assert valid_history(server.chat_requests[-1]["messages"])


def test_reasoning_goes_back_within_the_turn_only(server: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    server.expect(
        Behaviour(
            reply="",
            reasoning="I should read the file.",
            tool_calls=[call("c1", "read_file", {"path": str(tmp_path / "a.txt")})],
        ),
        Behaviour(reply="read"),
        Behaviour(reply="again"),
    )
    bot, _ = tooled_bot(server, Answers("yes"))
    bot("read")
    assert server.chat_requests[1]["messages"][1]["reasoning_content"] == "I should read the file."
    bot("and now?")
    assert not any("reasoning_content" in m for m in server.chat_requests[2]["messages"])


def test_undo_takes_the_whole_turn_with_its_calls(server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="", tool_calls=[call("c", "nothing", {})]), Behaviour(reply="x"))
    bot, _ = tooled_bot(server, Answers())
    bot("first")
    bot("second")
    assert bot.undo()
    assert len(bot.history) == 4 and bot.history[0]["content"] == "first"
    assert bot.take_back() == "first" and bot.history == []


def test_trimming_never_separates_calls_from_results() -> None:
    calls = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    history = [
        {"role": "user", "content": "one " * 200},
        {"role": "assistant", "content": None, "tool_calls": [calls]},
        {"role": "tool", "tool_call_id": "c", "content": "result " * 200},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "ok"},
    ]
    assert [len(turn) for turn in group_turns(history)] == [4, 2]
    new = {"role": "user", "content": "three"}
    for budget in range(10, 800, 7):
        plan = fit_context(None, history, new, budget)
        assert plan.messages[0]["role"] == "user" and valid_history(plan.messages)


def test_decoder_reads_tool_call_pieces() -> None:
    chunk = {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": "1", "id": "x", "function": {"name": "f", "arguments": "{"}}
                    ]
                },
            }
        ]
    }
    assert list(decode_chunk(chunk)) == [ToolCallDelta(0, 1, "x", "f", "{")]
    whole = {
        "choices": [{"message": {"tool_calls": [{"function": {"name": "f", "arguments": {}}}]}}]
    }
    assert list(decode_chunk(whole, "message")) == [ToolCallDelta(0, 0, None, "f", "{}")]


@pytest.mark.parametrize(
    "tool_calls",
    [
        "calls",
        [7],
        [{"index": 10**9, "function": {"name": "f"}}],
        [{"index": 0, "function": "f"}],
        [{"index": 0, "function": {"name": 3}}],
        [{"index": 0, "function": {"arguments": [1]}}],
    ],
)
def test_hostile_tool_calls_are_one_malformed_line(tool_calls: Any) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": tool_calls}}]}
    with pytest.raises(Malformed):
        list(decode_chunk(chunk))


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("required", "required"),
        ("read_file", {"type": "function", "function": {"name": "read_file"}}),
    ],
)
def test_tool_choice_is_sent_with_the_tools(server: FakeOpenAI, choice: str, sent: Any) -> None:
    bot, _ = tooled_bot(server, Answers(), tool_choice=choice)
    bot("hi")
    assert server.chat_requests[-1]["tool_choice"] == sent


def test_no_tools_enabled_sends_none(server: FakeOpenAI) -> None:
    box = Toolbox(Answers())
    box.add(builtin_tools())
    make_bot(server, tools=box, tool_choice="auto")("hi")
    assert "tools" not in server.chat_requests[-1]
    assert "tool_choice" not in server.chat_requests[-1]
