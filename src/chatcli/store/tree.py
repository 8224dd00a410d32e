"""A conversation's branches, from each message's parent alone (no I/O, no SQL).

A branch is the path from a first question to a leaf (a message nothing follows). Branches are
numbered 1, 2, … in the order `/tree` draws them, top to bottom: depth first, older children
first. `Links` maps every message id to its parent's id (None for a first question); a child's
id is always larger than its parent's, as the store and the file formats give them.
"""

from __future__ import annotations

from collections.abc import Mapping

Links = Mapping[int, "int | None"]


def children(links: Links) -> dict[int | None, list[int]]:
    """Each message's followers, oldest first; the first questions under None."""
    found: dict[int | None, list[int]] = {}
    for child in sorted(links):
        found.setdefault(links[child], []).append(child)
    return found


def walk(links: Links) -> list[int]:
    """Every message in drawing order: depth first, older children first."""
    below = children(links)
    order: list[int] = []
    pending = list(reversed(below.get(None, [])))
    while pending:
        node = pending.pop()
        order.append(node)
        pending.extend(reversed(below.get(node, [])))
    return order


def leaves(links: Links) -> list[int]:
    """The leaf of branch 1, 2, … in order."""
    below = children(links)
    return [node for node in walk(links) if node not in below]


def path(links: Links, node: int | None) -> list[int]:
    """The ids from the first question down to `node` (empty for None); a damaged store's
    unknown parent or loop ends the walk instead of raising or spinning."""
    found: list[int] = []
    while node is not None and node in links and node not in found:
        found.append(node)
        node = links[node]
    return found[::-1]


def branch_of(links: Links, node: int, active: int | None) -> int:
    """The number of a branch that holds `node`: the active one when it does, else the first."""
    numbers = {leaf: number for number, leaf in enumerate(leaves(links), start=1)}
    below = [leaf for leaf in numbers if node in path(links, leaf)]
    on_active = [leaf for leaf in below if active in path(links, leaf)]
    return numbers[(on_active or below)[0]]
