"""What a turn cost: from the user's own prices (config, provider table) or the offline price
table (genai-prices), in the status line; no cost where nothing is known, never a guess."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from chatcli.config.prices import Cost, Prices, Tokens, turn_cost
from tests.conftest import Terminal, run_chatcli
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


def test_own_prices_count_cached_tokens_at_their_own_price() -> None:
    prices = Prices(input=2, output=8, cached=0.5, currency="¥")
    cost = turn_cost("any", "http://127.0.0.1:1/v1", Tokens(1000, 500, cached=800), prices)
    # 200 uncached × 2 + 800 cached × 0.5 + 500 × 8, per million tokens
    assert cost == Cost(Decimal("0.0048"), "¥")
    assert str(cost) == "¥0.0048"
    assert str(Cost(Decimal("12.3456"), "$")) == "$12.35"


def test_without_a_cached_price_cached_tokens_cost_the_input_price() -> None:
    cost = turn_cost(
        "m", "https://x.example/v1", Tokens(1000, 0, cached=1000), Prices(input=3, output=1)
    )
    assert cost == Cost(Decimal("0.003"), "$")


def test_the_price_table_knows_the_big_providers_and_guesses_nothing_else() -> None:
    tokens = Tokens(1_000_000, 1_000_000)
    deepseek = turn_cost("deepseek-chat", "https://api.deepseek.com/v1", tokens, None)
    openai = turn_cost("gpt-4o", "https://api.openai.com/v1", tokens, None)
    assert deepseek is not None and openai is not None
    assert deepseek.currency == openai.currency == "$"
    assert 0 < deepseek.amount < openai.amount  # DeepSeek is the cheaper one
    assert turn_cost("no-such-model-x", "https://api.openai.com/v1", tokens, None) is None
    assert turn_cost("gpt-4o", "https://proxy.example/v1", tokens, None) is None  # whose price?
    assert turn_cost("gpt-4o", "http://127.0.0.1:8080/v1", tokens, None) is None  # this machine


def test_the_status_line_shows_the_cost_in_the_providers_currency(
    isolated: Path, env: dict[str, str], server: FakeOpenAI, terminal: Start
) -> None:
    config = isolated / ".config" / "chatcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "[providers.deepseek]\n"
        f'base_url = "{server.base_url}"\n'
        'price_input = 2\nprice_output = 8\nprice_currency = "¥"\n'
    )
    term = terminal("-p", "deepseek", extra_env={"DEEPSEEK_API_KEY": "sk-deepseek-test-123456"})
    term.chat("你好")
    term.expect(r"(\d+) → (\d+) tokens · ¥(\d+\.\d{4})")
    prompt, completion, shown = term.child.match.groups()
    expected = Decimal(int(prompt) * 2 + int(completion) * 8) / 1_000_000
    assert abs(Decimal(shown) - expected) <= Decimal("0.00005")  # rounded to four places
    term.quit()


def test_a_bad_price_is_refused_in_one_line(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run_chatcli({**env, "CHATCLI_PRICE_INPUT": "-1"}, "hi")
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr == "chatcli: CHATCLI_PRICE_INPUT: -1 is out of range (allowed: 0 to 100000)\n"
    )
    assert server.requests == []
