"""The bottom lines of the terminal that may still change, rewritten only where they changed.

A frame costs what changed since the last one: lines that stayed are not touched, a line that
grew gets only its new end (the cursor is moved past the part that stayed), lines are never
padded with spaces to the width of the screen, and lines given up with `commit` are never
written again. Lines are strings a SinkConsole rendered (text neutralised, SGR styling); the
only codes this module adds are its own cursor moves and erases.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.cells import cell_len

_CSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_RESET = "\x1b[0m"
# A line's unchanged start is skipped (the cursor moved past it) only from this many cells:
# below, the move costs about what it saves, and short status lines read whole.
MIN_KEPT = 8
_HOLDING: list[bool] = []  # an interrupts_held() is active (on the main thread)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C in the middle of writing the live region would leave its record of what is on
    screen out of step with the screen (a line shown twice); deliver it once the write is done.
    Only writes are held, never rendering, and no write is bigger than one bounded frame."""
    if threading.current_thread() is not threading.main_thread() or _HOLDING:
        yield  # held already: the outermost hold delivers it, once all of its writes are done
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    _HOLDING.append(True)
    try:
        yield
    finally:
        _HOLDING.pop()
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
    if held:
        raise KeyboardInterrupt


def trim(line: str) -> str:
    """A rendered line without the spaces rich pads it with (a mouse selection would copy
    them); the styling is closed where the text ends."""
    cut, styled = len(line), False
    while cut:
        cut = len(line[:cut].rstrip(" "))
        if not line.endswith("m", 0, cut):
            break
        code = line.rfind("\x1b[", 0, cut)
        if code < 0 or not _SGR.fullmatch(line, code, cut):
            break
        cut, styled = code, True
    if cut == len(line):
        return line
    return line[:cut] + (_RESET if styled else "")


def is_blank(line: str) -> bool:
    return not _CSI.sub("", line).strip()


def width(line: str) -> int:
    """Terminal cells a rendered line takes (its codes take none)."""
    return cell_len(_CSI.sub("", line))


def _common(a: str, b: str) -> int:
    """The length of the common start of two strings (a binary search of C-speed compares)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _split(old: str, new: str) -> tuple[int, str]:
    """Where `new` departs from `old`: the cells they share, and the rest of `new` to write
    from there (with the styling in force at that point)."""
    cut = _common(old, new)
    escape = new.rfind("\x1b", 0, cut)
    if escape >= 0 and not _CSI.match(new, escape):  # cut inside a code: back to its start
        cut = escape
    elif escape >= 0:
        code = _CSI.match(new, escape)
        assert code is not None
        if code.end() > cut:
            cut = escape
    kept = new[:cut]
    style = ""
    last = kept.rfind("\x1b[")
    if last >= 0:
        code = _CSI.match(kept, last)
        if code is not None and code.group().endswith("m") and code.group() != _RESET:
            style = code.group()
    return width(kept), style + new[cut:]


class LiveRegion:
    """The cursor rests at the end of the last shown line (at the region's start when it is
    empty). `lines_written` and `frames` count work for the tests and the bench."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.lines: list[str] = []
        self.frames = 0
        self.lines_written = 0
        self._row = self._column = 0  # the cursor, in the region

    def show(self, new: list[str]) -> bool:
        """Make the region show `new`; False when that is what it shows already.

        Each line is compared with the one on its row: an equal line is skipped, a changed
        one is rewritten from where it departs. When lines only moved up (a window that
        scrolls), the terminal deletes the rows that left and moves the rest itself.
        """
        new = [trim(line) for line in new]
        old = self.lines
        if old == new:
            return False
        out: list[str] = []
        same = 0
        for a, b in zip(old, new, strict=False):
            if a != b:
                break
            same += 1
        rows = list(old)
        gone = _scrolled(old, new, same)
        if gone:
            out.append(self._goto(same, 0) + f"\x1b[{gone}M")
            rows = [*old[:same], *old[same + gone :], *[""] * gone]
        for row in range(same, len(new)):
            line = new[row]
            if row >= len(rows):  # below the region: a new line
                if row:
                    out.append(self._goto(row - 1, self._column) + "\n")
                out.append(line)
            elif rows[row] == line:
                continue
            else:
                keep, rest = _split(rows[row], line)
                if keep < MIN_KEPT:
                    keep, rest = 0, line
                out.append(self._goto(row, keep) + rest)
                if width(rows[row]) > width(line):
                    out.append("\x1b[K")
            self._row, self._column = row, width(line)
            self.lines_written += 1
        if len(new) < len(rows):
            out.append(self._goto(len(new), 0) + "\x1b[J")
        if new:
            out.append(self._goto(len(new) - 1, width(new[-1])))
        else:
            out.append(self._goto(0, 0))
        self.lines = new
        self.frames += 1
        self._write("".join(out))
        return True

    def commit(self, count: int | None = None) -> None:
        """The first `count` lines shown (all by default) become ordinary output, never
        rewritten; with all of them, the region starts empty on the next line."""
        if count is None or count >= len(self.lines):
            if self.lines:
                self._write("\n")
            self.lines = []
            self._row = self._column = 0
        else:
            del self.lines[:count]
            self._row -= count

    def _goto(self, row: int, column: int) -> str:
        """The moves from the cursor to `column` of the region's line `row`."""
        if (row, column) == (self._row, self._column):
            return ""
        moves = "\r"
        if row < self._row:
            moves += f"\x1b[{self._row - row}A"
        elif row > self._row:
            moves += f"\x1b[{row - self._row}B"
        if column:
            moves += f"\x1b[{column}C"
        self._row, self._column = row, column
        return moves


def _scrolled(old: list[str], new: list[str], same: int) -> int:
    """How many lines the old lines below `same` moved up by in `new` (0: they did not)."""
    for gone in range(1, len(old) - same):
        kept = len(old) - same - gone
        if old[same + gone :] == new[same : same + kept]:
            return gone
    return 0
