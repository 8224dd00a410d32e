"""REPL commands for roles: /roles lists them, /role NAME starts a new conversation with one.

Importing this module registers them.
"""

from __future__ import annotations

from chatcli.config.roles import RoleError, find, listing
from chatcli.config.settings import GenerationParams
from chatcli.i18n import t
from chatcli.terminal.commands import CommandError, Context, command

SUMMARY = 56  # terminal cells of a role's first line in /roles (CJK counts two)


@command("roles", "/roles", "列出内置和自己的角色", "list the built-in roles and yours")
def _roles(ctx: Context, argument: str) -> None:
    from rich.cells import cell_len, set_cell_size

    rows = listing()
    width = max(cell_len(name) for name, _, _ in rows)
    for name, origin, summary in rows:
        first = (
            summary if cell_len(summary) <= SUMMARY else set_cell_size(summary, SUMMARY - 1) + "…"
        )
        ctx.out.info(f"  {set_cell_size(name, width)}  {first}  ({origin})")


@command(
    "role",
    "/role NAME",
    "用一个角色开始新对话（它的提示词、模型和参数）",
    "start a new conversation with a role (its prompt, model and parameters)",
)
def _role(ctx: Context, argument: str) -> None:
    name = argument.strip()
    if not name:
        raise CommandError(t("usage", usage="/role NAME (/roles)"))
    try:
        role = find(name)
    except RoleError as exc:
        raise CommandError(str(exc)) from None
    ctx.bot.params = GenerationParams.model_validate({**ctx.bot.params.model_dump(), **role.params})
    if "model" in role.settings:
        ctx.bot.model = role.settings["model"]
    ctx.bot.set_system(role.prompt)
    if ctx.store is not None:
        ctx.store.start_new()
    ctx.out.info(t("role_started", name=name, model=ctx.bot.model))
    if role.settings.get("provider"):
        ctx.out.info(t("role_provider_at_start", name=name, provider=role.settings["provider"]))
