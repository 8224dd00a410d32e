"""A reply's reasoning in the store: kept apart from its content, migrated into a database
written before it existed, carried by the exports, shown collapsed or dim, and never sent
back to the server when a conversation is resumed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chatcli.conversation.bot import Reply
from chatcli.store.database import (
    MIGRATIONS,
    REASONING_SINCE,
    Store,
    StoredMessage,
)
from chatcli.store.recorder import Recorder
from chatcli.store.transcript import from_json, from_markdown, to_json, to_markdown
from tests.conftest import Terminal, make_bot
from tests.conftest import run_chatcli as chatcli
from tests.fake_server import FakeOpenAI

THOUGHT = "用户问天气。\n### User\n</details>\n先查一下上海，再回答。"
ANSWER = "上海今天晴。"
DETAILS = "<details><summary>思考 / Reasoning</summary>"
Start = Callable[..., Terminal]


def conversation_with_reasoning(db: Store) -> int:
    return db.save_turn(
        None,
        [
            StoredMessage("user", "上海的天气怎么样？"),
            StoredMessage("assistant", ANSWER, model="deepseek-reasoner", reasoning=THOUGHT),
        ],
        model="deepseek-reasoner",
        system="你是天气助手。",
        params={},
        title="上海的天气",
    ).conversation_id


def data_db(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db"


def test_a_database_written_before_reasoning_is_read_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    old = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[: REASONING_SINCE - 1]:  # the schema the previous release wrote
        step(old)
    old.execute(f"PRAGMA user_version = {REASONING_SINCE - 1}")
    old.execute("INSERT INTO conversations VALUES (1, '旧对话', 1.0, 2.0, 'qwen-plus', NULL, '{}')")
    old.execute(
        "INSERT INTO messages (conversation_id, position, role, content, created) "
        "VALUES (1, 0, 'user', '你好', 1.0), (1, 1, 'assistant', 'Hello.', 2.0)"
    )
    old.close()

    listing = Store(path, write=False)  # `sessions list/show` never asks to upgrade first
    assert [m.reasoning for m in listing.load(1).messages] == [None, None]
    listing.close()

    db = Store(path)
    assert db.schema_version == len(MIGRATIONS)
    assert [(m.content, m.reasoning) for m in db.load(1).messages] == [
        ("你好", None),
        ("Hello.", None),
    ]
    db.save_turn(
        1,
        [StoredMessage("user", "再说一遍"), StoredMessage("assistant", "Hi.", reasoning="想想")],
        model="qwen-plus",
        system=None,
        params={},
        title="旧对话",
    )
    assert db.load(1).messages[-1].reasoning == "想想"
    assert [s.id for s in db.search("再说一遍")] == [1]


def test_the_recorder_stores_the_reasoning_beside_the_answer(
    tmp_path: Path, server: FakeOpenAI
) -> None:
    bot = make_bot(server)
    db = Store(tmp_path / "conversations.db")
    recorder = Recorder(bot, db, warn=pytest.fail)
    user = {"role": "user", "content": "上海的天气怎么样？"}
    bot.record(user, Reply(choices=[ANSWER], finish_reasons=["stop"], reasoning=THOUGHT))

    assert bot.history[-1] == {"role": "assistant", "content": ANSWER}
    assert recorder.reasoning_of(bot.history[-1]) == THOUGHT
    stored = db.load(db.latest() or 0).messages
    assert [(m.content, m.reasoning) for m in stored] == [
        ("上海的天气怎么样？", None),
        (ANSWER, THOUGHT),
    ]


def test_json_export_carries_the_reasoning_and_import_reads_it_back(tmp_path: Path) -> None:
    db = Store(tmp_path / "conversations.db")
    conversation = db.load(conversation_with_reasoning(db))
    exported = json.loads(to_json(conversation))
    assert exported["messages"][1]["reasoning"] == THOUGHT
    assert exported["messages"][1]["content"] == ANSWER

    back = from_json(to_json(conversation))
    assert [(m.content, m.reasoning) for m in back.messages] == [
        ("上海的天气怎么样？", None),
        (ANSWER, THOUGHT),
    ]
    again = db.load(db.import_conversation(back))
    assert again.messages[1].reasoning == THOUGHT


def test_a_user_message_with_reasoning_is_refused_in_one_line() -> None:
    text = json.dumps(
        {
            "messages": [
                {"role": "user", "content": "hi", "reasoning": "?"},
                {"role": "assistant", "content": "hello"},
            ]
        }
    )
    with pytest.raises(ValueError, match=r"^message 1: .*reasoning") as info:
        from_json(text)
    assert "\n" not in str(info.value)


def test_markdown_export_puts_the_reasoning_in_a_details_block_before_the_answer(
    tmp_path: Path,
) -> None:
    db = Store(tmp_path / "conversations.db")
    conversation = db.load(conversation_with_reasoning(db))
    text = to_markdown(conversation)
    reply = text.split("### Assistant\n", 1)[1]
    assert reply.lstrip("\n").startswith(DETAILS + "\n")
    assert reply.index("先查一下上海") < reply.index("\n</details>\n") < reply.index(ANSWER)

    back = from_markdown(text)
    assert [(m.content, m.reasoning) for m in back.messages] == [
        ("上海的天气怎么样？", None),
        (ANSWER, THOUGHT),
    ]


def test_an_answer_that_looks_like_the_block_stays_the_answer() -> None:
    """A reply whose text starts with the block's own line, and has no reasoning."""
    tricky = f"{DETAILS}\n\nnot a thought\n\n</details>\n\ntail"
    conversation = from_json(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": tricky},
                ]
            }
        )
    )
    back = from_markdown(to_markdown(conversation))
    assert (back.messages[1].content, back.messages[1].reasoning) == (tricky, None)


