"""REPL commands for saved conversations: /sessions, /resume, /new, /title, /delete, and
the branches of the one on screen: /tree, /branch.

Importing this module registers them; `ctx.store` (a `Recorder`) is None when the REPL runs
without a database, and then the commands say that history is off.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from chatcli.i18n import t
from chatcli.store import tree
from chatcli.store.database import Conversation, Store, StoreError, UnknownConversation
from chatcli.store.recorder import Recorder
from chatcli.terminal.commands import CommandError, Context, Handler, command
from chatcli.terminal.sessions import count_turns, last_turn, listing, recap
from chatcli.terminal.tree_view import draw

StoreHandler = Callable[[Context, Recorder, Store, str], None]


def _with_store(handler: StoreHandler) -> Handler:
    """Give the handler the open store; a database failure turns history off, with a warning."""

    def run(ctx: Context, argument: str) -> None:
        recorder = ctx.store
        if recorder is None or recorder.store is None:
            raise CommandError(t("store_disabled"))
        try:
            handler(ctx, recorder, recorder.store, argument)
        except StoreError as exc:
            recorder.fail(exc)
        except UnknownConversation as exc:
            raise CommandError(t("unknown_conversation", id=exc.conversation_id)) from None

    return run


def _conversation_id(argument: str, usage: str) -> int:
    word = argument.strip().removeprefix("#")
    if not word.isdigit():
        raise CommandError(t("conversation_id", usage=usage))
    return int(word)


@command(
    "sessions",
    "/sessions [QUERY]",
    "列出最近的对话；给出 QUERY 时全文搜索",
    "list recent conversations; with QUERY, search their text",
)
@_with_store
def _sessions(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    found = store.search(argument) if argument.strip() else store.recent()
    if not found:
        ctx.out.info(t("no_match", query=argument) if argument.strip() else t("no_conversations"))
        return
    ctx.out.info("\n".join(listing(found, recorder.conversation_id)))


@command(
    "resume",
    "/resume ID",
    "切换到一个保存的对话（历史、模型、系统提示和参数）",
    "switch to a saved conversation (history, model, system prompt, parameters)",
)
@_with_store
def _resume(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    conversation = recorder.resume(_conversation_id(argument, "/resume ID"))
    assert conversation is not None
    ctx.out.info(recap(conversation).plain)


@command(
    "new", "/new", "开始一个新对话（当前对话已保存）", "start a new conversation (this one is kept)"
)
def _new(ctx: Context, argument: str) -> None:
    ctx.bot.clear()
    if ctx.store is not None:
        ctx.store.start_new()
    ctx.out.info(t("new_conversation"))


@command(
    "title",
    "/title [TEXT]",
    "显示或设置屏幕上这个对话的标题",
    "show or set the title of the conversation on screen",
)
@_with_store
def _title(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    title = " ".join(argument.split())
    if title:
        conversation_id = recorder.name(title)
    else:
        conversation_id, found = recorder.conversation_id, recorder.current_title()
        if found is None:
            ctx.out.info(t("title_none"))
            return
        title = found
    if conversation_id is None:
        ctx.out.info(t("title_pending", title=title))
    else:
        ctx.out.info(t("title_now", id=conversation_id, title=title))


@command(
    "delete",
    "/delete ID",
    "删除一个保存的对话（先确认）",
    "delete a saved conversation (asks first)",
)
@_with_store
def _delete(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    conversation = store.load(_conversation_id(argument, "/delete ID"))
    if not ctx.ui.confirm(t("delete_question", id=conversation.id, title=conversation.title)):
        ctx.out.info(t("not_deleted"))
        return
    store.delete(conversation.id)
    ctx.out.info(t("deleted", id=conversation.id))
    if conversation.id == recorder.conversation_id:
        _new(ctx, "")


def _branched(recorder: Recorder) -> Conversation:
    """The conversation on screen with its branches; a CommandError while there is none."""
    if not recorder.branching:
        raise CommandError(t("store_disabled"))
    conversation = recorder.tree()
    if conversation is None:
        raise CommandError(t("history_empty"))
    return conversation


@command(
    "tree",
    "/tree",
    "画出这个对话的所有分支（每条消息一行，* 标出当前分支）",
    "draw this conversation's branches (a line per message, * marks the active one)",
)
@_with_store
def _tree(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    width = shutil.get_terminal_size().columns
    ctx.out.info("\n".join(draw(_branched(recorder), width)))


@command(
    "branch",
    "/branch K",
    "切换到第 K 个分支（/tree 显示编号）",
    "switch to branch K (numbered as /tree shows them)",
)
@_with_store
def _branch(ctx: Context, recorder: Recorder, store: Store, argument: str) -> None:
    ends = tree.leaves(_branched(recorder).links())
    word = argument.strip()
    if not word.isdigit() or not 1 <= int(word) <= len(ends):
        raise CommandError(t("branch_usage", n=len(ends)))
    conversation = recorder.switch(ends[int(word) - 1])
    ctx.failed = None  # a message that failed belongs to the branch left
    ctx.out.info(t("branch_now", k=word, turns=count_turns(conversation.turns)))
    if conversation.messages:
        ctx.out.info(last_turn(conversation))
