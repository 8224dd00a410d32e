"""The toolbox a run starts with, from the settings: built-ins enabled by group, tools
approved in advance (each one tool of one server), and the MCP servers picked for this run
(not started yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatcli.tools.builtin import GROUPS, builtin_tools
from chatcli.tools.config import McpConfigError, McpServerConfig, ToolCache, read_mcp_json
from chatcli.tools.runner import Toolbox, ToolUI

if TYPE_CHECKING:
    from chatcli.config.settings import Settings


def mcp_servers(settings: Settings) -> dict[str, McpServerConfig]:
    """The config file's servers, then --mcp-config's; only --mcp's when given, none with
    --no-mcp. Raises McpConfigError, worded for the user."""
    from chatcli.i18n import t

    servers = dict(settings.mcp.servers)
    if settings.mcp_config is not None:
        servers.update(read_mcp_json(settings.mcp_config))
    if settings.no_mcp:
        return {}
    for name in settings.use_mcp:
        if name not in servers:
            known = ", ".join(servers) or "-"
            raise McpConfigError(t("mcp_unknown", name=name, known=known))
    if settings.use_mcp:
        return {name: servers[name] for name in settings.use_mcp}
    return {name: config for name, config in servers.items() if not config.disabled}


def toolbox(settings: Settings, ui: ToolUI, cache: ToolCache | None = None) -> Toolbox:
    """`cache`: where the servers' tool lists are remembered (the store), so that a request
    offers them without starting the servers."""
    box = Toolbox(ui)
    box.add(builtin_tools())
    for name in settings.tools:
        box.tools[GROUPS.get(name, name)].enabled = True
    servers = mcp_servers(settings)
    box.pre_approve(settings.yes_tool, servers)
    if servers:
        from chatcli.tools.mcp_client import McpHub

        box.hub = McpHub(servers, cache)
    return box
