"""Attachment records in the store's own terms: a text that no longer matches its hash is shown
whole, a file putting records on a reply is refused, and a database written before the records
existed is read as it is and migrated without losing a turn."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from chatcli.store import database
from chatcli.store.database import MIGRATIONS, Store, StoredMessage
from chatcli.store.records import AttachmentRecord
from chatcli.store.transcript import read
from chatcli.terminal.attached import shown


def record(text: str, source: str = "notes.md") -> AttachmentRecord:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return AttachmentRecord(source=source, size=len(text), sha256=digest, chars=len(text))


def test_text_that_no_longer_matches_its_hash_is_shown_whole() -> None:
    """An edited file's message is never hidden behind a line claiming what it held."""
    text = "notes.md\n```markdown\n原文\n```"
    attached = record(text)
    honest = StoredMessage("user", text + "\n\n总结", attachments=[attached])
    edited = honest.model_copy(update={"content": honest.text.replace("原文", "改过")})
    assert shown(honest, "") == f"📎 notes.md (27 B, sha256:{attached.sha256[:8]}…)\n总结"
    assert shown(edited, "").endswith(edited.text) and "改过" in shown(edited, "")


def test_a_file_with_attachments_on_a_reply_is_refused_in_one_line() -> None:
    bad = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "yo", "attachments": [record("x").model_dump()]},
        ]
    }
    with pytest.raises(ValueError, match="only a user message has attachments"):
        read(json.dumps(bad))


def test_a_database_from_before_the_records_is_read_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    older = MIGRATIONS[: database.TOOLS_SINCE]  # the schema the released chatcli writes
    db = sqlite3.connect(path, isolation_level=None)
    for step in older:
        step(db)
    db.execute(f"PRAGMA user_version = {len(older)}")
    db.execute(
        "INSERT INTO conversations (title, created, updated, model) VALUES ('旧', 1, 1, 'm')"
    )
    for position, role in enumerate(("user", "assistant")):
        db.execute(
            "INSERT INTO messages (conversation_id, position, role, content, created) "
            "VALUES (1, ?, ?, ?, 1)",
            (position, role, f"{role} 旧的"),
        )
    db.close()
    path.chmod(0o600)

    reader = Store(path, write=False)  # --private: read as it is, never migrated
    assert [m.attachments for m in reader.load(1).messages] == [None, None]
    reader.close()
    store = Store(path)
    assert [m.text for m in store.load(1).messages] == ["user 旧的", "assistant 旧的"]
    text = "notes.md\n```markdown\n新\n```"
    store.save_turn(
        1,
        [
            StoredMessage("user", text + "\n\n看", attachments=[record(text)]),
            StoredMessage("assistant", "好"),
        ],
        model="m",
        system=None,
        params={},
        title="旧",
    )
    messages = store.load(1).messages
    assert messages[2].attachments == (record(text),) and messages[3].attachments is None
    store.close()
