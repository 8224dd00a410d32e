"""The READMEs' example sessions are what chatcli prints today, in both languages.

A block marked `<!-- example: NAME -->` is run as written: the `$ chatcli …` line gives the
flags, each `MODEL> text` line is typed at the prompt, and the lines between a typed line and
the next prompt are the model's reply (the loopback server sends exactly that text). Every
line of the block must then be on the screen, in order, with only what changes from run to
run made equal: the version, a port, seconds and tokens per second.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pyte
import pytest

from tests.conftest import SCREEN_COLS, SCREEN_ROWS, Terminal
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\n```\n(.*?)\n```", re.S)
README_LANG = {"README.md": "en", "README.zh-CN.md": "zh"}
# what differs from run to run, and only that
VARYING = [
    (re.compile(r"chatcli \d+\.\d+\.\d+\S*"), "chatcli VERSION"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"[\d,]+ tok/s"), "N tok/s"),
    (re.compile(r"\d+(?:\.\d+)? s\b"), "T s"),
]


def normal(line: str) -> str:
    for pattern, same in VARYING:
        line = pattern.sub(same, line)
    return line.rstrip()


def examples() -> list[tuple[str, str, str]]:
    found = [
        (readme, name, body)
        for readme in README_LANG
        for name, body in EXAMPLE.findall((ROOT / readme).read_text(encoding="utf-8"))
    ]
    return found


def test_both_readmes_show_the_same_examples() -> None:
    names = {readme: sorted(n for r, n, _ in examples() if r == readme) for readme in README_LANG}
    assert names["README.md"] == names["README.zh-CN.md"] and names["README.md"]


def session(body: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The flags of the `$ chatcli` line, and each typed line with the reply shown after it."""
    lines = body.splitlines()
    assert lines[0].startswith("$ chatcli"), "an example starts with the command line"
    args = shlex.split(lines[0])[2:]
    typed = re.compile(r"^[\w.\-/:]+> (.*)$")
    turns: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        match = typed.match(line)
        if match:
            turns.append((match.group(1), []))
        elif turns:  # before the first typed line: chatcli's welcome
            turns[-1][1].append(line)
    # the last line of each answered turn is chatcli's status line, not the reply
    return args, [(said, "\n".join(rest[:-1])) for said, rest in turns if rest]


def screen_lines(term: Terminal) -> list[str]:
    display = pyte.Screen(SCREEN_COLS, SCREEN_ROWS)
    pyte.Stream(display).feed(term.transcript())
    return [line.rstrip() for line in display.display]


@pytest.mark.parametrize(("readme", "name", "body"), examples(), ids=lambda v: str(v)[:24])
def test_an_example_session_is_what_chatcli_prints(
    terminal: Start, server: FakeOpenAI, readme: str, name: str, body: str
) -> None:
    args, turns = session(body)
    # at a model's pace, so that the status line has a rate to show (it needs a second of it)
    server.expect(*(Behaviour(reply=reply, rate=15) for _, reply in turns))
    term = terminal(*args, "--lang", README_LANG[readme])
    for said, _ in turns:
        term.prompt()
        term.send(said)
        term.expect("tokens")
    term.quit()
    shown = [normal(line) for line in screen_lines(term)]
    wanted = [normal(line) for line in body.splitlines()[1:]]
    position = 0
    for line in wanted:
        assert line in shown[position:], f"{readme} example {name}: {line!r} not in {shown}"
        position = shown.index(line, position) + 1
