"""Conversations in SQLite: schema and migrations, save-as-you-go, search (files: transcript).

Standard library, pydantic and the conversation models (`records`) only, so it can be used
and tested without the rest of chatcli.

Durability: every finished turn (user message + reply, and the conversation row for the first
one) goes in with one `BEGIN IMMEDIATE … COMMIT`, so a crash or `kill -9` loses at most the
reply being streamed and never leaves half a turn. WAL mode plus a busy timeout let two
chatcli processes write to the same file at once.

Search: an FTS5 index with the `trigram` tokenizer, kept in sync by triggers. Trigrams match
any substring of 3 or more characters, which is what Chinese needs (no spaces between words).
Query words shorter than 3 characters cannot use a trigram index, so they fall back to a
`LIKE` scan of the messages table: correct, only slower on very large histories.

The file is chatcli's own: never opened through a symbolic link. A store opened with
`write=False` (--private, listings) opens the file read-only and never creates, chmods or
migrates it, so it also works on a database the user cannot write.

Nothing secret is stored: a conversation keeps its model, system prompt and generation
parameters, never the API key or base URL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatcli.config import paths
from chatcli.store.records import (
    Content,
    Conversation,
    StoredMessage,
    content_text,
    describe,
)

__all__ = ["Content", "Conversation", "StoredMessage", "content_text"]
DB_NAME = "conversations.db"
MIN_TRIGRAM = 3


class StoreError(Exception):
    """The database cannot be used (unreadable, not SQLite, locked, too new): history is off."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnknownConversation(LookupError):
    def __init__(self, conversation_id: int) -> None:
        super().__init__(conversation_id)
        self.conversation_id = conversation_id


@dataclass(frozen=True)
class Saved:
    conversation_id: int
    message_ids: list[int]


@dataclass(frozen=True)
class Summary:
    """One row of a listing; `snippet` is the matching text when it came from a search."""

    id: int
    title: str
    created: float
    updated: float
    model: str
    turns: int
    snippet: str | None = None


# --- schema ----------------------------------------------------------------------------------

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []
# The oldest schema a read-only store reads as it is (what later steps added reads as empty),
# so listing or exporting never asks the user to upgrade the file first.
READABLE_SINCE = 2


def migration(step: Migration) -> Migration:
    """Register the next schema step; `PRAGMA user_version` counts the steps applied."""
    MIGRATIONS.append(step)
    return step


