"""MCP servers' tool lists in the store (the `ToolCache` of tools/config.py): what lets a
request offer a server's tools without starting it.

Each use opens its own connection, so the MCP thread can write while the main thread reads;
a store that cannot be used only means the servers are started to learn their tools.
"""

from __future__ import annotations

import logging
from typing import Any

from chatcli.store.database import Store, StoreError

log = logging.getLogger("chatcli.mcp")


class StoredToolCache:
    """`write=False` (--private): remembered lists are read, nothing is written."""

    def __init__(self, *, write: bool) -> None:
        self.write = write

    def recall(self, server: str) -> list[dict[str, Any]] | None:
        try:
            store = Store(write=self.write)
            try:
                return store.remembered_tools(server)
            finally:
                store.close()
        except StoreError as exc:
            log.debug("MCP tool lists unavailable: %s", exc)
            return None

    def keep(self, server: str, version: str, tools: list[dict[str, Any]]) -> None:
        if not self.write:
            return
        try:
            store = Store()
            try:
                store.remember_tools(server, version, tools)
            finally:
                store.close()
        except StoreError as exc:
            log.debug("MCP tool list not kept: %s", exc)
