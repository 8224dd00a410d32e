"""README.md and README.zh-CN.md describe the same program: the same slash commands, flags,
make targets, sections, table sizes and numbers, so an edit to one that skips the other fails here;
and together they document every command and flag the program registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import chatcli.terminal.commands
import chatcli.terminal.session_commands  # registers /sessions, /resume, …
from chatcli.cli import build_parser

ROOT = Path(__file__).parent.parent
ENGLISH = ROOT / "README.md"
CHINESE = ROOT / "README.zh-CN.md"

# A `/word` that starts a token: not part of a path or URL (`~/models`, `/v1/models`, `a/b`).
SLASH = re.compile(r"(?<![\w/.:~=-])/([a-z][a-z-]*)(?![\w/]|\.\w)")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAKE = re.compile(r"(?:^|`)make ([a-z][\w-]*)", re.MULTILINE)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
HEADING = re.compile(r"^(#{2,3}) (.+)$")
LINK = re.compile(r"\]\(#([^)]+)\)")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks, where headings and tables live."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def outline(text: str) -> list[tuple[int, list[int]]]:
    """Per level-2/3 section, in order: its level and the row count of each of its tables."""
    sections: list[tuple[int, list[int]]] = [(1, [])]
    run = 0
    for line in [*prose(text), ""]:
        if line.startswith("|"):
            run += 1
            continue
        if run:
            sections[-1][1].append(run - 2)  # minus the header and the |---| line
            run = 0
        heading = HEADING.match(line)
        if heading:
            sections.append((len(heading.group(1)), []))
    return sections


def slash_commands(text: str) -> set[str]:
    return {"/" + name for name in SLASH.findall(text)}


def facts(text: str) -> dict[str, object]:
    """What both READMEs must agree on; prose may differ, these may not."""
    return {
        "slash commands": slash_commands(text),
        "long flags": set(FLAG.findall(text)),
        "make targets": set(MAKE.findall(text)),
        "level-2 sections": sum(1 for line in prose(text) if line.startswith("## ")),
        "sections and table rows": outline(text),
        "numbers": set(NUMBER.findall(text)),
    }


def differences(english: str, chinese: str) -> list[str]:
    ours, theirs = facts(english), facts(chinese)
    found = []
    for key, value in ours.items():
        other = theirs[key]
        if value == other:
            continue
        if isinstance(value, set) and isinstance(other, set):
            detail = (
                f"only in English {sorted(value - other)}, only in Chinese {sorted(other - value)}"
            )
        else:
            detail = f"English {value}, Chinese {other}"
        found.append(f"{key}: {detail}")
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.fixture(scope="module")
def readmes() -> tuple[str, str]:
    return ENGLISH.read_text(encoding="utf-8"), CHINESE.read_text(encoding="utf-8")


def test_both_readmes_list_the_same_commands_flags_sections_and_tables(
    readmes: tuple[str, str],
) -> None:
    assert differences(*readmes) == []


def test_a_flag_added_to_one_readme_only_is_caught(readmes: tuple[str, str]) -> None:
    english, chinese = readmes
    row = "| `--debug` |"
    added = english.replace(row, "| `--brand-new-flag` | new |\n" + row, 1)
    assert added != english
    found = differences(added, chinese)
    assert any("--brand-new-flag" in line for line in found)
    assert any(line.startswith("sections and table rows") for line in found)


def test_every_registered_command_and_flag_is_documented_in_both(
    readmes: tuple[str, str],
) -> None:
    commands = {"/" + name for name in chatcli.terminal.commands.REGISTRY}
    flags = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--")
    }
    for text in readmes:
        assert commands - slash_commands(text) == set()
        assert flags - set(FLAG.findall(text)) == set()


def test_make_targets_and_links_exist(readmes: tuple[str, str]) -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    for text in readmes:
        assert set(MAKE.findall(text)) - targets == set()
        anchors = {slug(h.group(2)) for line in prose(text) if (h := HEADING.match(line))}
        anchors |= {slug(line.removeprefix("# ")) for line in prose(text) if line.startswith("# ")}
        assert set(LINK.findall(text)) - anchors == set()
    assert "(README.zh-CN.md)" in readmes[0].splitlines()[0]
    assert "(README.md)" in readmes[1].splitlines()[0]
