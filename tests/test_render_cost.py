"""What streaming costs at the speeds real models stream (20–150 tokens/s), counted as work
under a simulated clock — frames drawn, bytes and lines written — never as seconds.

Each reply goes token by token through the real renderer into a terminal console writing
to a byte buffer; "once" is the same renderer given the whole reply in one piece.
"""

from __future__ import annotations

import io
import re

import pyte
from rich.console import Console
from rich.text import Text

from chatcli.terminal.highlight import LineHighlighter
from chatcli.terminal.render import MarkdownStream
from tests.fake_server import split_tokens

WIDTH, HEIGHT = 120, 40
KEYWORD = "\x1b[38;5;81;48;5;235m"  # monokai's colour for `def`, on the code background
STRING = "\x1b[38;5;186;48;5;235m"  # monokai's colour for a string


def code_block(lines: int) -> str:
    """Python whose docstrings span lines, and inside them lines that look like code."""
    out = ["Here is the module:\n\n```python\n"]
    for i in range(lines // 10):
        out.append(f'def step_{i:03d}(x: int) -> int:\n    """Doc {i:03d}, then a line\n')
        out.append(f'    def inside_{i:03d}(): pass\n    that is not code.\n    """\n')
        out += [f"    y_{i:03d}_{j} = x * {j} + len('row {i:03d}.{j}')\n" for j in range(4)]
        out.append(f"    return y_{i:03d}_0\n")
    out.append("```\n\nThat is all.\n")
    return "".join(out)


def table(rows: int) -> str:
    body = "".join(f"| r{i:04d} | {i * 7} | note {i % 13} |\n" for i in range(rows))
    return "A table:\n\n| name | value | note |\n|---|---:|---|\n" + body + "\nAfter the table.\n"


class Run:
    """One reply streamed at `rate` tokens a second of simulated time."""

    def __init__(self, text: str, rate: float, *, height: int = HEIGHT) -> None:
        self.out = io.StringIO()
        now = [0.0]
        console = Console(
            file=self.out, force_terminal=True, width=WIDTH, height=height, color_system="256"
        )
        self.stream = MarkdownStream(console, clock=lambda: now[0], ticker=False)
        pieces = split_tokens(text) if rate else [text]
        with self.stream:
            for piece in pieces:
                now[0] += 1 / rate if rate else 0
                self.stream.feed(piece)
        self.tokens = len(pieces)
        self.raw = self.out.getvalue()

    @property
    def bytes(self) -> int:
        return len(self.raw.encode())

    def scrollback(self, height: int = HEIGHT) -> list[str]:
        screen = pyte.HistoryScreen(WIDTH, height, history=100_000)
        pyte.Stream(screen).feed(self.raw.replace("\n", "\r\n"))
        rows = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
        return [row.rstrip() for row in [*rows, *screen.display]]


def test_a_code_block_at_30_tokens_a_second_costs_about_rendering_it_once() -> None:
    text = code_block(300)
    slow, once = Run(text, 30), Run(text, 0)
    assert slow.bytes <= 1.5 * once.bytes, (slow.bytes, once.bytes)
    for marker in re.findall(r"row \d{3}\.\d", text)[::7]:  # never rewritten whole
        assert slow.raw.count(marker) <= 1, marker
    shown = slow.scrollback()  # each line once
    assert sum("y_" in line and "=" in line for line in shown) == text.count(" = x * ")
    assert shown.count("That is all.") == 1


def test_frames_do_not_grow_with_the_block() -> None:
    """Frames follow the tokens (several per frame at most), not the height of the block,
    and a frame rewrites a few lines, not a screenful."""
    short, tall = Run(code_block(150), 30), Run(code_block(600), 30)
    for run in (short, tall):
        assert run.stream.stats.frames <= run.tokens / 3
        assert run.stream.region.lines_written <= 3 * run.stream.stats.frames
    per_token = [run.stream.stats.frames / run.tokens for run in (short, tall)]
    assert per_token[1] <= 1.1 * per_token[0]


def test_no_frame_when_nothing_visible_changed() -> None:
    out = io.StringIO()
    now = [0.0]
    console = Console(file=out, force_terminal=True, width=WIDTH, height=HEIGHT)
    with MarkdownStream(console, clock=lambda: now[0], ticker=False) as stream:
        stream.feed("A paragraph that is being written")
        frames, written = stream.stats.frames, len(out.getvalue())
        for piece in ["", " ", "", "  "]:  # nothing new to see: padding is never drawn
            now[0] += 1
            stream.feed(piece)
        assert (stream.stats.frames, len(out.getvalue())) == (frames, written)
        now[0] += 1
        stream.feed(" more")
        assert stream.stats.frames == frames + 1


def test_a_line_inside_a_multi_line_string_is_coloured_as_string_every_time() -> None:
    """The lexer's state is carried from line to line: `def inside_…` within a docstring is
    string-coloured whenever it is drawn, even when the docstring began off the screen."""
    run = Run(code_block(300), 30, height=20)
    assert run.raw.count(KEYWORD + "def") == 30  # the real functions only
    for drawn in re.finditer(r"(\x1b\[[0-9;]*m)\s*def inside_", run.raw):
        assert drawn.group(1) == STRING


def test_line_by_line_colour_is_the_whole_block_colour() -> None:
    source = '"""A\nmulti-line\n"""\n# comment\nx = f"""{1}\n  def no(): pass\n"""\ny = 2\n'
    for row, line in enumerate(source.splitlines()):
        coloured = colour_of(LineHighlighter("python", "monokai"), source, row)
        assert coloured == line_colours(source, row), (row, line)


def colour_of(colour: LineHighlighter, source: str, row: int) -> list[str]:
    lines = source.splitlines()
    for line in lines[:row]:
        colour.line(line)
    return char_styles(colour.line(lines[row]))


def line_colours(source: str, row: int) -> list[str]:
    """The same row as rich highlights the whole block at once."""
    from rich.syntax import Syntax

    return char_styles(Syntax(source, "python", theme="monokai").highlight(source).split("\n")[row])


def char_styles(text: Text) -> list[str]:
    styles = [str(text.style)] * len(text.plain)
    for span in text.spans:
        styles[span.start : span.end] = [str(span.style)] * (span.end - span.start)
    return [f"{ch} {style}" for ch, style in zip(text.plain, styles, strict=True)]


def test_code_is_neither_indented_nor_padded_and_headings_have_one_blank_line() -> None:
    text = "## Title\n\n```python\nx = 1\n```\n\n## Next\n\n- a\n- b\n\nEnd.\n"
    run = Run(text, 30)
    shown = run.scrollback()
    start = shown.index("Title")
    assert shown[start : start + 11] == [
        "Title",
        "",
        "[1] python",
        "x = 1",
        "",
        "Next",
        "",
        " • a",
        " • b",
        "",
        "End.",
    ]
    assert not re.search(r" (\x1b\[[0-9;]*m)*(\n|$)", run.raw)  # no padding, styled or not


def test_a_long_table_costs_its_rows_once() -> None:
    """A 3,000-row table at 30 tokens/s: the live region says how far it has got instead of
    re-laying out the rows on every frame; the table is written once when it ends."""
    text = table(3_000)
    slow, once = Run(text, 30), Run(text, 0)
    assert slow.bytes <= 1.5 * once.bytes, (slow.bytes, once.bytes)
    assert slow.stream.stats.parsed_chars <= 2 * len(text)
    shown = slow.scrollback()
    assert sum(line.count("r2999") for line in shown) == 1
    assert shown.count("After the table.") == 1
