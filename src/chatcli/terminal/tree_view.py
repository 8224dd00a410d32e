"""`/tree`: a conversation's branches, one line per message, as plain text.

Each line: a `*` where the message is on the active branch, the tree's lines (a fork shows its
children under `├ `/`└ `, a single follower stays in the same column), who speaks, the first
words, and `[K]` at the end of branch K, the number `/branch K` takes.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from chatcli.i18n import t
from chatcli.store import tree
from chatcli.store.records import Conversation
from chatcli.terminal.sanitize import neutralise

MIN_WORDS = 4  # fewer cells of a message's words than this: the line is cut instead


def cut(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells (a Chinese character takes two), ending in
    `…` where it was cut."""
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, max(cells - 1, 0)).rstrip() + "…" if cells > 0 else ""


def draw(conversation: Conversation, width: int) -> list[str]:
    """The title line, then one line per message in `/tree` order, each cut to `width`
    cells so the drawing never wraps: the first words give way first, then the line."""
    links = conversation.links()
    below = tree.children(links)
    ends = tree.leaves(links)
    numbers = {leaf: number for number, leaf in enumerate(ends, start=1)}
    active = {m.id for m in conversation.messages}
    by_id = {m.id: m for m in [*conversation.messages, *conversation.branches]}
    lines = [neutralise(t("tree_title", n=len(ends)))]
    # (message id, prefix of its own line, prefix of the lines below it), depth first
    pending = _forks(below.get(None, []), "")
    while pending:
        node, first, rest = pending.pop()
        message = by_id[node]
        who = t("you") if message.role == "user" else message.model or conversation.model
        end = f"  [{numbers[node]}]" if node in numbers else ""
        head = neutralise(f"{'*' if node in active else ' '} {first}" + t("said", who=who, text=""))
        words = " ".join(message.text[: 4 * width].split())  # no more than a line can show
        text = neutralise(("⚙ " if message.tools else "") + words)
        room = width - cell_len(head) - cell_len(end)
        if room >= MIN_WORDS or cell_len(text) <= room:
            lines.append(head + cut(text, room) + end)
        else:  # too narrow for words and the branch number: the line itself is cut
            lines.append(cut(head + text + end, width))
        pending.extend(_forks(below.get(node, []), rest))
    return lines


def _forks(kids: list[int], prefix: str) -> list[tuple[int, str, str]]:
    """What to draw next for a message's followers, as a stack (the first on top)."""
    if len(kids) == 1:
        return [(kids[0], prefix, prefix)]
    drawn = [
        (kid, prefix + ("└ " if last else "├ "), prefix + ("  " if last else "│ "))
        for kid, last in ((kid, i == len(kids) - 1) for i, kid in enumerate(kids))
    ]
    return drawn[::-1]
