"""Every UI string the code asks for exists in both languages with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from chatcli.i18n import STRINGS

SOURCE = Path(__file__).parent.parent / "src" / "chatcli"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_used_in_the_code_exists() -> None:
    used: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\s*\"([a-z0-9_]+)\"", path.read_text()))
    assert used, "the pattern found no t() calls"
    assert sorted(used - set(STRINGS)) == []


def test_both_languages_take_the_same_values() -> None:
    for key, (zh, en) in STRINGS.items():
        assert zh and en, key
        assert placeholders(zh) == placeholders(en), key
