"""What turns used and cost, kept in the store: the migration of a database written before it,
cost and cached tokens on each answer (surviving resume), `/usage` per turn and in total, and
`chatcli sessions stats` by day and by model, currencies apart, unknown prices never guessed."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from chatcli.store.database import COST_SINCE, MIGRATIONS, Store, StoredMessage
from tests.conftest import Terminal, clean_environ, run_chatcli
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]
PRICES = {
    "CHATCLI_PRICE_INPUT": "1000",
    "CHATCLI_PRICE_OUTPUT": "2000",
    "CHATCLI_PRICE_CACHED": "100",
    "CHATCLI_PRICE_CURRENCY": "¥",
}


def old_database(path: Path) -> None:
    """A database as the release before the cost columns wrote it: one finished turn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    for step in MIGRATIONS[: COST_SINCE - 1]:
        step(db)
    db.execute(f"PRAGMA user_version = {COST_SINCE - 1}")
    db.execute(
        "INSERT INTO conversations (title, created, updated, model, system, params) "
        "VALUES ('old', 1.0, 1.0, 'gpt-4o', NULL, '{}')"
    )
    db.executemany(
        "INSERT INTO messages (conversation_id, position, role, content, model, tokens, "
        "prompt_tokens, finish_reason, created) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 1.0)",
        [
            (0, "user", "hi", None, None, None, None),
            (1, "assistant", "hello", "gpt-4o", 7, 20, "stop"),
        ],
    )
    db.commit()
    db.close()


def test_the_migration_keeps_old_answers_and_adds_cost_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    old_database(path)
    reading = Store(path, write=False)  # a read-only store reads the old file as it is
    assert [a.cost for a in reading.answers()] == [None]
    reading.close()

    store = Store(path)
    old = store.load(1).messages[1]
    assert (old.text, old.tokens, old.prompt_tokens) == ("hello", 7, 20)
    assert (old.cached_tokens, old.cost, old.currency) == (None, None, None)
    saved = store.save_turn(
        1,
        [
            StoredMessage("user", "more"),
            StoredMessage(
                "assistant",
                "sure",
                tokens=3,
                prompt_tokens=30,
                cached_tokens=20,
                cost=Decimal("0.0123"),
                currency="¥",
            ),
        ],
        model="gpt-4o",
        system=None,
        params={},
        title="old",
    )
    new = store.load(saved.conversation_id).messages[3]
    assert (new.cached_tokens, new.cost, new.currency) == (20, Decimal("0.0123"), "¥")


