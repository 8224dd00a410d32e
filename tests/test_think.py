"""The inline `<think>` splitter: the same reasoning and answer whatever the chunk boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcli.conversation.think import Piece, ThinkSplitter, split

# (reply, starts_inside) → (reasoning, answer, unclosed)
CASES: list[tuple[str, bool, tuple[str, str, bool]]] = [
    ("<think>用户问首都。</think>\n\n北京。", False, ("用户问首都。", "北京。", False)),
    ("  \n<think>a</think>b", False, ("a", "b", False)),
    ("plain answer", False, ("", "plain answer", False)),
    ("", False, ("", "", False)),
    ("<think>cut by the limit", False, ("cut by the limit", "", True)),
    ("<think></think>answer", False, ("", "answer", False)),
    (
        "reasoning without opener</think>\nanswer",
        False,
        ("reasoning without opener", "answer", False),
    ),
    ("inside from the start</think>answer", True, ("inside from the start", "answer", False)),
    ("still thinking", True, ("still thinking", "", True)),
    (
        "Use <think> to open and </think> to close.",
        False,
        ("", "Use <think> to open and </think> to close.", False),
    ),
    ("<thinking>not our tag</thinking>", False, ("", "<thinking>not our tag</thinking>", False)),
    ("<thi", False, ("", "<thi", False)),
    ("<think>a</thi", False, ("a</thi", "", True)),
    ("x </thin", False, ("", "x </thin", False)),
    ("<think>r</think>   ", False, ("r", "", False)),
]


def run(chunks: list[str], starts_inside: bool) -> tuple[str, str, bool]:
    splitter = ThinkSplitter(starts_inside=starts_inside)
    pieces: list[Piece] = []
    for chunk in chunks:
        pieces += splitter.feed(chunk)
    pieces += splitter.close()
    reasoning, answer = split(pieces)
    return reasoning, answer, splitter.unclosed


@pytest.mark.parametrize(("reply", "starts_inside", "expected"), CASES)
def test_whole_reply(reply: str, starts_inside: bool, expected: tuple[str, str, bool]) -> None:
    assert run([reply], starts_inside) == expected


@pytest.mark.parametrize(("reply", "starts_inside", "expected"), CASES)
def test_every_single_cut(reply: str, starts_inside: bool, expected: tuple[str, str, bool]) -> None:
    for cut in range(len(reply) + 1):
        assert run([reply[:cut], reply[cut:]], starts_inside) == expected, cut


@pytest.mark.parametrize(("reply", "starts_inside", "expected"), CASES)
def test_one_character_at_a_time(
    reply: str, starts_inside: bool, expected: tuple[str, str, bool]
) -> None:
    assert run(list(reply), starts_inside) == expected


fragments = st.sampled_from(
    ["<think>", "</think>", "<", "</", "think", ">", "\n", " ", "思考", "ok"]
)


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(fragments, max_size=12),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
    starts_inside=st.booleans(),
)
def test_any_chunking_gives_the_same_split(
    parts: list[str], cuts: list[int], starts_inside: bool
) -> None:
    reply = "".join(parts)
    points = sorted({min(c, len(reply)) for c in cuts})
    chunks = [reply[a:b] for a, b in zip([0, *points], [*points, len(reply)], strict=True)]
    assert run(chunks, starts_inside) == run([reply], starts_inside)


def test_nothing_is_held_longer_than_a_tag() -> None:
    """A live display must not wait on the splitter: text is released once it cannot be a tag."""
    splitter = ThinkSplitter()
    assert splitter.feed("<think>") == []
    assert splitter.thinking
    assert splitter.feed("step one </thi") == [Piece("reasoning", "step one ")]
    assert splitter.feed("s is not the end") == [Piece("reasoning", "</this is not the end")]
