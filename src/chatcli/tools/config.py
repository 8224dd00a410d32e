"""MCP servers as configured: `[mcp.servers.NAME]` in the config file, or the `mcpServers`
object of a Claude-Desktop-style JSON file (`--mcp-config PATH`). No MCP import here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chatcli.config.paths import read_regular

START_TIMEOUT = 30.0


class McpServerConfig(BaseModel):
    """One server: a command to start (stdio) or a URL (streamable HTTP)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    command: str | None = Field(None, min_length=1)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = Field(None, min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    auto_approve: list[str] = Field(default_factory=list, alias="autoApprove")
    timeout: float = Field(60.0, gt=0, le=86400)  # seconds per call
    disabled: bool = False

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either command (a stdio server) or url (streamable HTTP)")
        return self


def server_key(config: McpServerConfig) -> str:
    """What a server's remembered tool list is filed under: its command line, or its URL."""
    if config.url is not None:
        return config.url
    return json.dumps([config.command, *config.args], ensure_ascii=False)


class ToolCache(Protocol):
    """Where each server's tool list from its last successful start is kept (the store)."""

    def recall(self, server: str) -> list[dict[str, Any]] | None: ...
    def keep(self, server: str, version: str, tools: list[dict[str, Any]]) -> None: ...


class McpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    servers: dict[str, McpServerConfig] = Field(default_factory=dict)


class McpConfigError(ValueError):
    """The --mcp-config file cannot be used; the message names the file and the reason."""


def read_mcp_json(path: Path) -> dict[str, McpServerConfig]:
    """The servers of a Claude-Desktop-style file: `{"mcpServers": {NAME: {...}}}`; the
    fields chatcli does not use (`type`, `transport`) are passed over."""
    try:
        data = json.loads(read_regular(path.expanduser()).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise McpConfigError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise McpConfigError(f'{path}: no "mcpServers" object')
    found: dict[str, McpServerConfig] = {}
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            raise McpConfigError(f"{path}: mcpServers.{name} is not an object")
        fields = {k: v for k, v in entry.items() if k not in ("type", "transport")}
        try:
            found[name] = McpServerConfig.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            detail = first["msg"].removeprefix("Value error, ")
            raise McpConfigError(
                f"{path}: mcpServers.{name}{'.' + where if where else ''}: {detail}"
            ) from None
    return found
