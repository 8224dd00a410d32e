"""The READMEs quote chatcli's own lines as it prints them today (issue 13's grammar: a line the
README shows in its old form teaches the old wording)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatcli.i18n import STRINGS

ROOT = Path(__file__).resolve().parent.parent
# key, values: lines the READMEs show as examples
QUOTED = [("context_trimmed", {"n": 3})]


@pytest.mark.parametrize(("key", "values"), QUOTED, ids=[key for key, _ in QUOTED])
@pytest.mark.parametrize(("readme", "side"), [("README.md", 1), ("README.zh-CN.md", 0)])
def test_the_readme_quotes_the_line_as_printed(
    key: str, values: dict[str, object], readme: str, side: int
) -> None:
    line = STRINGS[key][side].format(**values)
    assert f"`{line}`" in (ROOT / readme).read_text(encoding="utf-8")
