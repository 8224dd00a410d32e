"""MCP servers' tool lists in the store (migration `mcp_tools`): the latest start's list
comes back whatever its version, a store that cannot be used means "not remembered", and
--private reads without writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chatcli.store.database import MCP_TOOLS_SINCE, Store
from chatcli.store.tool_cache import StoredToolCache
from chatcli.tools.config import McpServerConfig, server_key

TOOL = {"name": "get_current_time", "description": "the time", "input_schema": {}}


def test_the_latest_list_comes_back_by_command_line(isolated: Path) -> None:
    key = server_key(McpServerConfig(command="mcp-server-time", args=["--local-timezone", "UTC"]))
    other = server_key(McpServerConfig(command="mcp-server-time"))
    cache = StoredToolCache(write=True)
    assert cache.recall(key) is None
    cache.keep(key, "1.0", [TOOL])
    cache.keep(key, "2.0", [TOOL, {**TOOL, "name": "convert_time"}])
    assert [tool["name"] for tool in cache.recall(key) or []] == [
        "get_current_time",
        "convert_time",
    ]
    assert cache.recall(other) is None  # other arguments: another server


def test_private_reads_and_never_writes(isolated: Path) -> None:
    StoredToolCache(write=True).keep("k", "1", [TOOL])
    private = StoredToolCache(write=False)
    private.keep("k", "2", [])
    assert private.recall("k") == [TOOL]


def test_an_older_or_broken_store_remembers_nothing(isolated: Path, tmp_path: Path) -> None:
    older = tmp_path / "old.db"
    db = sqlite3.connect(older)
    db.execute(f"PRAGMA user_version = {MCP_TOOLS_SINCE - 1}")
    db.close()
    assert Store(older, write=False).remembered_tools("k") is None
    data = Store().path
    data.write_bytes(b"not a database" * 100)
    assert StoredToolCache(write=True).recall("k") is None