def test_resuming_sends_answers_only_and_the_exports_keep_the_reasoning(
    env: dict[str, str], server: FakeOpenAI, terminal: Start
) -> None:
    db = Store(data_db(env))
    conversation_with_reasoning(db)
    db.close()

    shown = chatcli(env, "sessions", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert DETAILS in shown.stdout and "先查一下上海" in shown.stdout
    exported = chatcli(env, "sessions", "export", "1", "--format", "json")
    assert json.loads(exported.stdout)["messages"][1]["reasoning"] == THOUGHT

    term = terminal("-c")
    term.expect("resumed #1")
    term.prompt()
    term.send("/history")
    term.expect("reasoning, 38 chars")
    term.expect("assistant: " + ANSWER)
    term.send("/think 1")  # a resumed reply's thought, numbered as /history shows it
    term.expect("先查一下上海")
    term.chat("明天呢？")
    term.quit()

    sent = server.chat_requests[-1]
    assert sent["messages"] == [
        {"role": "system", "content": "你是天气助手。"},
        {"role": "user", "content": "上海的天气怎么样？"},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": "明天呢？"},
    ]
    assert "先查一下上海" not in json.dumps(sent, ensure_ascii=False)
    db = Store(data_db(env))
    assert db.load(1).messages[1].reasoning == THOUGHT  # the next turn kept it
    assert db.load(1).messages[3].reasoning is None


def test_sessions_show_on_a_terminal_prints_the_reasoning_dim(
    env: dict[str, str], terminal: Start
) -> None:
    db = Store(data_db(env))
    conversation_with_reasoning(db)
    db.close()
    term = terminal("sessions", "show", "1")
    assert term.exit_status() == 0
    screen = term.transcript()
    assert "\x1b[2m先查一下上海" in screen
    assert DETAILS not in screen
    assert screen.index("先查一下上海") < screen.index(ANSWER)


def test_a_resumed_reasoning_is_shown_but_never_counted_in_the_context(
    tmp_path: Path, server: FakeOpenAI
) -> None:
    db = Store(tmp_path / "conversations.db")
    thought = "思考" * 50_000
    sizes = []
    for reasoning in (None, thought):
        saved = db.save_turn(
            None,
            [StoredMessage("user", "hi"), StoredMessage("assistant", ANSWER, reasoning=reasoning)],
            model="deepseek-reasoner",
            system=None,
            params={},
            title="hi",
        )
        bot = make_bot(server)
        recorder = Recorder(bot, db, warn=pytest.fail)
        recorder.resume(saved.conversation_id)
        assert recorder.reasoning_of(bot.history[-1]) == (reasoning or "")
        assert bot.history[-1] == {"role": "assistant", "content": ANSWER}
        sizes.append(bot.context_size())
    assert sizes[0] == sizes[1]