def test_a_json_export_keeps_cost_and_cache_and_imports_back(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = Store()
    answer = StoredMessage(
        "assistant",
        "晴",
        tokens=2,
        prompt_tokens=9,
        cached_tokens=4,
        cost=Decimal("0.5"),
        currency="$",
    )
    store.save_turn(
        None, [StoredMessage("user", "天气"), answer], model="m", system=None, params={}, title="t"
    )
    out = tmp_path / "one.json"
    assert (
        run_chatcli(env, "sessions", "export", "1", "--format", "json", "-o", str(out)).returncode
        == 0
    )
    kept = json.loads(out.read_text())["messages"][1]
    assert (kept["cached_tokens"], kept["cost"], kept["currency"]) == (4, "0.5", "$")
    assert run_chatcli(env, "sessions", "import", str(out)).returncode == 0
    again = Store().load(2).messages[1]
    assert (again.cached_tokens, again.cost, again.currency) == (4, Decimal("0.5"), "$")


def cost_of(prompt: int, completion: int, cached: int) -> Decimal:
    """PRICES per million tokens: input 1000, cached 100, output 2000."""
    return Decimal((prompt - cached) * 1000 + cached * 100 + completion * 2000) / 1_000_000


def usage_lines(term: Terminal, turns: int) -> list[tuple[int, int, str, str]]:
    """The /usage lines: (prompt, completion, cost, cache share) per turn, then the total."""
    term.prompt()
    term.send("/usage")
    found = []
    for _ in range(turns):
        term.expect(r"\d+\. (\d+) → (\d+) tokens · ¥([\d.]+) · cache (\d+)%")
        prompt, completion, cost, share = term.child.match.groups()
        found.append((int(prompt), int(completion), cost, share))
    term.expect(r"total: (\d+) → (\d+) \(\d+ tokens\) · ¥([\d.]+) · cache (\d+)%")
    prompt, completion, cost, share = term.child.match.groups()
    found.append((int(prompt), int(completion), cost, share))
    return found


def test_usage_shows_cost_and_cache_per_turn_and_in_total_and_after_resume(
    server: FakeOpenAI, terminal: Start, env: dict[str, str]
) -> None:
    server.prefix_cache = "openai"
    term = terminal(extra_env=PRICES)
    term.chat("the first question", "the second question")
    first, second, total = usage_lines(term, 2)
    assert first[3] == "0" and second[3] != "0"  # the second request shares a prefix
    assert (total[0], total[1]) == (first[0] + second[0], first[1] + second[1])
    term.quit()
    # Stored on the answers: a resumed conversation counts the same, cost and cache included.
    answers = Store(write=False).load(1).messages[1::2]
    assert [a.currency for a in answers] == ["¥", "¥"]
    for answer, shown in zip(answers, (first, second), strict=True):
        assert answer.cost == cost_of(
            answer.prompt_tokens or 0, answer.tokens or 0, answer.cached_tokens or 0
        )
        assert shown[2] == str(answer.cost.quantize(Decimal("0.0001")))
    term = terminal("-c", extra_env=PRICES)
    term.expect("resumed #1")
    term.chat("a third question")
    *_, resumed_total = usage_lines(term, 3)
    assert resumed_total[0] > total[0]
    expected = sum((a.cost or Decimal(0) for a in Store(write=False).load(1).messages), Decimal(0))
    assert resumed_total[2] == str(expected.quantize(Decimal("0.0001")))
    term.quit()


def stamp(day: str) -> float:
    return datetime.strptime(day + " 12:00", "%Y-%m-%d %H:%M").timestamp()


def seed(store: Store, day: str, model: str, **answer: object) -> None:
    when = stamp(day)
    store.save_turn(
        None,
        [
            StoredMessage("user", "q", created=when),
            StoredMessage("assistant", "a", model=model, created=when, **answer),
        ],
        model=model,
        system=None,
        params={},
        title="t",
    )


def test_sessions_stats_by_day_and_model_keeps_currencies_apart_and_guesses_no_price(
    isolated: Path,
) -> None:
    env = clean_environ(isolated)
    assert run_chatcli(env, "sessions", "stats").stderr == "no saved conversations yet\n"
    store = Store()
    dollars = {"cost": Decimal("0.0100"), "currency": "$"}
    seed(
        store, "2026-11-24", "gpt-4o", tokens=100, prompt_tokens=1000, cached_tokens=800, **dollars
    )
    seed(store, "2026-11-24", "gpt-4o", tokens=100, prompt_tokens=1000, cached_tokens=0, **dollars)
    seed(
        store,
        "2026-11-25",
        "deepseek-chat",
        tokens=50,
        prompt_tokens=500,
        cost=Decimal("0.0300"),
        currency="¥",
    )
    seed(store, "2026-11-25", "local-model", tokens=10, prompt_tokens=10)  # no price known
    store.close()

    result = run_chatcli(env, "sessions", "stats")
    assert result.returncode == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert re.search(r"2026-11-24\s+2\s+2,000\s+200\s+40%\s+\$0\.0200$", rows["2026-11-24"])
    # Yuan and an unpriced answer: the yuan stays yuan; the unpriced one is marked, not guessed.
    assert re.search(r"2026-11-25\s+2\s+510\s+60\s+—\s+¥0\.0300 \*$", rows["2026-11-25"])
    assert re.search(r"total\s+4\s+2,510\s+260\s+40%\s+\$0\.0200 \+ ¥0\.0300 \*$", rows["total"])
    assert result.stderr.startswith("* 1 reply had no known price")  # notes apart from the table

    by_model = run_chatcli(env, "sessions", "stats", "--by", "model").stdout
    lines = {line.split()[0]: line for line in by_model.splitlines() if line.strip()}
    assert re.search(r"local-model\s+1\s+10\s+10\s+—\s+—$", lines["local-model"])
    assert re.search(r"deepseek-chat\s+1\s+500\s+50\s+—\s+¥0\.0300$", lines["deepseek-chat"])

    bad = run_chatcli(env, "sessions", "stats", "--by", "week")
    assert bad.returncode == 2 and "invalid choice: 'week'" in bad.stdout + bad.stderr