@migration
def _m001_conversations(db: sqlite3.Connection) -> None:
    # AUTOINCREMENT: an id is never reused, so a deleted conversation's number (or a message
    # id another process remembers) never comes to name a different one.
    db.execute(
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            model TEXT NOT NULL,
            system TEXT,
            params TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    db.execute(
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            parts TEXT,
            model TEXT,
            tokens INTEGER,
            prompt_tokens INTEGER,
            finish_reason TEXT,
            created REAL NOT NULL,
            interrupted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (conversation_id, position)
        )"""
    )
    db.execute("CREATE INDEX conversations_updated ON conversations(updated)")


@migration
def _m002_search(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5("
        "content, content='messages', content_rowid='id', tokenize='trigram')"
    )
    db.execute(
        "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END"
    )
    db.execute(
        "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, content) "
        "VALUES ('delete', old.id, old.content); END"
    )
    db.execute(
        "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, content) "
        "VALUES ('delete', old.id, old.content); "
        "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END"
    )
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")


@migration
def _m003_reasoning(db: sqlite3.Connection) -> None:
    # A reply's reasoning, apart from its content: shown and exported, never sent back.
    db.execute("ALTER TABLE messages ADD COLUMN reasoning TEXT")


REASONING_SINCE = 3  # the schema version that added messages.reasoning


@migration
def _m004_tools(db: sqlite3.Connection) -> None:
    # The tool rounds of a turn (assistant messages with tool_calls and their tool results),
    # as JSON on the turn's answer: they come back, are exported and undone with it.
    db.execute("ALTER TABLE messages ADD COLUMN tools TEXT")


TOOLS_SINCE = 4  # the schema version that added messages.tools


@migration
def _m_attachments(db: sqlite3.Connection) -> None:
    # What a user message carried (source, size, hash of its text in the message), as JSON:
    # listings show one line per attachment instead of its text.
    db.execute("ALTER TABLE messages ADD COLUMN attachments TEXT")


ATTACHMENTS_SINCE = len(MIGRATIONS)  # the schema version that added messages.attachments


# --- the store -------------------------------------------------------------------------------

_SUMMARY = (
    "SELECT c.id, c.title, c.created, c.updated, c.model, "
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user') "
    "FROM conversations c"
)


class Store:
    """One open database. Every method raises StoreError when SQLite fails."""

    def __init__(
        self, path: Path | None = None, *, busy_timeout: float = 5.0, write: bool = True
    ) -> None:
        """Open (creating, private, if needed) the database; `path` defaults to the data dir.

        `write=False`: only read. A missing database then reads as an empty one."""
        try:
            self.path = path or paths.data_dir() / DB_NAME
            if write:
                paths.private_file(self.path)
            else:
                paths.check_own_file(self.path)
        except OSError as exc:
            where = Path(exc.filename) if exc.filename else (path or Path(DB_NAME))
            raise StoreError(where, exc.strerror or str(exc)) from None
        if write:
            self._db = self._open(busy_timeout)
        else:
            self._db = self._open_read_only(busy_timeout) if self.path.exists() else _empty()

    def _open(self, busy_timeout: float) -> sqlite3.Connection:
        """Connect, switch to WAL and migrate. Two processes creating the database at the same
        moment can meet SQLITE_BUSY without the busy handler being asked (the journal-mode
        switch), so a busy open is retried until the timeout, like any other write."""
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                return self._connect(busy_timeout)
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    raise StoreError(self.path, _reason(exc)) from None
            except sqlite3.Error as exc:
                raise StoreError(self.path, _reason(exc)) from None
            time.sleep(0.02)

    def _uri(self, query: str) -> str:
        return f"{self.path.absolute().as_uri()}?nofollow=1{query}"

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        db = sqlite3.connect(self._uri(""), uri=True, isolation_level=None, timeout=busy_timeout)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, busy_timeout: float) -> sqlite3.Connection:
        """Read-only; where SQLite cannot create the WAL index beside a file the user cannot
        write, the file is read as it is on disk (immutable)."""
        error = sqlite3.OperationalError("unable to open database file")
        for query in ("&mode=ro", "&immutable=1"):
            db = sqlite3.connect(
                self._uri(query), uri=True, isolation_level=None, timeout=busy_timeout
            )
            try:
                version = _version(db)
            except sqlite3.OperationalError as exc:
                db.close()
                error = exc
                continue
            except sqlite3.Error as exc:
                db.close()
                raise StoreError(self.path, _reason(exc)) from None
            if version == 0:  # created, but never written: nothing to read
                db.close()
                return _empty()
            if not READABLE_SINCE <= version <= len(MIGRATIONS):
                db.close()
                raise StoreError(self.path, _schema_mismatch(version))
            return db
        raise StoreError(self.path, _reason(error))

    def _migrate(self, db: sqlite3.Connection) -> None:
        if _version(db) == len(MIGRATIONS):
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = _version(db)
            if version > len(MIGRATIONS):
                raise StoreError(self.path, _schema_mismatch(version))
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        with self._guard():
            return _version(self._db)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(self.path, _reason(exc)) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers queue, never deadlock."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # writing

    def save_turn(
        self,
        conversation_id: int | None,
        messages: Sequence[StoredMessage],
        *,
        model: str,
        system: str | None,
        params: dict[str, Any],
        title: str,
        drop: Sequence[int] = (),
    ) -> Saved:
        """Append a finished turn in one transaction; creates the conversation when needed.

        `drop` lists message ids to delete first (turns the user took back with /undo or
        /retry). The conversation's id is a new one if `conversation_id` is None or was
        deleted meanwhile by another process.
        """
        now = time.time()
        with self._transaction() as db:
            db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in drop])
            exists = (
                conversation_id is not None
                and db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
            )
            if exists:
                db.execute(
                    "UPDATE conversations SET updated = ?, model = ?, system = ?, params = ? "
                    "WHERE id = ?",
                    (now, model, system, _dump(params), conversation_id),
                )
            else:
                conversation_id = _insert_conversation(
                    db, title=title, created=now, model=model, system=system, params=params
                )
            assert conversation_id is not None
            ids = _insert_messages(db, conversation_id, messages)
        return Saved(conversation_id, ids)

    def import_conversation(self, conversation: Conversation) -> int:
        """Store a conversation read from a file (an export, a `/load`); it gets a new id."""
        with self._transaction() as db:
            new_id = _insert_conversation(
                db,
                title=conversation.title,
                created=conversation.created,
                model=conversation.model,
                system=conversation.system,
                params=conversation.params,
            )
            db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?",
                (conversation.updated, new_id),
            )
            _insert_messages(db, new_id, conversation.messages)
        return new_id

    def rename(self, conversation_id: int, title: str) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id)
            ).rowcount
        if not changed:
            raise UnknownConversation(conversation_id)

    def delete(self, conversation_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            gone = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        if not gone.rowcount:
            raise UnknownConversation(conversation_id)

    # reading

    def exists(self, conversation_id: int) -> bool:
        with self._guard():
            row = self._db.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return row is not None

    def latest(self) -> int | None:
        with self._guard():
            row = self._db.execute(
                "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
            ).fetchone()
        return int(row[0]) if row else None

    def recent(self, limit: int = 20) -> list[Summary]:
        with self._guard():
            rows = self._db.execute(
                f"{_SUMMARY} ORDER BY c.updated DESC, c.id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_summary(row) for row in rows]

    def search(self, query: str, limit: int = 20) -> list[Summary]:
        """Conversations with a message containing every word of `query` (or a matching title).

        Words of 3+ characters use the trigram index; shorter ones a LIKE scan.
        """
        words = query.split()
        if not words:
            return self.recent(limit)
        where, args = _message_filter(words)
        title_like = "%" + _like_escape(query.strip()) + "%"
        with self._guard():
            rows = self._db.execute(
                f"{_SUMMARY} WHERE c.id IN (SELECT m.conversation_id FROM messages m "
                f"WHERE {where}) OR c.title LIKE ? ESCAPE '\\' "
                "ORDER BY c.updated DESC, c.id DESC LIMIT ?",
                (*args, title_like, limit),
            ).fetchall()
            found = []
            for row in rows:
                hit = self._db.execute(
                    f"SELECT m.content FROM messages m WHERE m.conversation_id = ? AND {where} "
                    "ORDER BY m.position LIMIT 1",
                    (row[0], *args),
                ).fetchone()
                found.append(_summary(row, _snippet(hit[0], words) if hit else None))
        return found

    def load(self, conversation_id: int) -> Conversation:
        with self._guard():
            row = self._db.execute(
                "SELECT id, title, created, updated, model, system, params "
                "FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise UnknownConversation(conversation_id)
            reasoning = "reasoning" if _version(self._db) >= REASONING_SINCE else "NULL"
            tools = "tools" if _version(self._db) >= TOOLS_SINCE else "NULL"
            attached = "attachments" if _version(self._db) >= ATTACHMENTS_SINCE else "NULL"
            messages = self._db.execute(
                "SELECT role, content, parts, model, tokens, prompt_tokens, finish_reason, "
                f"created, interrupted, id, {reasoning}, {tools}, {attached} FROM messages "
                "WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        try:
            return Conversation(
                id=row[0],
                title=row[1],
                created=row[2],
                updated=row[3],
                model=row[4],
                system=row[5],
                params=_load_params(row[6]),
                messages=tuple(
                    StoredMessage(
                        m[0],
                        json.loads(m[2]) if m[2] is not None else m[1],
                        model=m[3],
                        tokens=m[4],
                        prompt_tokens=m[5],
                        finish_reason=m[6],
                        created=m[7],
                        interrupted=bool(m[8]),
                        id=m[9],
                        reasoning=m[10],
                        tools=json.loads(m[11]) if m[11] else None,
                        attachments=json.loads(m[12]) if m[12] else None,
                    )
                    for m in messages
                ),
            )
        except ValueError as exc:  # a ValidationError, or parts that are not JSON
            reason = describe(exc) if isinstance(exc, ValidationError) else str(exc)
            raise StoreError(
                self.path, f"conversation {conversation_id} is damaged: {reason}"
            ) from None


def _summary(row: Sequence[Any], snippet: str | None = None) -> Summary:
    id_, title, created, updated, model, turns = row
    return Summary(id_, title, created, updated, model, turns, snippet)


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _empty() -> sqlite3.Connection:
    """An empty database in memory: what a missing file reads as."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    for step in MIGRATIONS:
        step(db)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    return db


def _schema_mismatch(version: int) -> str:
    if version > len(MIGRATIONS):
        return f"written by a newer chatcli (schema {version}); please upgrade"
    return (
        f"written by an older chatcli (schema {version}); open it once without --private "
        "to bring it up to date"
    )


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text:
        return "not a SQLite database (damaged or some other file); move it away to start afresh"
    if "locked" in text or "busy" in text:
        return "the database is locked by another program"
    return text


def _dump(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True)


def _load_params(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _insert_conversation(
    db: sqlite3.Connection,
    *,
    title: str,
    created: float,
    model: str,
    system: str | None,
    params: dict[str, Any],
) -> int:
    cursor = db.execute(
        "INSERT INTO conversations (title, created, updated, model, system, params) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (title, created, created, model, system, _dump(params)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _insert_messages(
    db: sqlite3.Connection, conversation_id: int, messages: Sequence[StoredMessage]
) -> list[int]:
    (start,) = db.execute(
        "SELECT coalesce(max(position) + 1, 0) FROM messages WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    ids = []
    for offset, m in enumerate(messages):
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, position, role, content, parts, model, "
            "tokens, prompt_tokens, finish_reason, created, interrupted, reasoning, tools, "
            "attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                start + offset,
                m.role,
                m.text,
                None if isinstance(m.content, str) else json.dumps(m.content, ensure_ascii=False),
                m.model,
                m.tokens,
                m.prompt_tokens,
                m.finish_reason,
                m.created,
                int(m.interrupted),
                m.reasoning,
                json.dumps(m.tools, ensure_ascii=False) if m.tools else None,
                json.dumps([a.model_dump() for a in m.attachments], ensure_ascii=False)
                if m.attachments
                else None,
            ),
        )
        assert cursor.lastrowid is not None
        ids.append(cursor.lastrowid)
    return ids


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _message_filter(words: list[str]) -> tuple[str, list[str]]:
    """SQL over `messages m` that every word must match, and its arguments."""
    long_words = [w for w in words if len(w) >= MIN_TRIGRAM]
    clauses: list[str] = []
    args: list[str] = []
    if long_words:
        clauses.append("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)")
        args.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long_words))
    for word in words:
        if len(word) < MIN_TRIGRAM:
            clauses.append("m.content LIKE ? ESCAPE '\\'")
            args.append("%" + _like_escape(word) + "%")
    return " AND ".join(clauses), args


def _snippet(text: str, words: list[str], width: int = 60) -> str:
    folded = text.casefold()
    at = min((i for w in words if (i := folded.find(w.casefold())) >= 0), default=0)
    start = max(0, at - width // 3)
    piece = " ".join(text[start : start + width].split())
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")
