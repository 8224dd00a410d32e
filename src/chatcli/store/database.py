"""Conversations in SQLite: schema and migrations, save-as-you-go, search (files: transcript).

Standard library, pydantic, the conversation models (`records`), private files and the string
table only, so it can be used and tested without the rest of chatcli.

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

A conversation is a tree: every message names its parent, and the conversation its active
leaf (`active`, the last message of the branch the model sees). Nothing is deleted when a turn
is taken back (/undo, /retry, /edit, /pick): the active leaf moves, and the old turn stays on a
branch of its own. A question asked again from the same place is the same message: its
answers are alternatives side by side.

Nothing secret is stored: a conversation keeps its model, system prompt and generation
parameters, never the API key or base URL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatcli.config import paths
from chatcli.i18n import os_reason, t
from chatcli.store import tree
from chatcli.store.records import (
    Content,
    Conversation,
    StoredMessage,
    bounded_cost,
    bounded_count,
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


class Active:
    """The default parent of new messages: the conversation's active leaf (`save_turn`)."""


ACTIVE = Active()


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
    branch: int | None = None  # the branch the snippet is on, where that needs saying
    on_active: bool = True


@dataclass(frozen=True)
class AnswerUsage:
    """One stored answer's usage, as `sessions stats` adds them up (unknown parts None)."""

    created: float
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    cached_tokens: int | None
    cost: str | None
    currency: str | None


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
def _m_cost(db: sqlite3.Connection) -> None:
    # What a turn used and cost, on its answer: the prompt tokens the server's cache served,
    # and the cost in its currency (a decimal as text, exact; NULL where no price was known).
    db.execute("ALTER TABLE messages ADD COLUMN cached_tokens INTEGER")
    db.execute("ALTER TABLE messages ADD COLUMN cost TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN currency TEXT")


COST_SINCE = len(MIGRATIONS)  # the schema version that added the cost columns


@migration
def _m_tree(db: sqlite3.Connection) -> None:
    # Each message's parent and each conversation's active leaf; what was stored before is
    # one branch: every message follows the one before it, the last is active.
    db.execute("ALTER TABLE messages ADD COLUMN parent INTEGER")
    db.execute("ALTER TABLE conversations ADD COLUMN active INTEGER")
    db.execute(
        "UPDATE messages SET parent = (SELECT p.id FROM messages p "
        "WHERE p.conversation_id = messages.conversation_id AND p.position < messages.position "
        "ORDER BY p.position DESC LIMIT 1)"
    )
    db.execute(
        "UPDATE conversations SET active = (SELECT m.id FROM messages m "
        "WHERE m.conversation_id = conversations.id ORDER BY m.position DESC LIMIT 1)"
    )
    db.execute("CREATE INDEX messages_parent ON messages(parent)")


TREE_SINCE = len(MIGRATIONS)  # the schema version that added messages.parent


@migration
def _m_attachments(db: sqlite3.Connection) -> None:
    # What a user message carried (source, size, hash of its text in the message), as JSON:
    # listings show one line per attachment instead of its text.
    db.execute("ALTER TABLE messages ADD COLUMN attachments TEXT")


ATTACHMENTS_SINCE = len(MIGRATIONS)  # the schema version that added messages.attachments


@migration
def _m_mcp_tools(db: sqlite3.Connection) -> None:
    # Each MCP server's tool list from its last successful start, by its command (or URL)
    # and the version it reported: a request offers them without starting the server.
    db.execute(
        "CREATE TABLE mcp_tools (server TEXT NOT NULL, version TEXT NOT NULL, "
        "tools TEXT NOT NULL, updated REAL NOT NULL, PRIMARY KEY (server, version))"
    )


MCP_TOOLS_SINCE = len(MIGRATIONS)  # the schema version that added mcp_tools


# --- the store -------------------------------------------------------------------------------

