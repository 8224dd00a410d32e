"""Reasoning models against the loopback server: every dialect gives the same thoughts and
answer, the history (and so the next request) carries the answer only, a reply cut while
thinking is kept with its reasoning instead of failing as empty, and tokens/s counts only
tokens made in the span it divides by."""

from __future__ import annotations

from typing import Literal

import pytest

from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import Delta, Reply, Thought
from chatcli.conversation.wire import Usage, decode_chunk
from tests.conftest import make_bot
from tests.fake_server import Behaviour, FakeOpenAI

Dialect = Literal["reasoning_content", "reasoning", "think"]
DIALECTS: list[Dialect] = ["reasoning_content", "reasoning", "think"]
THOUGHT = "The user greets me. I should answer briefly and kindly."
ANSWER = "Hello! How can I help?"


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_dialect_splits_thoughts_from_the_answer(
    server: FakeOpenAI, dialect: Dialect, stream: bool
) -> None:
    server.expect(Behaviour(reply=ANSWER, reasoning=THOUGHT, reasoning_field=dialect))
    bot = make_bot(server, stream=stream)
    turn = bot.stream_turn("hi")
    events = list(turn)
    thoughts = "".join(e.text for e in events if isinstance(e, Thought))
    answer = "".join(e.text for e in events if isinstance(e, Delta))
    assert (thoughts.strip(), answer) == (THOUGHT, ANSWER)
    reply = turn.reply
    assert reply is not None
    assert (reply.text, reply.reasoning.strip()) == (ANSWER, THOUGHT)
    assert not reply.reasoning_unclosed
    assert reply.thinking_seconds is not None
    if stream:  # every thought comes before the first piece of the answer
        kinds = [type(e) for e in events]
        assert kinds.index(Delta) > max(k for k, kind in enumerate(kinds) if kind is Thought)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_next_request_carries_the_answer_only(server: FakeOpenAI, dialect: Dialect) -> None:
    server.expect(Behaviour(reply=ANSWER, reasoning=THOUGHT, reasoning_field=dialect))
    bot = make_bot(server)
    bot("hi")
    bot("and then?")
    sent = server.chat_requests[-1]["messages"]
    assert sent[1] == {"role": "assistant", "content": ANSWER}
    assert "think" not in str(sent) and "greets" not in str(sent)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_reply_cut_while_thinking_is_kept_not_called_empty(
    server: FakeOpenAI, dialect: Dialect
) -> None:
    server.expect(Behaviour(reply=ANSWER, reasoning=THOUGHT, reasoning_field=dialect))
    bot = make_bot(server, params=GenerationParams(max_tokens=5))
    turn = bot.stream_turn("hi")
    list(turn)  # no EmptyReply
    reply = turn.reply
    assert reply is not None and reply.unanswered
    assert reply.text == "" and reply.finish_reason == "length"
    assert reply.reasoning.startswith("The user greets")
    assert reply.reasoning_unclosed == (dialect == "think")
    assert bot.history == [] and bot.unanswered is reply
    bot("again")  # no empty assistant message, no dangling question
    assert server.chat_requests[-1]["messages"] == [{"role": "user", "content": "again"}]
    assert bot.unanswered is None


def test_template_opened_thinking_is_taken_back_from_the_answer(server: FakeOpenAI) -> None:
    """`<think>` was in the prompt: the reply starts inside the thinking, `</think>` first."""
    server.expect(Behaviour(chunks=["Let me ", "think.</th", "ink>\n\n", "Yes", "."]))
    bot = make_bot(server)
    reply_text = bot("q")
    assert reply_text == "Yes."
    assert bot.replies[-1].reasoning == "Let me think."
    assert bot.history[-1] == {"role": "assistant", "content": "Yes."}


def test_reasoning_tokens_are_read_and_rates_use_their_own_span() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 1100,
        "completion_tokens_details": {"reasoning_tokens": 1000},
    }
    events = list(decode_chunk({"choices": [], "usage": usage}))
    assert events[-1].usage.reasoning_tokens == 1000  # type: ignore[union-attr]
    known = Usage(10, 1100, 1110, reasoning_tokens=1000)
    # 10 s of thinking from 0.5 s, the answer from 10.5 s to 12.5 s: 100 answer tokens in 2 s
    reply = Reply(["a"], ["stop"], known, elapsed=12.5, first_token_after=0.5)
    reply.reasoning, reply.thinking_seconds = "thought", 10.5
    assert reply.tokens_per_second == pytest.approx(50)
    # without the server's count: every completion token over the whole generation (12 s)
    reply.usage = Usage(10, 1100, 1110)
    assert reply.tokens_per_second == pytest.approx(1100 / 12)


def test_reasoning_field_that_is_an_object_is_no_failure() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "x", "reasoning": {"effort": "low"}}}]}
    assert [type(e).__name__ for e in decode_chunk(chunk)] == ["TextDelta"]


def test_thinking_does_not_inflate_the_context_estimate(server: FakeOpenAI) -> None:
    """The scale that turns estimates into the server's tokens is learnt from the answer:
    2,000 tokens of thought must not make every later estimate four times too big."""
    plain, thinker = make_bot(server), make_bot(server)
    server.expect(Behaviour(reply=ANSWER), Behaviour(reply=ANSWER, reasoning=THOUGHT * 50))
    plain("hi")
    thinker("hi")
    assert thinker.token_scale == pytest.approx(plain.token_scale)
