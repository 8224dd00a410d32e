"""The context window: estimates, trimming (property-tested), and the retry when the server
still says the prompt is too long."""

from __future__ import annotations

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatcli.config.model_info import FALLBACK_CONTEXT, default_context_tokens
from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import (
    MESSAGE_OVERHEAD,
    REQUEST_OVERHEAD,
    ChatBot,
    Message,
    estimate_message,
    estimate_text,
    fit_context,
    group_turns,
)
from tests.conftest import make_bot
from tests.fake_server import Behaviour, FakeOpenAI

OVERFLOW = Behaviour(
    status=400,
    error={
        "message": "This model's maximum context length is 8192 tokens.",
        "code": "context_length_exceeded",
    },
)


def test_estimates_count_cjk_per_character_and_other_text_per_four() -> None:
    assert estimate_text("") == 0
    assert estimate_text("你好世界") == 4
    assert estimate_text("abcdefgh") == 2
    assert estimate_text("你好 abcd") == 2 + 2  # " abcd" is 5 characters: 2 tokens
    assert estimate_text("こんにちは안녕") == 7
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    parts: Message = {"role": "user", "content": [{"type": "text", "text": "看图"}, image]}
    assert estimate_message(parts) > estimate_message({"role": "user", "content": "看图"}) + 500


def test_default_windows_by_model_family() -> None:
    assert default_context_tokens("gpt-4o") == 128_000
    assert default_context_tokens("gpt-4o-mini") == 128_000
    assert default_context_tokens("deepseek-chat") == 128_000
    assert default_context_tokens("qwen-plus") == 131_072
    assert default_context_tokens("moonshot-v1-32k") == 32 * 1024
    assert default_context_tokens("Qwen/Qwen2.5-7B-Instruct") == 32_768
    assert default_context_tokens("some-local-model") == FALLBACK_CONTEXT


def test_the_budget_follows_the_model_and_leaves_room_for_the_reply() -> None:
    bot = ChatBot(model="deepseek-chat")
    assert bot.context_window == 128_000
    assert bot.prompt_budget == 128_000 - 4096
    bot.model = "mystery"
    assert bot.prompt_budget == FALLBACK_CONTEXT - FALLBACK_CONTEXT // 4
    bot.params = GenerationParams(max_tokens=1000)
    bot.context_tokens = 3000
    assert bot.prompt_budget == 2000


# --- property tests of the pure trimming function -------------------------------------------

texts = st.text(alphabet=st.sampled_from("ab 中文\n"), max_size=40)


@st.composite
def histories(draw: st.DrawFn) -> list[Message]:
    """User/assistant turns, sometimes with an odd shape (a leading reply, a turn whose reply
    is missing, two replies), as loaded files and interrupted turns can produce."""
    history: list[Message] = []
    if draw(st.booleans()):
        history.append({"role": "assistant", "content": draw(texts)})
    for _ in range(draw(st.integers(0, 12))):
        history.append({"role": "user", "content": draw(texts)})
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            history.append({"role": "assistant", "content": draw(texts)})
    for number, message in enumerate(history):
        message["n"] = number  # distinct objects, so order can be checked
    return history


@given(
    history=histories(),
    system=st.one_of(st.none(), texts),
    new=texts,
    budget=st.integers(0, 400),
    trim_to=st.sampled_from([1.0, 0.6, 0.3]),
)
def test_trimming_properties(
    history: list[Message], system: str | None, new: str, budget: int, trim_to: float
) -> None:
    system_message = {"role": "system", "content": system} if system is not None else None
    new_message = {"role": "user", "content": new, "n": "new"}
    result = fit_context(system_message, history, new_message, budget, trim_to=trim_to)
    sent = result.messages

    # the system message and the new message are always sent, first and last
    assert sent[-1] is new_message
    if system_message is not None:
        assert sent[0] is system_message
    earlier = sent[1:-1] if system_message is not None else sent[:-1]

    # what is kept is a suffix of the history: order preserved, only the oldest dropped
    assert earlier == history[len(history) - len(earlier) :]
    # turns are never split: the kept part starts where a turn starts
    turns = group_turns(history)
    assert len(turns) - result.dropped == len(group_turns(earlier))
    starts = {sum(len(t) for t in turns[:k]) for k in range(len(turns) + 1)}
    assert len(history) - len(earlier) in starts

    # the estimate is honest, and under the budget whenever that is possible
    assert result.tokens == REQUEST_OVERHEAD + sum(estimate_message(m) for m in sent)
    floor = REQUEST_OVERHEAD + estimate_message(new_message)
    floor += estimate_message(system_message) if system_message is not None else 0
    if floor <= budget:
        assert result.tokens <= budget
    else:
        assert earlier == []
    # and nothing is dropped that did not have to be: all of it when it fits, else down to
    # `trim_to` of the budget and no further
    whole = REQUEST_OVERHEAD + sum(estimate_message(m) for m in [*history, new_message])
    whole += estimate_message(system_message) if system_message is not None else 0
    assert (result.dropped == 0) == (whole <= budget or not turns)
    if result.dropped:
        one_more = turns[result.dropped - 1]
        assert result.tokens + sum(estimate_message(m) for m in one_more) > budget * trim_to
    assert result.first is (earlier[0] if earlier else None)


