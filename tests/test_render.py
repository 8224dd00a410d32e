"""The streaming renderer: blocks split right, each printed exactly once, however tall the reply."""

from __future__ import annotations

import io
import random
import re

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from chatcli.terminal.render import BlockSplitter, MarkdownStream, RawStream, code_blocks

MIXED = (
    "# Title\n\nSome para\nline two.\n\n- a\n- b\n\n- c\n\nAfter list.\n"
    "```python\nx = 1\n\ny = 2\n```\nText after\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n---\nend\n## h2\nx"
)


def split_randomly(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(text):
        k = rng.randint(1, 9)
        pieces.append(text[i : i + k])
        i += k
    return pieces


def blocks_of(pieces: list[str]) -> list[str]:
    splitter = BlockSplitter()
    out = [block for piece in pieces for block in splitter.feed(piece)]
    return [*out, splitter.flush()]


def test_blocks_are_top_level_markdown_blocks() -> None:
    assert blocks_of([MIXED]) == [
        "# Title\n",
        "\nSome para\nline two.\n\n",
        "- a\n- b\n\n- c\n\n",
        "After list.\n",
        "```python\nx = 1\n\ny = 2\n```\n",
        "Text after\n\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
        "---\n",
        "end\n",
        "## h2\n",
        "x",
    ]


def test_chunking_never_changes_the_blocks() -> None:
    expected = blocks_of([MIXED])
    for seed in range(50):
        assert blocks_of(split_randomly(MIXED, seed)) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("ab #`~-*|1.\n \t中")), max_size=12), max_size=40
    )
)
def test_splitter_never_loses_or_repeats_text(pieces: list[str]) -> None:
    assert "".join(blocks_of(pieces)) == "".join(pieces)


def tall_reply(sections: int) -> str:
    parts = []
    for i in range(sections):
        parts.append(f"## Section {i}\n\nParagraph marker P{i:03d} with some words in it.\n\n")
        if i % 3 == 0:
            parts.append(f"```python\nprint('code marker C{i:03d}')\n```\n\n")
        if i % 4 == 0:
            parts.append(f"- item marker L{i:03d}\n- second\n\n")
    return "".join(parts)


def render_to_terminal(text: str, seed: int = 1, width: int = 100, height: int = 30) -> str:
    """Stream `text` through the renderer into a terminal emulator; return scrollback + screen."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, width=width, height=height, color_system=None
    )
    stream = MarkdownStream(console, max_fps=1e9)  # redraw on every chunk: the worst case
    with stream:
        for piece in split_randomly(text, seed):
            stream.feed(piece)
    screen = pyte.HistoryScreen(width, height, history=100_000)
    pyte.Stream(screen).feed(buffer.getvalue().replace("\n", "\r\n"))
    lines = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    lines += screen.display
    return "\n".join(line.rstrip() for line in lines)


def test_tall_reply_every_block_exactly_once_in_scrollback() -> None:
    text = tall_reply(60)  # far taller than the 30-line screen
    shown = render_to_terminal(text)
    for marker in re.findall(r"[PCL]\d{3}", text):
        assert shown.count(marker) == 1, marker
    assert shown.count("Section 59") == 1


def test_code_blocks_are_numbered_and_collected() -> None:
    text = "Intro\n\n```python\na = 1\n```\n\nmiddle\n\n```\nplain\n```\n"
    shown = render_to_terminal(text)
    assert "[1] python" in shown and "[2]" in shown
    assert code_blocks(text) == ["a = 1", "plain"]


def test_unfinished_code_block_at_the_end_is_still_shown() -> None:
    shown = render_to_terminal("Look:\n\n```python\nprint('tail')\n")
    assert shown.count("print('tail')") == 1


def test_escape_sequences_from_the_model_are_neutralised() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80, color_system=None)
    with MarkdownStream(console) as stream:
        stream.feed("title \x1b]0;pwned\x07 and \x1b[2J clear and \x9b31m and \u202eevil\n\nnext\n")
    raw = buffer.getvalue()
    assert "\x1b]0;" not in raw and "\x1b[2J" not in raw and "\x9b" not in raw
    assert "\u202e" not in raw
    assert "␛]0;pwned" in raw and "<U+202E>" in raw


def test_raw_stream_writes_text_unchanged() -> None:
    out = io.StringIO()
    with RawStream(out) as stream:
        for piece in ["# Hi\n", "\x1b[31mred", " **b**"]:
            stream.feed(piece)
    assert out.getvalue() == "# Hi\n\x1b[31mred **b**"


def test_single_newlines_keep_their_lines() -> None:
    """Chat replies (poems, addresses) keep their line breaks, as in ChatGPT."""
    shown = render_to_terminal("生活就像一只猫\n生活就像一场雨\n\nnext paragraph\n")
    lines = [line for line in shown.splitlines() if line.strip()]
    assert lines[:3] == ["生活就像一只猫", "生活就像一场雨", "next paragraph"]
