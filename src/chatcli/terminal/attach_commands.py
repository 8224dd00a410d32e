"""REPL commands that stage context for the next message: /file, /run, /paste, /drop; and
the check that runs before a message with staged context is sent (its cost, or why it cannot
go), which also tells the recorder what the message carries.

Importing this module registers the commands.
"""

from __future__ import annotations

import math
import shlex

from chatcli.attach import (
    AttachError,
    Attachment,
    check,
    describe,
    from_clipboard,
    run_command,
    stage_sources,
)
from chatcli.conversation.bot import Content
from chatcli.i18n import os_reason, t
from chatcli.terminal.commands import CommandError, Context, command, quote_error, recorder


def prepare(ctx: Context, message: str) -> Content | None:
    """What to send for a typed message: with the staged context (then the stage is empty),
    or None when it cannot go (the stage is kept, so nothing is lost)."""
    if not ctx.stage:
        return message
    try:
        content, cost = check(ctx.bot, ctx.stage, message)
    except AttachError as exc:
        ctx.out.error(str(exc))
        return None
    ctx.out.info(cost)
    recorder(ctx).expect(content, ctx.stage.records())
    ctx.stage.drop(None)
    return content


def _stage(ctx: Context, item: Attachment) -> None:
    ctx.stage.items.append(item)
    ctx.out.info("+ " + describe(item, ctx.bot.token_scale))


@command(
    "file",
    "/file [PATH|URL…]",
    "把文件、目录、通配符或网址附加到下一条消息；不带参数时列出已附加的",
    "add files, folders, globs or URLs to the next message; alone, list what is staged",
)
def _file(ctx: Context, argument: str) -> None:
    if not argument.strip():
        if not ctx.stage:
            ctx.out.info(t("attach_none"))
            return
        for i, item in enumerate(ctx.stage.items, start=1):
            ctx.out.info(f"  {i}. {describe(item, ctx.bot.token_scale)}")
        ctx.out.info(t("attach_total", tokens=math.ceil(ctx.stage.tokens * ctx.bot.token_scale)))
        return
    try:
        sources = shlex.split(argument)
    except ValueError as exc:
        raise CommandError(quote_error("/file", exc)) from None
    stage_sources(
        ctx.stage,
        sources,
        confirm=ctx.ui.confirm,
        timeout=ctx.bot.timeout,
        say=ctx.out.info,
        fail=ctx.out.error,
        scale=ctx.bot.token_scale,
    )


@command(
    "run",
    "/run CMD",
    "在当前目录用 shell 运行命令，把输出附加到下一条消息（Ctrl-C 停止）",
    "run a shell command here and stage its output for the next message (Ctrl-C stops it)",
)
def _run(ctx: Context, argument: str) -> None:
    command_line = argument.strip()
    if not command_line:
        raise CommandError(t("run_usage"))
    try:
        ctx.out.info(t("run_started", command=command_line))
        item, status, left = run_command(command_line)
    except KeyboardInterrupt:
        ctx.out.error(t("run_stopped"))
        return
    except AttachError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(t("run_cannot_start", reason=os_reason(exc))) from None
    _stage(ctx, item)
    if status:
        ctx.out.error(t("run_failed", status=status))
    if left:
        ctx.out.info(t("run_left_running"))


@command(
    "paste",
    "/paste",
    "把剪贴板里的文本附加到下一条消息",
    "stage the clipboard's text for the next message",
)
def _paste(ctx: Context, argument: str) -> None:
    try:
        item = from_clipboard()
    except AttachError as exc:
        raise CommandError(str(exc)) from None
    _stage(ctx, item)


@command(
    "drop", "/drop [N]", "移除第 N 个附加内容（不带参数时全部移除）", "unstage item N (or all)"
)
def _drop(ctx: Context, argument: str) -> None:
    word = argument.strip()
    if word and (not word.isdigit() or not 1 <= int(word) <= len(ctx.stage.items)):
        raise CommandError(t("attach_drop_usage", n=len(ctx.stage.items)))
    dropped = ctx.stage.drop(int(word) if word else None)
    if not dropped:
        ctx.out.info(t("attach_none"))
        return
    for item in dropped:
        ctx.out.info("- " + describe(item, ctx.bot.token_scale))
