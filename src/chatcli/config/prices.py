"""What a turn cost: the provider's price table (`genai-prices`, offline) or the user's own.

A model the table does not know has no cost, never a guess. The table is imported lazily (it
takes most of a second), and a server on this machine (llama.cpp, vLLM at home) is never
looked up: nothing is known about what it costs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)

MILLION = Decimal(1_000_000)
MAX_PRICE = 100_000.0  # per million tokens: far above any real price, below float trouble
PRICE_FIELDS = ("price_input", "price_output", "price_cached", "price_currency")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class Prices(BaseModel):
    """The user's prices per million tokens (`price_input`, … in the config or a provider table)."""

    model_config = ConfigDict(frozen=True)

    input: float = Field(ge=0, le=MAX_PRICE)
    output: float = Field(ge=0, le=MAX_PRICE)
    cached: float | None = Field(None, ge=0, le=MAX_PRICE)
    currency: str = Field("$", min_length=1, max_length=3)


@dataclass(frozen=True)
class Tokens:
    """A turn's counts as the server reported them; `cached` is part of `prompt`."""

    prompt: int
    completion: int
    cached: int = 0


@dataclass(frozen=True)
class Cost:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        places = "0.01" if self.amount >= 1 else "0.0001"
        return f"{self.currency}{self.amount.quantize(Decimal(places))}"


def turn_cost(model: str, base_url: str, usage: Tokens, prices: Prices | None) -> Cost | None:
    if prices is not None:
        return _priced(usage, prices)
    if _on_this_machine(base_url):
        return None
    return _from_table(model, base_url, usage)


def _on_this_machine(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "") in LOCAL_HOSTS


def _priced(usage: Tokens, prices: Prices) -> Cost:
    cached_price = prices.input if prices.cached is None else prices.cached
    amount = (
        Decimal(usage.prompt - usage.cached) * Decimal(str(prices.input))
        + Decimal(usage.cached) * Decimal(str(cached_price))
        + Decimal(usage.completion) * Decimal(str(prices.output))
    ) / MILLION
    return Cost(amount, prices.currency)


def _from_table(model: str, base_url: str, usage: Tokens) -> Cost | None:
    from genai_prices import Usage as TableUsage
    from genai_prices import calc_price

    counts = TableUsage(
        input_tokens=usage.prompt,
        cache_read_tokens=usage.cached,
        output_tokens=usage.completion,
    )
    try:
        price = calc_price(counts, model, provider_api_url=base_url)
    except LookupError:
        return None
    except Exception:  # a table that cannot price this usage: no cost, never a crash
        log.debug("no price for %s at %s", model, base_url, exc_info=True)
        return None
    return Cost(price.total_price, "$")


def load_table(base_url: str) -> None:
    """Import the table off the start-up path (the warm-up thread), so the first status line
    does not wait for it; never for a server on this machine."""
    if not _on_this_machine(base_url):
        import genai_prices  # noqa: F401
