"""The wire decoder on every hostile shape a server has sent: typed events or one `Malformed`."""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatcli.conversation.bot import Reply
from chatcli.conversation.wire import (
    Finish,
    LogprobsEvent,
    Malformed,
    Meta,
    ServerErrorEvent,
    TextDelta,
    Usage,
    UsageEvent,
    body_json,
    decode_chunk,
    decode_models,
    joined,
    sse_data,
    sse_lines,
)
from chatcli.errors import ChatcliError, NotAChatReply
from chatcli.terminal.exchange import logprob_text


def chunk(**choice: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, **choice}]}


def events(obj: Any, part: Any = "delta", n: int = 1) -> list[Any]:
    return list(decode_chunk(obj, part, n))


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (None, []),
        ({"choices": None}, []),
        ({"choices": [None]}, []),
        ({"choices": {"index": 0, "delta": {"content": "hi"}}}, [TextDelta(0, "hi")]),
        (chunk(index="0", delta={"content": "a"}), [TextDelta(0, "a")]),
        (chunk(index=0.0, delta={"content": "a"}), [TextDelta(0, "a")]),
        (chunk(index=None, delta={"content": "a"}), [TextDelta(0, "a")]),
        (
            chunk(delta={"content": [{"type": "text", "text": "a"}, {"text": "b"}]}),
            [TextDelta(0, "ab")],
        ),
        (chunk(delta={"content": [{"type": "image_url", "image_url": {}}]}), []),
        (chunk(delta=None, finish_reason="stop"), [Finish(0, "stop")]),
        ({"error": {"message": "overloaded"}}, [ServerErrorEvent("overloaded")]),
        ({"error": "down"}, [ServerErrorEvent("down")]),
        ({"model": "m", "system_fingerprint": 5}, [Meta("m", None)]),
    ],
)
def test_tolerated_shapes_have_a_plain_meaning(obj: Any, expected: list[Any]) -> None:
    assert events(obj) == expected


@pytest.mark.parametrize(
    "obj",
    [
        [1, 2],
        "text",
        5,
        True,
        {"choices": "x"},
        {"choices": [5]},
        chunk(index=-1, delta={"content": "a"}),
        chunk(index=1.5, delta={"content": "a"}),
        chunk(index=True, delta={"content": "a"}),
        chunk(index="one", delta={"content": "a"}),
        chunk(index=1_000_000_000, delta={"content": "a"}),
        chunk(delta="hello"),
        chunk(delta={"content": 5}),
        chunk(delta={"content": True}),
        chunk(delta={"content": [1, 2]}),
        chunk(finish_reason=5),
    ],
)
def test_schema_breaks_are_one_malformed_line(obj: Any) -> None:
    with pytest.raises(Malformed) as caught:
        events(obj)
    assert isinstance(caught.value, ChatcliError)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_whole_response_must_be_an_object() -> None:
    with pytest.raises(Malformed):
        events(None, "message")


def test_index_is_bounded_by_n() -> None:
    assert events(chunk(index=2, delta={"content": "c"}), n=3) == [TextDelta(2, "c")]
    with pytest.raises(Malformed, match="not a whole number from 0 to 2"):
        events(chunk(index=3, delta={"content": "c"}), n=3)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": "12", "completion_tokens": "3"}, Usage(12, 3, 15)),
        ({"prompt_tokens": 1.0, "completion_tokens": 2, "total_tokens": 3}, Usage(1, 2, 3)),
        ({"prompt_tokens": -1, "completion_tokens": 2}, None),
        ({"prompt_tokens": 10**30, "completion_tokens": 2}, None),
        ({"prompt_tokens": "1e9", "completion_tokens": 2}, None),
        ({"prompt_tokens": True, "completion_tokens": 2}, None),
        ("lots", None),
        ([1], None),
    ],
)
def test_usage_is_read_or_unknown_never_an_error(usage: Any, expected: Usage | None) -> None:
    got = [e.usage for e in events({"choices": [], "usage": usage}) if isinstance(e, UsageEvent)]
    assert got == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("logprobs", "expected"),
    [
        ({"content": [{"token": "a", "logprob": 1000}]}, [("a", 0.0)]),
        ({"content": [{"token": "a", "logprob": -math.inf}]}, [("a", -1000.0)]),
        ({"content": [{"token": "a", "logprob": math.inf}]}, [("a", 0.0)]),
        ({"content": [{"token": "a", "logprob": math.nan}]}, []),
        ({"content": [{"token": 5, "logprob": -1}, "x", None]}, []),
        ({"content": "x"}, []),
        ("x", []),
    ],
)
def test_logprobs_are_clamped_or_skipped(logprobs: Any, expected: list[Any]) -> None:
    decoded = [e for e in events(chunk(logprobs=logprobs)) if isinstance(e, LogprobsEvent)]
    items = [(i.token, i.logprob) for e in decoded for i in e.items]
    assert items == expected
    reply = Reply(["a"], ["stop"], logprobs=[i for e in decoded for i in e.items])
    logprob_text(reply)  # no OverflowError downstream


