"""The conversation tree in the store and in files: the migration of a database the current
release wrote, branches kept by every take-back, exports (JSON the whole tree, Markdown the
active branch), imports, and search saying which branch a hit is on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from chatcli.store import tree
from chatcli.store.database import (
    ACTIVE,
    MIGRATIONS,
    TREE_SINCE,
    Active,
    Conversation,
    Store,
    StoredMessage,
)
from chatcli.store.transcript import from_json, read, to_json, to_markdown

CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "now", "arguments": "{}"}}
    ],
}
RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "09:00"}


def released(path: Path) -> None:
    """A database as the release before the tree wrote it: two turns, the second with a
    tool round stored on its answer, and a second conversation."""
    old = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[: TREE_SINCE - 1]:
        step(old)
    old.execute(f"PRAGMA user_version = {TREE_SINCE - 1}")
    old.execute("INSERT INTO conversations VALUES (1, '几点了', 1.0, 4.0, 'qwen-plus', NULL, '{}')")
    old.execute("INSERT INTO conversations VALUES (2, 'other', 5.0, 6.0, 'qwen-plus', NULL, '{}')")
    old.execute(
        "INSERT INTO messages (conversation_id, position, role, content, created, tools) "
        "VALUES (1, 0, 'user', '你好', 1.0, NULL), (1, 1, 'assistant', 'Hello.', 2.0, NULL), "
        "(1, 2, 'user', '几点了？', 3.0, NULL), (1, 3, 'assistant', '九点。', 4.0, ?), "
        "(2, 0, 'user', 'x', 5.0, NULL), (2, 1, 'assistant', 'y', 6.0, NULL)",
        (json.dumps([CALL, RESULT]),),
    )
    old.close()


def save(
    db: Store, conversation: int | None, *texts: str, parent: int | Active | None = ACTIVE
) -> list[int]:
    roles = ["user", "assistant"] * len(texts)
    messages = [StoredMessage(role, text) for role, text in zip(roles, texts, strict=False)]
    saved = db.save_turn(
        conversation, messages, model="m", system=None, params={}, title="t", parent=parent
    )
    return saved.message_ids


def test_a_released_database_becomes_single_branches(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    released(path)
    reading = Store(path, write=False)  # listings read the old file as it is
    before = reading.load(1)
    assert [m.text for m in before.messages] == ["你好", "Hello.", "几点了？", "九点。"]
    assert before.branches == ()
    reading.close()

    db = Store(path)
    loaded = db.load(1)
    assert loaded.messages == before.messages and loaded.branches == ()
    assert loaded.messages[-1].tools == [CALL, RESULT]
    assert tree.leaves(loaded.links()) == [4]  # one branch, ending at the last message
    assert [(r.id, r.turns) for r in db.recent()] == [(2, 1), (1, 2)]
    # the migrated conversation goes on, and branches, like a new one
    ids = save(db, 1, "再问", "好")
    assert [m.text for m in db.load(1).messages][-2:] == ["再问", "好"]
    save(db, 1, "换个问题", "行", parent=4)
    again = db.load(1)
    assert [m.text for m in again.messages] == [
        "你好",
        "Hello.",
        "几点了？",
        "九点。",
        "换个问题",
        "行",
    ]
    assert [m.id for m in again.branches] == ids
    assert db.load(2).messages[-1].text == "y"
    db.close()


def test_a_question_asked_again_from_the_same_place_keeps_its_answers_side_by_side(
    tmp_path: Path,
) -> None:
    db = Store(tmp_path / "c.db")
    first = save(db, None, "q", "a1")
    again = save(db, 1, "q", "a2", parent=None)
    assert again[0] == first[0]  # the same question: one message, two answers
    loaded = db.load(1)
    assert [m.text for m in loaded.messages] == ["q", "a2"]
    assert [(m.text, m.parent) for m in loaded.branches] == [("a1", first[0])]
    assert tree.leaves(loaded.links()) == [first[1], again[1]]


def branched(db: Store) -> None:
    """q1 → a1 → q2 → a2, then q2 edited (q2' → a2') and the first answer retried (a1')."""
    q1, a1, _, _ = save(db, None, "q1", "a1", "q2", "a2")
    save(db, 1, "q2 edited", "a2 edited", parent=a1)
    save(db, 1, "q1", "a1 again", parent=None)
    assert q1 == db.load(1).messages[0].id


def test_json_keeps_the_whole_tree_and_markdown_the_active_branch(tmp_path: Path) -> None:
    db = Store(tmp_path / "c.db")
    branched(db)
    conversation = db.load(1)
    text = to_json(conversation)
    markdown = to_markdown(conversation)
    assert "a1 again" in markdown and "q2" not in markdown and "a2" not in markdown
    back = from_json(text)
    assert [m.text for m in back.messages] == ["q1", "a1 again"]
    assert sorted(m.text for m in back.branches) == ["a1", "a2", "a2 edited", "q2", "q2 edited"]
    new_id = db.import_conversation(back)
    imported = db.load(new_id)
    assert [m.text for m in imported.messages] == ["q1", "a1 again"]
    shape = [
        (by.text, len(tree.path(imported.links(), by.id)))
        for by in [*imported.messages, *imported.branches]
        if by.id is not None
    ]
    original = [
        (by.text, len(tree.path(conversation.links(), by.id)))
        for by in [*conversation.messages, *conversation.branches]
        if by.id is not None
    ]
    assert sorted(shape) == sorted(original)

    def ends(c: Conversation) -> list[str]:
        by_id = {m.id: m.text for m in [*c.messages, *c.branches]}
        return [by_id[leaf] for leaf in tree.leaves(c.links())]

    assert ends(imported) == ends(conversation) == ["a2", "a2 edited", "a1 again"]  # numbers kept
    # an earlier release reads `messages`, the active branch, and ignores the rest
    assert [m["content"] for m in json.loads(text)["messages"]] == ["q1", "a1 again"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda b: b[0].update(parent=999),
            "branches: message 1: its parent is no earlier message",
        ),
        (lambda b: b[0].update(role="user"), "branches: message 1: must alternate user, assistant"),
        (lambda b: b[0].pop("id"), "branches: message 1: needs an id of its own"),
    ],
)
def test_a_file_with_a_broken_tree_is_refused_in_one_line(
    tmp_path: Path, change: object, problem: str
) -> None:
    db = Store(tmp_path / "c.db")
    branched(db)
    data = json.loads(to_json(db.load(1)))
    change(data["branches"])  # type: ignore[operator]
    with pytest.raises(ValueError, match="^" + problem + "$"):
        read(json.dumps(data))


def test_search_finds_every_branch_and_says_which(tmp_path: Path) -> None:
    db = Store(tmp_path / "c.db")
    branched(db)
    [edited] = db.search("a2 edited")
    assert (edited.branch, edited.on_active) == (2, False)
    [old] = db.search("q2")  # q2 itself is on branch 1, the first one drawn
    assert (old.branch, old.on_active) == (1, False)
    [active] = db.search("again")
    assert (active.branch, active.on_active) == (3, True)
    assert active.turns == 1  # the listing counts the active branch
    save(db, None, "alone", "single")
    [single] = db.search("alone")
    assert single.branch is None  # one branch, nothing to say
