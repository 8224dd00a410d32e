"""ChatBot against the real loopback server: history, parameters, failures that change nothing."""

from __future__ import annotations

import pytest

from chatcli.config.settings import GenerationParams, Settings
from chatcli.conversation.bot import ChatBot
from chatcli.errors import EmptyReply, MissingApiKey, is_api_error
from tests.conftest import make_bot
from tests.fake_server import Behaviour, FakeOpenAI


def test_call_returns_text_and_remembers(server: FakeOpenAI) -> None:
    bot = make_bot(server, system="用鲁迅的语气和我说话。")
    assert bot("你好，我是羚伊") == "Echo: 你好，我是羚伊"
    bot("我叫什么")
    sent = server.chat_requests[-1]["messages"]
    assert sent == [
        {"role": "system", "content": "用鲁迅的语气和我说话。"},
        {"role": "user", "content": "你好，我是羚伊"},
        {"role": "assistant", "content": "Echo: 你好，我是羚伊"},
        {"role": "user", "content": "我叫什么"},
    ]


def test_stream_yields_deltas_and_reply_details(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(seed=1))
    turn = bot.stream_turn("one two three")
    pieces = [d.text for d in turn]
    assert len(pieces) > 1 and "".join(pieces) == "Echo: one two three"
    reply = turn.reply
    assert reply is not None
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens == len(pieces)
    assert reply.system_fingerprint == "fp_test"
    assert reply.model == "gpt-4o"
    assert server.chat_requests[-1]["stream_options"] == {"include_usage": True}


def test_no_stream_mode(server: FakeOpenAI) -> None:
    bot = make_bot(server, stream=False)
    assert bot("hi") == "Echo: hi"
    assert "stream" not in server.chat_requests[-1]


def test_every_parameter_reaches_the_request(server: FakeOpenAI) -> None:
    s = Settings(
        temperature="0.7",
        top_p="0.9",
        max_tokens="50",
        n="2",
        stop=["END", "STOP"],
        seed="42",
        frequency_penalty="0.5",
        presence_penalty="-0.5",
        logit_bias=["50256=-100"],
        top_logprobs="3",
        json_mode=True,
    )
    bot = make_bot(server, params=s.params)
    bot("json please")
    body = server.chat_requests[-1]
    assert body["temperature"] == 0.7 and body["top_p"] == 0.9
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert body["n"] == 2 and body["stop"] == ["END", "STOP"] and body["seed"] == 42
    assert body["frequency_penalty"] == 0.5 and body["presence_penalty"] == -0.5
    assert body["logit_bias"] == {"50256": -100}
    assert body["logprobs"] is True and body["top_logprobs"] == 3
    assert body["response_format"] == {"type": "json_object"}


def test_openai_host_gets_max_completion_tokens() -> None:
    bot = ChatBot(api_key="k", params=GenerationParams(max_tokens=5))
    kwargs = bot.request_kwargs([])
    assert kwargs["max_completion_tokens"] == 5 and "max_tokens" not in kwargs


def test_n_choices_first_enters_history(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(n=3))
    turn = bot.stream_turn("pick")
    list(turn)
    assert turn.reply is not None
    assert turn.reply.choices == ["Echo: pick", "[2] Echo: pick", "[3] Echo: pick"]
    assert bot.history[-1] == {"role": "assistant", "content": "Echo: pick"}


def test_logprobs_collected(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(logprobs=True))
    turn = bot.stream_turn("a b")
    list(turn)
    assert turn.reply is not None
    assert [lp.token for lp in turn.reply.logprobs] == ["Echo:", " a", " b"]


def test_length_finish_reason(server: FakeOpenAI) -> None:
    bot = make_bot(server, params=GenerationParams(max_tokens=2))
    turn = bot.stream_turn("one two three four")
    list(turn)
    assert turn.reply is not None and turn.reply.finish_reason == "length"


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        (Behaviour(status=500), "InternalServerError"),
        (Behaviour(status=401, error={"message": "bad key"}), "AuthenticationError"),
        (
            Behaviour(
                status=400,
                error={"message": "maximum context length", "code": "context_length_exceeded"},
                times=2,  # the automatic retry with fewer turns fails too
            ),
            "BadRequestError",
        ),
        (Behaviour(drop_after=3), "RemoteProtocolError"),
        (Behaviour(raw_events=["{not json"]), "Malformed"),
        (Behaviour(reply=""), "EmptyReply"),
        (Behaviour(reply="   \n"), "EmptyReply"),
    ],
    ids=["500", "401", "context", "dropped", "malformed", "empty", "whitespace"],
)
def test_failed_request_leaves_history_untouched(
    server: FakeOpenAI, behaviour: Behaviour, kind: str
) -> None:
    bot = make_bot(server)
    bot("first")
    before = list(bot.history)
    server.expect(behaviour)
    with pytest.raises(Exception) as failed:  # the kind is checked by name below
        bot("second")
    assert type(failed.value).__name__ == kind, repr(failed.value)
    assert is_api_error(failed.value), repr(failed.value)  # one the REPL survives, not a bug
    assert bot.history == before
    assert None not in [m["content"] for m in bot.history]
    bot("third")
    roles = [m["role"] for m in bot.history]
    assert roles == ["user", "assistant"] * 2
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == [
        "first",
        "Echo: first",
        "third",
    ]


def test_empty_reply_is_its_own_error(server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply=""))
    with pytest.raises(EmptyReply):
        make_bot(server)("x")


def test_interrupt_keeps_partial_reply_flagged(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    turn = bot.stream_turn("one two three four five")
    iterator = iter(turn)
    next(iterator)
    next(iterator)
    reply = turn.interrupt()
    assert reply.interrupted
    assert reply.text == "Echo: one"
    assert bot.history == [
        {"role": "user", "content": "one two three four five"},
        {"role": "assistant", "content": "Echo: one"},
    ]


def test_interrupt_before_any_text_changes_nothing(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    turn = bot.stream_turn("x")
    reply = turn.interrupt()
    assert reply.interrupted and reply.text == ""
    assert bot.history == []


def test_history_limit_trims_request_not_history(server: FakeOpenAI) -> None:
    bot = make_bot(server, system="sys", history_limit=2)
    for word in ("a", "b", "c"):
        bot(word)
    sent = server.chat_requests[-1]["messages"]
    assert [m["content"] for m in sent] == ["sys", "b", "Echo: b", "c"]
    assert len(bot.history) == 6


def test_missing_key_for_openai_is_reported_before_any_request() -> None:
    with pytest.raises(MissingApiKey):
        ChatBot()("hi")


def test_list_models(server: FakeOpenAI) -> None:
    assert "gpt-4o" in make_bot(server).list_models()


def test_set_system_restarts(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    bot("x")
    bot.set_system("new")
    assert bot.history == [] and bot.system == "new"


def test_sse_decoding() -> None:
    from chatcli.conversation.bot import sse_data

    lines = [": comment", "event: message", 'data: {"a":', "data: 1}", "", "data:[DONE]", ""]
    assert list(sse_data(lines)) == ['{"a":\n1}', "[DONE]"]
    assert list(sse_data(["data: tail without blank line"])) == ["tail without blank line"]
