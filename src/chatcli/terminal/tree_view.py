"""`/tree`: a conversation's branches, one line per message, as plain text.

Each line: a `*` where the message is on the active branch, the tree's lines (a fork shows its
children under `├ `/`└ `, a single follower stays in the same column), who speaks, the first
words, and `[K]` at the end of branch K, the number `/branch K` takes.
"""

from __future__ import annotations

from chatcli.i18n import t
from chatcli.store import tree
from chatcli.store.records import Conversation, StoredMessage
from chatcli.terminal.sanitize import neutralise

MIN_WORDS = 16


def _words(message: StoredMessage, room: int) -> str:
    text = ("⚙ " if message.tools else "") + " ".join(message.text.split())
    room = max(room, MIN_WORDS)
    return text if len(text) <= room else text[: room - 1] + "…"


def draw(conversation: Conversation, width: int) -> list[str]:
    """The title line, then one line per message in `/tree` order; `width` bounds each line."""
    links = conversation.links()
    below = tree.children(links)
    ends = tree.leaves(links)
    numbers = {leaf: number for number, leaf in enumerate(ends, start=1)}
    active = {m.id for m in conversation.messages}
    by_id = {m.id: m for m in [*conversation.messages, *conversation.branches]}
    lines = [t("tree_title", n=len(ends))]
    # (message id, prefix of its own line, prefix of the lines below it), depth first
    pending = _forks(below.get(None, []), "")
    while pending:
        node, first, rest = pending.pop()
        message = by_id[node]
        who = t("you") if message.role == "user" else message.model or conversation.model
        end = f"  [{numbers[node]}]" if node in numbers else ""
        head = f"{'*' if node in active else ' '} {first}{who}: "
        lines.append(head + _words(message, width - len(head) - len(end)) + end)
        pending.extend(_forks(below.get(node, []), rest))
    return [neutralise(line) for line in lines]


def _forks(kids: list[int], prefix: str) -> list[tuple[int, str, str]]:
    """What to draw next for a message's followers, as a stack (the first on top)."""
    if len(kids) == 1:
        return [(kids[0], prefix, prefix)]
    drawn = [
        (kid, prefix + ("└ " if last else "├ "), prefix + ("  " if last else "│ "))
        for kid, last in ((kid, i == len(kids) - 1) for i, kid in enumerate(kids))
    ]
    return drawn[::-1]
