"""The provider's prefix cache, as the user sees it: the share of the prompt it served, on the
status line, read from either dialect of the usage (OpenAI's `prompt_tokens_details`, DeepSeek's
`prompt_cache_hit_tokens`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatcli.conversation.wire import decode_usage
from tests.conftest import Terminal
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


@pytest.mark.parametrize(
    ("raw", "cached"),
    [
        ({"prompt_tokens_details": {"cached_tokens": 80}}, 80),
        ({"prompt_cache_hit_tokens": 80, "prompt_cache_miss_tokens": 20}, 80),
        ({"prompt_tokens_details": {"cached_tokens": None}, "prompt_cache_hit_tokens": "7"}, 7),
        ({"prompt_tokens_details": {"cached_tokens": 101}}, None),  # more than the prompt
        ({"prompt_tokens_details": {"cached_tokens": -1}}, None),
        ({"prompt_tokens_details": "80"}, None),
        ({}, None),
    ],
)
def test_cached_tokens_are_read_from_both_dialects_and_never_trusted_blindly(
    raw: dict[str, object], cached: int | None
) -> None:
    usage = decode_usage({"prompt_tokens": 100, "completion_tokens": 5, **raw})
    assert usage is not None and usage.cached_tokens == cached


@pytest.mark.parametrize("dialect", ["openai", "deepseek"])
def test_the_status_line_shows_the_share_of_the_prompt_the_cache_served(
    terminal: Start, server: FakeOpenAI, dialect: str
) -> None:
    server.prefix_cache = dialect  # type: ignore[assignment]
    term = terminal("--system", "你是一个耐心的老师。" * 20)
    term.chat("第一个问题")
    term.expect(r"cache 0%")
    term.chat("第二个问题")
    term.expect(r"cache (\d+)%")
    share = int(term.child.match.group(1))
    assert share >= 50  # the system prompt and the first turn came from the cache
    term.quit()