_SUMMARY = "SELECT c.id, c.title, c.created, c.updated, c.model, {turns} FROM conversations c"
# The questions on the active branch, walked up from the active leaf.
_ACTIVE_TURNS = (
    "(WITH RECURSIVE up(id, parent, role) AS ("
    "SELECT id, parent, role FROM messages WHERE id = c.active UNION ALL "
    "SELECT m.id, m.parent, m.role FROM messages m JOIN up ON m.id = up.parent) "
    "SELECT count(*) FROM up WHERE role = 'user')"
)
_ALL_TURNS = "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user')"


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
            raise StoreError(where, os_reason(exc)) from None
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

    def _summary_sql(self) -> str:
        branched = _version(self._db) >= TREE_SINCE
        return _SUMMARY.format(turns=_ACTIVE_TURNS if branched else _ALL_TURNS)

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
        parent: int | Active | None = ACTIVE,
    ) -> Saved:
        """Add messages in one transaction, the first following `parent` (None: a first
        question; by default the active leaf: appended to the active branch), each the next
        one's parent; the last (else `parent`) becomes the active leaf. Creates the
        conversation when needed.

        Nothing is deleted: the messages that followed `parent` before stay, on their own
        branch. The conversation's id is a new one if `conversation_id` is None or was deleted
        meanwhile by another process.
        """
        now = time.time()
        with self._transaction() as db:
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
            if isinstance(parent, Active):
                (after,) = db.execute(
                    "SELECT active FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
            else:
                after = parent
            if not db.execute(
                "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?",
                (after, conversation_id),
            ).fetchone():
                after = None
            ids = _insert_messages(db, conversation_id, messages, after)
            db.execute(
                "UPDATE conversations SET active = ? WHERE id = ?",
                (ids[-1] if ids else after, conversation_id),
            )
        return Saved(conversation_id, ids)

    def set_active(self, conversation_id: int, leaf: int | None) -> None:
        """Make the branch ending at `leaf` the one the model sees (`/branch`)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE conversations SET active = ?, updated = ? WHERE id = ?",
                (leaf, time.time(), conversation_id),
            )

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
            if not conversation.branches:
                ids = _insert_messages(db, new_id, conversation.messages, None, reuse=False)
                active = ids[-1] if ids else None
            else:  # in drawing order, so the branches keep their numbers
                links = conversation.links()
                by_id = {m.id: m for m in [*conversation.messages, *conversation.branches]}
                placed: dict[int | None, int | None] = {None: None}
                for node in tree.walk(links):
                    (placed[node],) = _insert_messages(
                        db, new_id, [by_id[node]], placed[links[node]], reuse=False
                    )
                active = placed[conversation.messages[-1].id] if conversation.messages else None
            db.execute("UPDATE conversations SET active = ? WHERE id = ?", (active, new_id))
        return new_id

    def update_answer(self, message_id: int, message: StoredMessage) -> None:
        """An answer changed in place (a continuation joined it): the same row, so it keeps
        its id and its place in the conversation; what was used and paid is the sum."""
        with self._transaction() as db:
            db.execute(
                "UPDATE messages SET content = ?, tokens = ?, prompt_tokens = ?, "
                "cached_tokens = ?, cost = ?, currency = ?, finish_reason = ?, interrupted = ?, "
                "reasoning = ? WHERE id = ?",
                (
                    message.text,
                    message.tokens,
                    message.prompt_tokens,
                    message.cached_tokens,
                    None if message.cost is None else str(message.cost),
                    message.currency,
                    message.finish_reason,
                    int(message.interrupted),
                    message.reasoning,
                    message_id,
                ),
            )
            db.execute(
                "UPDATE conversations SET updated = ? "
                "WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (time.time(), message_id),
            )

    def remember_tools(self, server: str, version: str, tools: list[dict[str, Any]]) -> None:
        """An MCP server's tool list as it just listed it (`server`: its command or URL)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO mcp_tools (server, version, tools, updated) "
                "VALUES (?, ?, ?, ?)",
                (server, version, _dump({"tools": tools}), time.time()),
            )

    def remembered_tools(self, server: str) -> list[dict[str, Any]] | None:
        """The tool list of the server's last successful start (any version), or None."""
        if _version(self._db) < MCP_TOOLS_SINCE:
            return None
        with self._guard():
            row = self._db.execute(
                "SELECT tools FROM mcp_tools WHERE server = ? ORDER BY updated DESC LIMIT 1",
                (server,),
            ).fetchone()
        tools = _load_params(row[0]).get("tools") if row else None
        return [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else None

    def answers(self) -> list[AnswerUsage]:
        """What every stored answer used and cost, oldest first: for `sessions stats`."""
        with self._guard():
            costs = _cost_columns(self._db)
            rows = self._db.execute(
                "SELECT m.created, coalesce(m.model, c.model), m.prompt_tokens, m.tokens, "
                f"{costs} FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.role = 'assistant' ORDER BY m.created, m.id"
            ).fetchall()
        return [AnswerUsage(*row) for row in rows]

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
                f"{self._summary_sql()} ORDER BY c.updated DESC, c.id DESC LIMIT ?", (limit,)
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
                f"{self._summary_sql()} WHERE c.id IN (SELECT m.conversation_id FROM messages m "
                f"WHERE {where}) OR c.title LIKE ? ESCAPE '\\' "
                "ORDER BY c.updated DESC, c.id DESC LIMIT ?",
                (*args, title_like, limit),
            ).fetchall()
            found = []
            for row in rows:
                hit = self._db.execute(
                    f"SELECT m.content, m.id FROM messages m WHERE m.conversation_id = ? "
                    f"AND {where} ORDER BY m.position LIMIT 1",
                    (row[0], *args),
                ).fetchone()
                summary = _summary(row, _snippet(hit[0], words) if hit else None)
                if hit and _version(self._db) >= TREE_SINCE:
                    summary = self._on_branch(summary, hit[1])
                found.append(summary)
        return found

    def _on_branch(self, summary: Summary, message_id: int) -> Summary:
        """Say which branch a search hit is on, when it is not simply the only one."""
        links = self._links(summary.id)
        (active,) = self._db.execute(
            "SELECT active FROM conversations WHERE id = ?", (summary.id,)
        ).fetchone()
        on_active = message_id in tree.path(links, active)
        if on_active and len(tree.leaves(links)) == 1:
            return summary
        return replace(
            summary, branch=tree.branch_of(links, message_id, active), on_active=on_active
        )

    def _links(self, conversation_id: int) -> dict[int, int | None]:
        rows = self._db.execute(
            "SELECT id, parent FROM messages WHERE conversation_id = ?", (conversation_id,)
        ).fetchall()
        return {int(i): parent for i, parent in rows}

    def load(self, conversation_id: int) -> Conversation:
        """The conversation: its active branch as `messages`, the other branches beside."""
        with self._guard():
            version = _version(self._db)
            active = "active" if version >= TREE_SINCE else "NULL"
            row = self._db.execute(
                f"SELECT id, title, created, updated, model, system, params, {active} "
                "FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise UnknownConversation(conversation_id)
            reasoning = "reasoning" if version >= REASONING_SINCE else "NULL"
            tools = "tools" if version >= TOOLS_SINCE else "NULL"
            parent = "parent" if version >= TREE_SINCE else "NULL"
            attached = "attachments" if version >= ATTACHMENTS_SINCE else "NULL"
            costs = _cost_columns(self._db)
            messages = self._db.execute(
                "SELECT role, content, parts, model, tokens, prompt_tokens, finish_reason, "
                f"created, interrupted, id, {reasoning}, {tools}, {parent}, {costs}, {attached} "
                "FROM messages "
                "WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        try:
            stored = [
                StoredMessage(
                    m[0],
                    json.loads(m[2]) if m[2] is not None else m[1],
                    model=m[3],
                    tokens=bounded_count(m[4]),
                    prompt_tokens=bounded_count(m[5]),
                    finish_reason=m[6],
                    created=m[7],
                    interrupted=bool(m[8]),
                    id=m[9],
                    reasoning=m[10],
                    tools=json.loads(m[11]) if m[11] else None,
                    parent=m[12],
                    cached_tokens=bounded_count(m[13]),
                    cost=bounded_cost(m[14]),
                    currency=m[15] if bounded_cost(m[14]) is not None else None,
                    attachments=json.loads(m[16]) if m[16] else None,
                )
                for m in messages
            ]
            leaf = row[7]
            if version < TREE_SINCE:  # one branch: each message follows the one before
                chain = [None, *(m.id for m in stored)]
                stored = [
                    m.model_copy(update={"parent": p})
                    for m, p in zip(stored, chain[:-1], strict=True)
                ]
                leaf = chain[-1]
            links = {m.id: m.parent for m in stored if m.id is not None}
            on_path = tree.path(links, leaf)
            # on the active branch each message follows the one before: no parent to name
            by_id = {m.id: m.model_copy(update={"parent": None}) for m in stored}
            by_id.update({m.id: m for m in stored if m.id not in on_path})
            return Conversation(
                id=row[0],
                title=row[1],
                created=row[2],
                updated=row[3],
                model=row[4],
                system=row[5],
                params=_load_params(row[6]),
                messages=tuple(by_id[i] for i in on_path),
                branches=tuple(sorted((m for m in stored if m.id not in on_path), key=_id)),
            )
        except ValueError as exc:  # a ValidationError, or parts that are not JSON
            reason = describe(exc) if isinstance(exc, ValidationError) else str(exc)
            raise StoreError(
                self.path, t("store_damaged", id=conversation_id, reason=reason)
            ) from None


def _id(message: StoredMessage) -> int:
    return message.id or 0


def _cost_columns(db: sqlite3.Connection) -> str:
    """The cost columns, or NULLs in a file older than them (read-only stores read it as is)."""
    if _version(db) >= COST_SINCE:
        return "cached_tokens, cost, currency"
    return "NULL, NULL, NULL"


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
        return t("store_newer", version=version)
    return t("store_older", version=version)


# SQLite's own words (English) -> what chatcli says in the interface's language
_SQLITE_REASONS = {
    "not a database": "store_not_sqlite",
    "locked": "store_locked",
    "busy": "store_locked",
    "unable to open database file": "store_cannot_open",
    "readonly database": "store_read_only",
    "disk is full": "os_enospc",
    "disk I/O error": "store_io",
}


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    key = next((key for words, key in _SQLITE_REASONS.items() if words in text), None)
    return t(key) if key else text


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
    db: sqlite3.Connection,
    conversation_id: int,
    messages: Sequence[StoredMessage],
    parent: int | None,
    *,
    reuse: bool = True,
) -> list[int]:
    """Insert a chain of messages under `parent`; with `reuse`, a first question the very
    same as one already asked from there is that one (a /retry adds an answer beside)."""
    (position,) = db.execute(
        "SELECT coalesce(max(position) + 1, 0) FROM messages WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    ids: list[int] = []
    for m in messages:
        parts = None if isinstance(m.content, str) else json.dumps(m.content, ensure_ascii=False)
        same = (
            db.execute(
                "SELECT id FROM messages WHERE conversation_id = ? AND parent IS ? "
                "AND role = 'user' AND content = ? AND parts IS ? ORDER BY id LIMIT 1",
                (conversation_id, parent, m.text, parts),
            ).fetchone()
            if reuse and not ids and m.role == "user"
            else None
        )
        if same is not None:
            parent = int(same[0])
            ids.append(parent)
            continue
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, position, role, content, parts, model, "
            "tokens, prompt_tokens, finish_reason, created, interrupted, reasoning, tools, "
            "cached_tokens, cost, currency, parent, attachments) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                position,
                m.role,
                m.text,
                parts,
                m.model,
                m.tokens,
                m.prompt_tokens,
                m.finish_reason,
                m.created,
                int(m.interrupted),
                m.reasoning,
                json.dumps(m.tools, ensure_ascii=False) if m.tools else None,
                m.cached_tokens,
                None if m.cost is None else str(m.cost),
                m.currency,
                parent,
                json.dumps([a.model_dump() for a in m.attachments], ensure_ascii=False)
                if m.attachments
                else None,
            ),
        )
        assert cursor.lastrowid is not None
        parent = cursor.lastrowid
        position += 1
        ids.append(parent)
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
