"""Stored conversations on the screen: listings, the recap of a resumed conversation, the
`chatcli sessions …` subcommand, and opening the store as a run starts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from chatcli.config import paths
from chatcli.conversation.bot import ChatBot, Message
from chatcli.i18n import follow, os_reason, t
from chatcli.store import tree
from chatcli.store.database import (
    Conversation,
    Store,
    StoredMessage,
    StoreError,
    Summary,
    UnknownConversation,
)
from chatcli.store.recorder import Recorder, Resume, read_file, titled
from chatcli.store.stats import GROUPS, Tally, grouped
from chatcli.store.transcript import Reasoning, markdown_pieces, to_json, to_markdown, when
from chatcli.terminal import sink, subcommand
from chatcli.terminal.attached import attachment_line, folded, typed
from chatcli.terminal.render import finished_markdown
from chatcli.terminal.sanitize import neutralise
from chatcli.terminal.subcommand import EXIT_FAILED, EXIT_OK, EXIT_USAGE

RECAP_TURNS = 3
RECAP_CHARS = 240


def listing(summaries: Sequence[Summary], current: int | None = None) -> list[str]:
    """One line per conversation (id, when, turns, title), plus the matching text if any."""
    width = max((len(str(s.id)) for s in summaries), default=1)
    lines = []
    for s in summaries:
        mark = "*" if s.id == current else " "
        turns = count_turns(s.turns)
        lines.append(f"{mark}#{str(s.id).ljust(width)}  {when(s.updated)}  {turns:>8}  {s.title}")
        if s.snippet:
            lines.append(follow(" " * (width + 4) + s.snippet, _on_branch(s, s.id == current)))
    return [neutralise(line) for line in lines]


def _on_branch(summary: Summary, on_screen: bool) -> str:
    """Which branch a search hit is on, where the conversation has more than one, and how
    to get there (no /resume for the conversation on screen)."""
    if summary.branch is None:
        return ""
    key = "hit_branch_active" if summary.on_active else "hit_branch"
    if not summary.on_active and on_screen:
        key = "hit_branch_here"
    return t(key, k=summary.branch)


def count_turns(n: int) -> str:
    return t("turns", n=n)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= RECAP_CHARS else text[: RECAP_CHARS - 1] + "…"


def _called(rounds: list[Message]) -> list[str]:
    """The names of the tools a turn called, in order."""
    return [
        str(call.get("function", {}).get("name", "?"))
        for message in rounds
        for call in message.get("tool_calls") or ()
        if isinstance(call, dict)
    ]


def recap(conversation: Conversation) -> Text:
    """The header and the last few turns of a resumed conversation, dim, so users see where
    they are without the whole scrollback."""
    header = t(
        "resumed",
        id=conversation.id,
        title=conversation.title,
        turns=count_turns(conversation.turns),
        model=conversation.model,
    )
    lines = [header]
    ends = len(tree.leaves(conversation.links()))
    if ends > 1:
        lines.append(t("resumed_branches", n=ends))
    messages = [m for m in conversation.messages if m.role in ("user", "assistant")]
    starts = [i for i, m in enumerate(messages) if m.role == "user"]
    first = starts[-RECAP_TURNS] if len(starts) > RECAP_TURNS else 0
    if first:
        lines.append(t("resumed_more", n=len(starts) - RECAP_TURNS))
    lines += _turn_lines(conversation, messages[first:])
    return Text(neutralise("\n".join(lines)), style="dim")


def last_turn(conversation: Conversation) -> str:
    """The last question and answer of the active branch, clipped (after `/branch K`)."""
    return neutralise("\n".join(_turn_lines(conversation, conversation.messages[-2:])))


def _turn_lines(conversation: Conversation, messages: Sequence[StoredMessage]) -> list[str]:
    lines = []
    for message in messages:
        who = t("you") if message.role == "user" else message.model or conversation.model
        flag = " " + t("interrupted") if message.interrupted else ""
        if message.tools:
            lines.append("  ⚙ " + ", ".join(_called(message.tools)))
        lines += [f"  {attachment_line(record)}" for record in message.attachments or ()]
        lines.append("  " + t("said", who=who, text=_clip(typed(message))) + flag)
    return lines


# --- chatcli sessions … --------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p, sub = subcommand.parser("chatcli sessions", t("sessions_description"))
    listing_parser = sub.add_parser("list", help=t("sessions_help_list"))
    listing_parser.add_argument("query", nargs="*", help=t("sessions_help_query"))
    listing_parser.add_argument("-n", "--limit", type=int, default=20, help=t("sessions_help_n"))
    show = sub.add_parser("show", help=t("sessions_help_show"))
    show.add_argument("id", type=int)
    export = sub.add_parser("export", help=t("sessions_help_export"))
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=["md", "json"], default="md")
    export.add_argument("-o", "--output", type=Path, help=t("sessions_help_output"))
    load = sub.add_parser("import", help=t("sessions_help_import"))
    load.add_argument("file", type=Path)
    stats = sub.add_parser("stats", help=t("sessions_help_stats"))
    stats.add_argument("--by", choices=sorted(GROUPS), default="day", help=t("sessions_help_by"))
    delete = sub.add_parser("delete", help=t("sessions_help_delete"))
    delete.add_argument("id", type=int)
    delete.add_argument("-y", "--yes", action="store_true", help=t("sessions_help_yes"))
    return p


def main(argv: list[str]) -> int:
    """`chatcli sessions …`: exit 0, 1 when the database fails, 2 for a usage mistake."""
    args = _parser().parse_args(argv)
    console = sink.console()
    action = args.action or "list"
    try:
        store = Store(write=action not in _READING)
        return _ACTIONS[action](store, args, console)
    except StoreError as exc:
        sink.err(str(exc))
        return EXIT_FAILED
    except UnknownConversation as exc:
        sink.err(t("unknown_conversation", id=exc.conversation_id))
        return EXIT_USAGE


def _write(console: Console, text: str) -> None:
    """Raw text into a pipe or file; neutralised (escape codes made visible) on a terminal."""
    if console.file.isatty():
        console.print(Text(neutralise(text)))
    else:
        console.file.write(text if text.endswith("\n") else text + "\n")


def _list(store: Store, args: argparse.Namespace, console: Console) -> int:
    query = " ".join(getattr(args, "query", None) or [])
    limit = getattr(args, "limit", 20)
    found = store.search(query, limit) if query else store.recent(limit)
    if not found:
        sink.line(t("no_match", query=query) if query else t("no_conversations"))
        return EXIT_OK
    _write(console, "\n".join(listing(found)))
    return EXIT_OK


def _show(store: Store, args: argparse.Namespace, console: Console) -> int:
    """Markdown into a pipe; on a terminal rendered, each reply's reasoning dim before it;
    attachments one line each (`export` keeps their text)."""
    conversation = folded(store.load(args.id))
    if not console.file.isatty():
        console.file.write(to_markdown(conversation))
        return EXIT_OK
    for piece in markdown_pieces(conversation, screen=True):
        if isinstance(piece, Reasoning):
            console.print(Text(neutralise(piece.text), style="dim"))
        else:
            console.print(finished_markdown(piece))
    return EXIT_OK


def _export(store: Store, args: argparse.Namespace, console: Console) -> int:
    conversation = store.load(args.id)
    text = to_json(conversation) if args.format == "json" else to_markdown(conversation)
    if args.output is None:
        _write(console, text)
        return EXIT_OK
    try:
        paths.write_private(args.output, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        sink.err(f"{args.output}: {os_reason(exc)}")
        return EXIT_USAGE
    sink.line(t("exported", id=conversation.id, path=args.output))
    return EXIT_OK


def _import(store: Store, args: argparse.Namespace, console: Console) -> int:
    try:
        conversation = read_file(args.file)
    except ValueError as exc:
        sink.err(t("import_failed", path=args.file, reason=exc))
        return EXIT_USAGE
    new_id = store.import_conversation(titled(conversation))
    sink.line(t("imported", id=new_id, turns=count_turns(conversation.turns)))
    return EXIT_OK


def _delete(store: Store, args: argparse.Namespace, console: Console) -> int:
    conversation = store.load(args.id)
    if not args.yes:
        if not sys.stdin.isatty():
            sink.err(t("delete_needs_yes"))
            return EXIT_USAGE
        from chatcli.terminal.question import confirm

        if not confirm(t("delete_question", id=conversation.id, title=conversation.title)):
            sink.line(t("not_deleted"))
            return EXIT_OK
    store.delete(args.id)
    sink.line(t("deleted", id=args.id))
    return EXIT_OK


def _stats(store: Store, args: argparse.Namespace, console: Console) -> int:
    """One row per day (oldest first) or per model, then the total; costs per currency."""
    answers = store.answers()
    if not answers:
        sink.line(t("no_conversations"))
        return EXIT_OK
    rows, total = grouped(answers, GROUPS[args.by])
    head = [t("stats_day") if args.by == "day" else t("stats_model")]
    head += [t(key) for key in ("stats_replies", "stats_prompt", "stats_completion")]
    head += [t("stats_cache"), t("stats_cost")]
    table = [head, *(_stats_cells(neutralise(name), tally) for name, tally in rows)]
    table.append(_stats_cells(t("stats_total"), total))
    _write(console, "\n".join(columns(table)))
    if total.unknown_tokens:
        sink.line(t("usage_unknown_part", n=total.unknown_tokens))
    if total.unpriced:
        sink.line(t("stats_unpriced", n=total.unpriced))
    return EXIT_OK


def columns(table: list[list[str]]) -> list[str]:
    """Aligned lines whatever the terminal's width (a pipe gets the same): the first column
    left, the numbers right, widths counted in terminal cells (a Chinese character is two)."""
    from rich.cells import cell_len

    widths = [max(cell_len(row[k]) for row in table) for k in range(len(table[0]))]
    lines = []
    for row in table:
        cells = [row[0] + " " * (widths[0] - cell_len(row[0]))]
        cells += [
            " " * (w - cell_len(cell)) + cell for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _stats_cells(name: str, tally: Tally) -> list[str]:
    share = tally.cache_share
    cost = tally.cost_text() or "—"
    if tally.unpriced and tally.costs:
        cost += " *"  # some of these answers had no known price: not in this sum
    return [
        name,
        f"{tally.answers:,}",
        f"{tally.prompt:,}",
        f"{tally.completion:,}",
        "—" if share is None else f"{share:.0%}",
        cost,
    ]


_READING = {"list", "show", "export", "stats"}  # these open the database read-only
_ACTIONS: dict[str, Callable[[Store, argparse.Namespace, Console], int]] = {
    "list": _list,
    "show": _show,
    "export": _export,
    "stats": _stats,
    "import": _import,
    "delete": _delete,
}


def start(
    bot: ChatBot,
    *,
    private: bool,
    resume: Resume | None,
    status: Console,
    screen: Console | None,
) -> Recorder | None:
    """Open the store for this run and resume what the command line asked for.

    Warnings go to `status`; the recap of a resumed conversation to `screen` (the REPL's
    console; None in one-shot mode, whose stdout is the reply alone). Returns None, having
    said why, when --session names a conversation that does not exist.
    """

    def warn(message: str) -> None:
        status.print(Text(neutralise(message), style="yellow"), soft_wrap=True)

    recorder = Recorder.open(bot, warn, private=private, resuming=resume is not None)
    if resume is None or recorder.store is None:
        return recorder
    try:
        conversation = recorder.resume(resume.conversation_id, set(resume.given))
    except StoreError as exc:
        recorder.fail(exc)
        return recorder
    except UnknownConversation as exc:
        status.print(
            Text(t("unknown_conversation", id=exc.conversation_id), style="bold red"),
            soft_wrap=True,
        )
        return None
    if conversation is None:
        status.print(Text(t("no_continue"), style="dim"))
    elif screen is not None:
        screen.print(recap(conversation))
    return recorder
