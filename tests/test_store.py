"""The SQLite store on real files: durability, search (Chinese and English), export, migration,
damaged and locked databases, and two processes writing at once."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chatcli.store import database as store_module
from chatcli.store.database import (
    MIGRATIONS,
    Conversation,
    Store,
    StoredMessage,
    StoreError,
    UnknownConversation,
)
from chatcli.store.recorder import Recorder
from chatcli.store.transcript import from_json, from_markdown, to_json, to_markdown
from tests.conftest import make_bot
from tests.fake_server import FakeOpenAI

PARTS = [
    {"type": "text", "text": "这张图里是什么？"},
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
]


def turn(question: object, answer: str, **reply: object) -> list[StoredMessage]:
    return [
        StoredMessage("user", question),  # type: ignore[arg-type]
        StoredMessage("assistant", answer, **reply),  # type: ignore[arg-type]
    ]


def save(db: Store, conversation_id: int | None, question: object, answer: str) -> int:
    return db.save_turn(
        conversation_id,
        turn(question, answer),
        model="gpt-4o",
        system=None,
        params={},
        title=str(question)[:20],
    ).conversation_id


@pytest.fixture
def db(tmp_path: Path) -> Store:
    return Store(tmp_path / "data" / "conversations.db")


def test_new_database_is_private_and_current(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "conversations.db"
    db = Store(path)
    save(db, None, "hi", "hello")
    assert db.schema_version == len(MIGRATIONS)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for file in path.parent.iterdir():  # the database and its -wal / -shm companions
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_default_location_follows_chatcli_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATCLI_HOME", str(tmp_path / "elsewhere"))
    assert Store().path == tmp_path / "elsewhere" / "conversations.db"


def test_turns_round_trip_with_every_field(db: Store) -> None:
    first = db.save_turn(
        None,
        [
            StoredMessage("user", PARTS),
            StoredMessage(
                "assistant",
                "一只猫。",
                model="gpt-4o-2024-08-06",
                tokens=3,
                prompt_tokens=812,
                finish_reason="stop",
            ),
        ],
        model="gpt-4o",
        system="简短回答",
        params={"temperature": 0.2, "stop": ["END"]},
        title="这张图里是什么？",
    )
    db.save_turn(
        first.conversation_id,
        turn("再说一遍", "一只", interrupted=True),
        model="gpt-4o-mini",
        system="简短回答",
        params={"temperature": 0.5},
        title="ignored for an existing conversation",
    )
    loaded = db.load(first.conversation_id)
    assert loaded.title == "这张图里是什么？"
    assert (loaded.model, loaded.system, loaded.params) == (
        "gpt-4o-mini",
        "简短回答",
        {"temperature": 0.5},
    )
    assert [m.role for m in loaded.messages] == ["user", "assistant"] * 2
    assert loaded.messages[0].content == PARTS
    assert loaded.messages[1].tokens == 3 and loaded.messages[1].prompt_tokens == 812
    assert loaded.messages[1].model == "gpt-4o-2024-08-06"
    assert loaded.messages[3].interrupted and not loaded.messages[1].interrupted
    assert [m.id for m in loaded.messages[:2]] == first.message_ids
    assert loaded.turns == 2


def test_a_failing_turn_leaves_nothing_behind(db: Store) -> None:
    unserialisable = [{"type": "text", "text": "ok", "value": object()}]
    with pytest.raises(TypeError):
        db.save_turn(
            None,
            [StoredMessage("user", "fine"), StoredMessage("user", unserialisable)],
            model="m",
            system=None,
            params={},
            title="t",
        )
    assert db.recent() == []
    assert db.latest() is None
    conversation_id = save(db, None, "after", "works")  # the connection is still usable
    assert db.load(conversation_id).turns == 1


def test_a_new_answer_to_a_question_is_a_branch_beside_the_old(db: Store) -> None:
    saved = db.save_turn(
        None, turn("q", "old answer"), model="m", system=None, params={}, title="t"
    )
    db.save_turn(
        saved.conversation_id,
        [StoredMessage("assistant", "new answer")],
        model="m",
        system=None,
        params={},
        title="t",
        parent=saved.message_ids[0],
    )
    loaded = db.load(saved.conversation_id)
    assert [m.content for m in loaded.messages] == ["q", "new answer"]
    assert [m.content for m in loaded.branches] == ["old answer"]
    assert [r.branch for r in db.search("old answer")] == [1]


def test_listing_is_newest_first_with_turn_counts(db: Store) -> None:
    a = save(db, None, "first conversation", "x")
    b = save(db, None, "second conversation", "y")
    save(db, a, "more", "z")
    rows = db.recent()
    assert [(r.id, r.turns) for r in rows] == [(a, 2), (b, 1)]
    assert db.latest() == a
    assert db.recent(limit=1)[0].id == a


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("北京烤鸭", "beijing"),  # 4 CJK characters: trigram index
        ("烤鸭", "beijing"),  # 2 characters: LIKE fallback
        ("鸭", "beijing"),
        ("Kubernetes", "k8s"),
        ("kubernetes", "k8s"),  # case-insensitive
        ("pods restart", "k8s"),  # every word, any order
        ("50%", "percent"),  # LIKE wildcards are literal
        ("a_b", "underscore"),
    ],
)
def test_full_text_search(db: Store, query: str, expected: str) -> None:
    ids = {
        "beijing": save(db, None, "推荐一家北京烤鸭店", "全聚德。"),
        "k8s": save(db, None, "Why do my Kubernetes pods restart?", "Check the liveness probe."),
        "percent": save(db, None, "is 50% a lot", "depends"),
        "underscore": save(db, None, "name a_b please", "ok"),
        "decoy": save(db, None, "ab 5000 北京 烤 鸡", "nothing"),
    }
    found = [r.id for r in db.search(query)]
    assert found == [ids[expected]]
    assert db.search(query)[0].snippet


def test_search_finds_titles_and_nothing_else(db: Store) -> None:
    conversation_id = save(db, None, "hello", "hi")
    db.rename(conversation_id, "周报草稿")
    assert [r.id for r in db.search("周报")] == [conversation_id]
    assert db.search("不存在的词") == []
    assert [r.id for r in db.search("   ")] == [conversation_id]  # blank: the recent list


def test_delete_removes_messages_and_their_index(db: Store) -> None:
    keep = save(db, None, "keep this 番茄炒蛋", "ok")
    gone = save(db, None, "delete this 番茄炒蛋", "ok")
    db.delete(gone)
    assert [r.id for r in db.search("番茄炒蛋")] == [keep]
    with pytest.raises(UnknownConversation):
        db.load(gone)
    with pytest.raises(UnknownConversation):
        db.delete(gone)
    with pytest.raises(UnknownConversation):
        db.rename(gone, "x")


def test_saving_into_a_conversation_deleted_elsewhere_starts_a_new_one(db: Store) -> None:
    conversation_id = save(db, None, "q", "a")
    db.delete(conversation_id)
    again = save(db, conversation_id, "still chatting", "fine")
    assert again != conversation_id
    assert db.load(again).turns == 1


TRICKY = textwrap.dedent(
    """\
    Here is how a transcript looks:

    ### User
    \\### Assistant
    ```python
    print("### System")
    ```
    # A heading of its own
    """
)


def sample(db: Store) -> Conversation:
    saved = db.save_turn(
        None,
        [StoredMessage("user", "写一个 --> 例子"), StoredMessage("assistant", TRICKY)],
        model="deepseek-chat",
        system="你是一个严谨的助手。",
        params={"temperature": 0.3, "stop": ["-->"]},
        title="写一个 --> 例子",
    )
    db.save_turn(
        saved.conversation_id,
        turn("继续", "好的……", interrupted=True),
        model="deepseek-chat",
        system="你是一个严谨的助手。",
        params={"temperature": 0.3, "stop": ["-->"]},
        title="",
    )
    return db.load(saved.conversation_id)


def essentials(c: Conversation, *, markdown: bool = False) -> tuple[object, ...]:
    """What an export keeps; Markdown keeps text up to blank lines around each message."""
    return (
        c.title,
        c.model,
        c.system,
        c.params,
        [
            (m.role, m.text.strip("\n") if markdown else m.content, m.interrupted)
            for m in c.messages
        ],
    )


def test_markdown_export_round_trip(db: Store) -> None:
    original = sample(db)
    text = to_markdown(original)
    assert "### User" in text and "### Assistant (interrupted)" in text
    assert text.count("\n### User\n") == 2  # the quoted heading inside the reply is escaped
    back = from_markdown(text)
    assert essentials(back) == essentials(original, markdown=True)
    imported = db.load(db.import_conversation(back))
    assert essentials(imported) == essentials(original, markdown=True)


def test_json_export_round_trip_is_lossless(db: Store) -> None:
    original = sample(db)
    back = from_json(to_json(original))
    strip = [m.__class__(**{**m.__dict__, "id": None}) for m in original.messages]
    assert back.messages == tuple(strip)
    assert (back.created, back.updated) == (original.created, original.updated)
    imported = db.load(db.import_conversation(back))
    assert essentials(imported) == essentials(original)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('{"title": "x"}', "no 'messages'"),
        ('{"messages": [{"role": "tool", "content": "x"}]}', "message 1"),
        ('{"messages": [{"role": "user", "content": 3}]}', "message 1"),
    ],
)
def test_bad_json_imports_say_why(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        from_json(text)


def test_markdown_without_messages_is_refused() -> None:
    with pytest.raises(ValueError, match="### User"):
        from_markdown("# just a document\n\nnothing here\n")


VERSION_1 = [
    """CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, model TEXT NOT NULL, system TEXT,
    params TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL
    REFERENCES conversations(id) ON DELETE CASCADE, position INTEGER NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, parts TEXT, model TEXT, tokens INTEGER,
    prompt_tokens INTEGER, finish_reason TEXT, created REAL NOT NULL,
    interrupted INTEGER NOT NULL DEFAULT 0, UNIQUE (conversation_id, position))""",
    "CREATE INDEX conversations_updated ON conversations(updated)",
    "INSERT INTO conversations VALUES (1, '旧对话', 1.0, 2.0, 'qwen-plus', NULL, '{}')",
    "INSERT INTO messages (conversation_id, position, role, content, created) "
    "VALUES (1, 0, 'user', '上海的天气怎么样', 1.0), (1, 1, 'assistant', 'Sunny.', 2.0)",
    "PRAGMA user_version = 1",
]


def test_a_version_1_database_is_migrated_and_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for statement in VERSION_1:
        old.execute(statement)
    old.commit()
    old.close()
    db = Store(path)
    assert db.schema_version == len(MIGRATIONS) > 1
    assert [r.id for r in db.search("上海的天气")] == [1]
    assert [r.id for r in db.search("sunny")] == [1]
    save(db, 1, "明天呢", "Rain.")
    assert [r.id for r in db.search("明天")] == [1]
    assert db.load(1).turns == 2


def test_a_database_from_a_newer_chatcli_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    newer.close()
    with pytest.raises(StoreError, match="newer chatcli"):
        Store(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert "not a SQLite database" in str(info.value)
    assert str(path) in str(info.value)


def test_an_unusable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        Store(blocker / "conversations.db")
    assert "file" in str(info.value)


def test_a_locked_database_is_a_clear_error_then_recovers(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    db = Store(path, busy_timeout=0.1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    with pytest.raises(StoreError, match="locked"):
        save(db, None, "q", "a")
    holder.execute("ROLLBACK")
    holder.close()
    assert db.load(save(db, None, "q", "a")).turns == 1


def test_a_database_locked_while_opening_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            Store(path, busy_timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


WRITER = textwrap.dedent(
    """\
    import sys
    from pathlib import Path
    from chatcli.store.database import Store, StoredMessage

    path, name = Path(sys.argv[1]), sys.argv[2]
    turns, shared = int(sys.argv[3]), int(sys.argv[4])
    db = Store(path)
    print("ready", flush=True)
    assert sys.stdin.readline() == "go\\n"
    own = None
    for i in range(turns):
        for target in ("own", "shared"):
            cid = own if target == "own" else shared
            saved = db.save_turn(
                cid,
                [StoredMessage("user", f"{name} {target} q{i}"), StoredMessage("assistant", "a")],
                model="m", system=None, params={}, title=name,
            )
            if target == "own":
                own = saved.conversation_id
        if i == 0:  # both writers hold a turn in the shared conversation before going on
            print("started", flush=True)
            assert sys.stdin.readline() == "go on\\n"
    print(own)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    shared = save(Store(path), None, "shared start", "a")
    turns = 150
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(turns), str(shared)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(store_module.__file__).parents[2])},
        )
        for name in ("alpha", "beta")
    ]
    for line, answer in (("ready\n", "go\n"), ("started\n", "go on\n")):
        for writer in writers:  # both reached the line before either goes on
            assert writer.stdout is not None and writer.stdout.readline() == line
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write(answer)
            writer.stdin.flush()
    own = {}
    for name, writer in zip(("alpha", "beta"), writers, strict=True):
        out, _ = writer.communicate(timeout=120)
        assert writer.returncode == 0
        own[name] = int(out)
    db = Store(path)
    for name in ("alpha", "beta"):
        questions = [m.content for m in db.load(own[name]).messages if m.role == "user"]
        assert questions == [f"{name} own q{i}" for i in range(turns)]
    mixed = [m.content for m in db.load(shared).messages if m.role == "user"]
    assert len(mixed) == 1 + 2 * turns
    for name in ("alpha", "beta"):  # each writer's turns are all there, in its own order
        assert [q for q in mixed if q.startswith(name)] == [
            f"{name} shared q{i}" for i in range(turns)
        ]
    assert sorted(mixed[1:3]) == ["alpha shared q0", "beta shared q0"]  # they overlapped
    positions = [
        row[0]
        for row in sqlite3.connect(path).execute(
            "SELECT role FROM messages WHERE conversation_id = ? ORDER BY position", (shared,)
        )
    ]
    assert positions == ["user", "assistant"] * (1 + 2 * turns)  # no turn was interleaved


def test_a_save_that_fails_mid_session_warns_once_and_chatting_goes_on(
    tmp_path: Path, server: FakeOpenAI
) -> None:
    path = tmp_path / "conversations.db"
    bot = make_bot(server)
    warnings: list[str] = []
    recorder = Recorder(bot, Store(path, busy_timeout=0.1), warnings.append)
    bot("saved")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert bot("not saved: the database is locked").startswith("Echo")
        bot("history is off now")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(warnings) == 1 and "locked" in warnings[0]
    assert recorder.store is None
    assert [m.content for m in Store(path).load(1).messages] == ["saved", "Echo: saved"]
    assert len(bot.history) == 6