@given(history=histories(), new=texts, budget=st.integers(0, 400), data=st.data())
def test_a_plan_starts_where_the_last_one_did_while_the_rest_fits(
    history: list[Message], new: str, budget: int, data: st.DataObject
) -> None:
    """The requests after a trim share their first messages, so a prefix cache keeps hitting."""
    turns = group_turns(history)
    new_message = {"role": "user", "content": new}
    start_at = data.draw(st.integers(0, len(turns)))
    start = turns[start_at][0] if start_at < len(turns) else None
    result = fit_context(None, history, new_message, budget, start=start)
    rest = REQUEST_OVERHEAD + sum(estimate_message(m) for t in turns[start_at:] for m in t)
    rest += estimate_message(new_message)
    if start is not None and rest <= budget:
        assert result.dropped == start_at and result.first is start
    else:
        assert result.dropped >= (start_at if start is not None else 0)


def test_an_empty_history_and_a_huge_budget_send_everything() -> None:
    new = {"role": "user", "content": "hi"}
    result = fit_context(None, [], new, 10**9)
    assert result.messages == [new] and result.dropped == 0
    assert result.tokens == REQUEST_OVERHEAD + MESSAGE_OVERHEAD + 1


# --- against the loopback server ------------------------------------------------------------


def long_chat(bot: ChatBot, turns: int) -> None:
    for i in range(turns):
        bot(f"question {i} " + "words " * 40)


def test_requests_drop_the_oldest_turns_but_the_history_keeps_them(server: FakeOpenAI) -> None:
    bot = make_bot(server, system="be brief", context_tokens=1000)
    long_chat(bot, 12)
    turn = bot.stream_turn("the newest question")
    list(turn)
    sent = server.chat_requests[-1]["messages"]
    # The budget is 750 (a quarter of 1000 kept for the reply); a turn is about 130 tokens.
    assert sent[0] == {"role": "system", "content": "be brief"}
    kept = sent[1:-1]
    assert 2 <= len(kept) < len(bot.history) - 2 and kept[0]["role"] == "user"
    assert kept == bot.history[-2 - len(kept) : -2]  # the newest turns, whole and in order
    assert sent[-1] == {"role": "user", "content": "the newest question"}
    assert len(bot.history) == 2 * 13  # only the request was trimmed


def test_after_a_trim_the_requests_share_their_start_until_the_window_fills(
    server: FakeOpenAI,
) -> None:
    """A provider's prefix cache (DeepSeek, OpenAI, Qwen) then serves most of each prompt."""
    server.prefix_cache = "deepseek"
    bot = make_bot(server, context_tokens=4000)
    long_chat(bot, 80)
    requests = server.chat_requests
    trims = [
        i
        for i in range(1, len(requests))
        if requests[i]["messages"][0] != requests[i - 1]["messages"][0]
    ]
    assert 2 <= len(trims) <= 12  # trimmed in blocks, not once per request
    for i in range(trims[0] + 1, len(requests)):
        before, now = requests[i - 1]["messages"], requests[i]["messages"]
        if i not in trims:
            assert now[: len(before)] == before  # the whole earlier request is the new prefix
    after = [r.usage for r in bot.replies[trims[0] :] if r.usage]
    cached = sum(u.cached_tokens or 0 for u in after) / sum(u.prompt_tokens for u in after)
    assert cached >= 0.8


def test_the_estimate_is_calibrated_by_the_servers_count(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    long_chat(bot, 3)
    usage = bot.replies[-1].usage
    assert usage is not None
    actual = usage.prompt_tokens + usage.completion_tokens
    uncalibrated = REQUEST_OVERHEAD + sum(estimate_message(m) for m in bot.history)
    assert abs(uncalibrated - actual) > 2 * len(bot.history)  # the raw estimate is off
    assert abs(bot.context_size() - actual) <= len(bot.history)  # rounding per message


def test_context_length_exceeded_trims_further_and_retries_once(server: FakeOpenAI) -> None:
    bot = make_bot(server, context_tokens=100_000)
    long_chat(bot, 6)
    server.expect(OVERFLOW)
    retried: list[int] = []
    turn = bot.stream_turn("and now?")
    turn.on_retry = lambda plan: retried.append(plan.dropped)
    assert "".join(d.text for d in turn) == "Echo: and now?"
    first, second = server.chat_requests[-2:]
    assert len(first["messages"]) == 13
    # half the budget, trimmed to TRIM_TO of that (as every trim): one turn of six is left
    assert retried == [5]
    assert len(second["messages"]) == 3
    assert second["messages"][-1]["content"] == "and now?"
    assert bot.learned_budget is not None and bot.prompt_budget == bot.learned_budget
    bot("next")  # the learned budget spares the next turn the failing first attempt
    following = server.chat_requests[-1]["messages"]
    assert len(server.chat_requests) == 6 + 3
    assert len(following) == len(second["messages"])  # the new turn replaced an older one
    assert following[-3:-1] == bot.history[-4:-2]  # the "and now?" turn, then the new one
    assert following[-1] == {"role": "user", "content": "next"}


def test_no_retry_when_nothing_is_left_to_drop(server: FakeOpenAI) -> None:
    bot = make_bot(server)
    server.expect(OVERFLOW)
    turn = bot.stream_turn("a single huge message")
    with pytest.raises(openai.BadRequestError, match="maximum context length"):
        list(turn)
    assert len(server.chat_requests) == 1
    assert bot.history == []
