"""/tools and /tool: what the model may call, switched on and off; one call's result whole."""

from __future__ import annotations

import json
import shutil
import textwrap

from rich.cells import cell_len

from chatcli.i18n import follow, t
from chatcli.terminal.commands import CommandError, Context, command
from chatcli.tools.runner import Toolbox, server_label


def _toolbox(ctx: Context) -> Toolbox:
    box = ctx.bot.tools
    if not isinstance(box, Toolbox):
        raise CommandError(t("tools_none"))
    return box


@command(
    "tools",
    "/tools [on|off NAME | restart SERVER]",
    "列出工具与 MCP 服务器（先启动它们），开关一个工具（shell、read、工具名或服务器名），"
    "或重新启动一个 MCP 服务器",
    "list tools and MCP servers (starting them first), switch one on or off (shell, read, "
    "a tool or a server), or start an MCP server again",
)
def _tools(ctx: Context, argument: str) -> None:
    box = _toolbox(ctx)
    words = argument.split()
    if words[:1] == ["restart"] and len(words) == 2:
        _restart(ctx, box, words[1])
        return
    if words:
        box.settle(wait=False)
        if len(words) != 2 or words[0] not in ("on", "off"):
            raise CommandError("/tools [on|off NAME | restart SERVER]")
        matched = box.switch(words[1], words[0] == "on")
        if not matched:
            raise CommandError(t("tools_no_such", name=words[1]))
        names = ", ".join(tool.name for tool in matched)
        ctx.out.info(t("tools_on" if words[0] == "on" else "tools_off", names=names))
        return
    box.settle(start=True)  # the lists as the servers give them now
    lines = [t("tools_server", server=server, state=state) for server, state in box.states()]
    labels = {tool.name: f"{server_label(tool.server)} · {tool.own}" for tool in box.tools.values()}
    width = max((cell_len(label) for label in labels.values()), default=0)
    columns = shutil.get_terminal_size().columns
    for tool in box.tools.values():
        state = t("tools_state_on" if tool.enabled else "tools_state_off")
        asks = t("tools_approved") if box.approves(tool) else ""
        label = labels[tool.name] + " " * (width - cell_len(labels[tool.name]))
        line = follow(f"  {label}  {state}", asks) + "  "
        # one line each: the description's first sentence or so, cut at a word
        room = max(20, columns - cell_len(line) - 1)
        summary = textwrap.shorten(tool.description, room, placeholder=" …")
        lines.append(line + summary)
    ctx.out.info("\n".join(lines))


def _restart(ctx: Context, box: Toolbox, name: str) -> None:
    """Start a server that failed or stopped, wait for it, say how it went."""
    hub = box.hub
    servers = {server.name: server for server in (hub.servers if hub else [])}
    server = servers.get(name)
    if hub is None or server is None:
        raise CommandError(t("mcp_no_server", name=name, known=", ".join(servers) or "-"))
    if server.state == "ready":
        ctx.out.info(t("mcp_running", name=name))
        return
    hub.launch(server)
    ctx.out.info(t("mcp_waiting", names=name))
    server.wait_started()
    box.settle(wait=False)
    ctx.out.info(t("tools_server", server=name, state=server.describe()))


@command(
    "tool",
    "/tool N",
    "完整显示第 N 次工具调用及其结果",
    "show the N-th tool call and its result in full",
)
def _tool(ctx: Context, argument: str) -> None:
    records = _toolbox(ctx).records
    if not argument.isdigit() or not 1 <= int(argument) <= len(records):
        raise CommandError(t("tool_usage", n=len(records)))
    record = records[int(argument) - 1]
    ctx.out.info(
        t("tool_shown", n=record.number, server=server_label(record.server), name=record.name)
    )
    ctx.out.info(json.dumps(record.arguments, ensure_ascii=False, indent=2))
    ctx.out.info(record.result)
