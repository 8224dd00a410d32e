"""What answers used and cost, added up: `/usage` over a conversation, `sessions stats` over
the store, grouped by day or by model.

Costs in different currencies are summed apart, never converted or mixed; an answer without a
known price adds no cost and is counted as unpriced, so a total never passes off a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chatcli.config.prices import Cost
from chatcli.store.database import AnswerUsage
from chatcli.store.records import bounded_cost, bounded_count


@dataclass
class Tally:
    """The sum of some answers; parts a server never reported stay out, and are counted, as
    do numbers out of range (a database written by someone else may hold anything)."""

    answers: int = 0
    prompt: int = 0
    completion: int = 0
    unknown_tokens: int = 0  # answers without token counts
    cached: int = 0
    cache_reported: int = 0  # prompt tokens of the answers whose server said what it cached
    unpriced: int = 0  # answers without a known cost
    costs: dict[str, Decimal] = field(default_factory=dict)  # currency → amount

    def add(
        self,
        prompt: int | None,
        completion: int | None,
        cached: int | None,
        cost: Decimal | str | None,
        currency: str | None,
    ) -> None:
        self.answers += 1
        prompt, completion, cached = map(bounded_count, (prompt, completion, cached))
        if prompt is None or completion is None:
            self.unknown_tokens += 1
        else:
            self.prompt += prompt
            self.completion += completion
            if cached is not None:
                self.cached += cached
                self.cache_reported += prompt
        amount = bounded_cost(cost)
        if amount is None or not currency:
            self.unpriced += 1
        else:
            self.costs[currency] = self.costs.get(currency, Decimal(0)) + amount

    @property
    def cache_share(self) -> float | None:
        """Cached prompt tokens over the prompt tokens of the answers that reported them."""
        return self.cached / self.cache_reported if self.cache_reported else None

    def cost_text(self) -> str:
        """`$0.0123`, `$0.0123 + ¥0.0400` for two currencies, "" when nothing was priced."""
        return " + ".join(str(Cost(amount, currency)) for currency, amount in self.costs.items())


def day(answer: AnswerUsage) -> str:
    return datetime.fromtimestamp(answer.created).strftime("%Y-%m-%d")


def model(answer: AnswerUsage) -> str:
    return answer.model


GROUPS: dict[str, Callable[[AnswerUsage], str]] = {"day": day, "model": model}


def grouped(
    answers: Iterable[AnswerUsage], key: Callable[[AnswerUsage], str]
) -> tuple[list[tuple[str, Tally]], Tally]:
    """One tally per group (in order of first appearance: by day, oldest first) and the total."""
    groups: dict[str, Tally] = {}
    total = Tally()
    for answer in answers:
        for tally in (groups.setdefault(key(answer), Tally()), total):
            tally.add(
                answer.prompt_tokens,
                answer.completion_tokens,
                answer.cached_tokens,
                answer.cost,
                answer.currency,
            )
    return list(groups.items()), total
