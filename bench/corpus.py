"""Deterministic markdown replies of an exact token count, shared by the benchmarks.

The mix (headings, paragraphs, lists, code, tables, quotes) is what chat models write; the
first token is a plain word (`FIRST_WORD`) so its arrival on a terminal is easy to spot.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_server import split_tokens

FIRST_WORD = "Overview"

WORDS = [
    "stream",
    "render",
    "terminal",
    "token",
    "latency",
    "buffer",
    "parser",
    "block",
    "heading",
    "list",
    "table",
    "code",
    "markdown",
    "reply",
    "client",
    "server",
    "request",
    "chunk",
    "screen",
    "scroll",
    "cursor",
    "width",
    "height",
    "frame",
    "budget",
    "profile",
    "import",
    "lazy",
    "thread",
    "prompt",
    "history",
    "model",
    "answer",
    "question",
    "context",
]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _section(rng: random.Random, i: int) -> str:
    kind = i % 6
    parts = [f"## Section {i}: {_words(rng, 3)}\n\n"]
    parts.append(f"{_words(rng, 40).capitalize()} with `inline {i}` and **bold {i}**.\n\n")
    if kind in (0, 3):
        parts += [f"- {_words(rng, 8)}\n" for _ in range(5)]
        parts.append("\n")
    if kind in (1, 4):
        parts.append("```python\n")
        for j in range(8):
            parts.append(
                f"def step_{i}_{j}(x: int) -> int:\n    return x * {j} + {i}  # {_words(rng, 3)}\n"
            )
        parts.append("```\n\n")
    if kind == 2:
        parts.append("| name | value | note |\n|---|---:|---|\n")
        parts += [
            f"| {_words(rng, 1)} | {rng.randint(1, 999)} | {_words(rng, 4)} |\n" for _ in range(6)
        ]
        parts.append("\n")
    if kind == 5:
        parts.append(f"> {_words(rng, 20)}\n\n")
        parts += [f"{n}. {_words(rng, 10)}\n" for n in range(1, 5)]
        parts.append("\n")
    return "".join(parts)


def markdown_reply(tokens: int, seed: int = 7) -> str:
    """A reply of exactly `tokens` tokens as the loopback server splits text."""
    rng = random.Random(seed)
    text = f"{FIRST_WORD} of the answer: {_words(rng, 30)}.\n\n"
    i = 0
    while len(split_tokens(text)) < tokens:
        text += _section(rng, i)
        i += 1
    return "".join(split_tokens(text)[:tokens])


def _exact(text: str, tokens: int) -> str:
    return "".join(split_tokens(text)[:tokens])


def code_reply(lines: int, seed: int = 11) -> str:
    """One Python block of `lines` lines (docstrings spanning lines among them)."""
    rng = random.Random(seed)
    rows: list[str] = []
    i = 0
    while len(rows) < lines:
        rows.append(f"def step_{i}(x: int) -> int:\n")
        rows += [
            f'    """{_words(rng, 6).capitalize()},\n',
            f"    {_words(rng, 5)}.\n",
            '    """\n',
        ]
        rows += [
            f"    y{j} = x * {j} + len('{_words(rng, 2)}')  # {_words(rng, 3)}\n" for j in range(5)
        ]
        rows += ["    return y0\n", "\n"]
        i += 1
    body = "".join(rows[:lines])
    return f"{FIRST_WORD}: the module.\n\n```python\n{body}```\n\nThat is the module.\n"


def table_reply(rows: int, seed: int = 13) -> str:
    rng = random.Random(seed)
    body = "".join(
        f"| {_words(rng, 1)} {i} | {rng.randint(1, 9999)} | {_words(rng, 3)} |\n"
        for i in range(rows)
    )
    return f"{FIRST_WORD}: the table.\n\n| name | value | note |\n|---|---:|---|\n{body}\nDone.\n"


def reasoning_text(tokens: int, seed: int = 17) -> str:
    """A model's thinking: paragraphs of prose, as reasoning models write it."""
    rng = random.Random(seed)
    text = ""
    while len(split_tokens(text)) < tokens:
        sentences = [f"{_words(rng, rng.randint(8, 16)).capitalize()}." for _ in range(4)]
        text += " ".join(sentences) + "\n\n"
    return _exact(text, tokens)