def test_top_logprobs_keep_the_good_alternatives() -> None:
    raw = {
        "content": [
            {"token": "a", "logprob": -1, "top_logprobs": [{"token": "b", "logprob": 5}, 7]}
        ]
    }
    (event,) = [e for e in events(chunk(logprobs=raw)) if isinstance(e, LogprobsEvent)]
    assert event.items[0].top == (("b", 0.0),)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"data": [{"id": "b"}, {"id": "a"}, "junk", {"name": "x"}, {"id": 5}, None]}, ["a", "b"]),
        ([{"id": "m"}], ["m"]),
        ({"data": []}, []),
    ],
)
def test_models_skip_entries_without_an_id(payload: Any, expected: list[str]) -> None:
    assert decode_models(payload) == expected


@pytest.mark.parametrize("payload", [None, "x", {"data": None}, {"data": {"id": "m"}}])
def test_a_models_answer_that_is_no_list_is_malformed(payload: Any) -> None:
    with pytest.raises(Malformed):
        decode_models(payload)


def test_a_web_page_is_named_as_such() -> None:
    with pytest.raises(NotAChatReply, match=r"HTML page \(text/html\).*<html><body>Sign in"):
        body_json("text/html; charset=utf-8", "<html><body>Sign in\n\n to the portal</body>")
    with pytest.raises(NotAChatReply, match="text/plain, not a chat reply: upstream"):
        body_json("text/plain", "upstream connect error")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["choices", "index", "delta", "message", "content", "usage", "error", "logprobs"]
)
SHAPED = st.recursive(
    JSON,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=30,
)


@given(SHAPED, st.sampled_from(["delta", "message"]), st.integers(1, 4))
def test_decoder_raises_nothing_but_malformed(obj: Any, part: Any, n: int) -> None:
    try:
        for event in decode_chunk(obj, part, n):
            if isinstance(event, (TextDelta, Finish, LogprobsEvent)):
                assert 0 <= event.index < n
    except Malformed:
        pass


@given(SHAPED)
def test_models_decoder_raises_nothing_but_malformed(obj: Any) -> None:
    with contextlib.suppress(Malformed):
        assert all(isinstance(name, str) for name in decode_models(obj))


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        (["data: a\u2028b\x85c\x1cd\n\n"], ["data: a\u2028b\x85c\x1cd", ""]),
        (["a\r", "\nb\rc\r\n", "d"], ["a", "b", "c", "d"]),
        (["ab", "cd\n", "\n"], ["abcd", ""]),
    ],
)
def test_lines_split_only_where_sse_says(chunks: list[str], lines: list[str]) -> None:
    assert list(sse_lines(chunks)) == lines


def test_an_endless_line_or_event_is_refused() -> None:
    with pytest.raises(Malformed, match="longer than 10"):
        list(sse_lines(["abcdef", "ghijkl"], limit=10))
    with pytest.raises(Malformed, match="longer than 10"):
        list(sse_data(["data: 12345", "data: 67890"], limit=10))
    with pytest.raises(Malformed, match="longer than 10"):
        joined(["12345", "67890"], limit=10)


@given(st.text(alphabet="ab\r\n\u2028", max_size=30), st.lists(st.integers(0, 30), max_size=5))
def test_lines_do_not_depend_on_where_the_network_cut(text: str, cuts: list[int]) -> None:
    points = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    chunks = [text[a:b] for a, b in itertools.pairwise(points)]
    expected = re.split("\r\n|\r|\n", text)
    if expected[-1] == "":
        expected.pop()
    assert list(sse_lines(chunks)) == expected
