"""How much of each prompt a provider's prefix cache can serve once the context window is full.

A 300-turn conversation against the loopback server, whose usage models a prefix cache (a hit
counts the leading messages any earlier request shared). Trimming one turn per request shifts
the start of every request, so nothing after the first trim is cached; trimming a block down to
60% of the budget keeps one start until the window fills again. Counts, not times: the result
is the same on any machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatcli.conversation.bot import TRIM_TO, ChatBot
from tests.fake_server import Behaviour, FakeOpenAI

TURNS = 300
WINDOW = 16_000  # tokens; a turn is about 330, so the window fills after about 35 turns
REPLY = "这是一个比较长的回答，" * 60 + "The end."


def cache_share(trim_to: float) -> tuple[float, int]:
    """The cached share of prompt tokens from the first trim on, and how many requests trimmed."""
    server = FakeOpenAI().start()
    server.prefix_cache = "deepseek"
    server.expect(Behaviour(reply=REPLY, times=TURNS))
    try:
        bot = ChatBot(
            api_key="sk-bench", base_url=server.base_url, max_retries=0, context_tokens=WINDOW
        )
        bot.trim_to = trim_to
        starts: list[object] = []  # where each request's history began
        trims: list[int] = []  # the requests that began later than the one before
        for i in range(TURNS):
            turn = bot.stream_turn(f"第 {i} 个问题：" + "请解释一下这个概念。" * 12)
            list(turn)
            if turn.plan.dropped and (not starts or turn.plan.first is not starts[-1]):
                trims.append(i)
            starts.append(turn.plan.first)
        usages = [r.usage for r in bot.replies[trims[0] :] if r.usage]
        cached = sum(u.cached_tokens or 0 for u in usages)
        return cached / sum(u.prompt_tokens for u in usages), len(trims)
    finally:
        server.stop()


def main() -> None:
    print(f"prefix cache over {TURNS} turns, window {WINDOW:,} tokens (after the first trim):")
    for name, trim_to in (("one turn at a time", 1.0), (f"a block, to {TRIM_TO:.0%}", TRIM_TO)):
        share, trims = cache_share(trim_to)
        print(f"  trimming {name:<20} cache {share:6.1%} of prompt tokens · {trims} trims")


if __name__ == "__main__":
    main()
