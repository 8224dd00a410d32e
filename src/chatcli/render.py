"""Streaming markdown: each finished top-level block is printed once, for good; only the
unfinished last block lives in a small region redrawn at most `max_fps` times a second.

Re-rendering the whole reply per chunk (what rich Live alone would do) costs O(n²) CPU and,
once the reply is taller than the screen, duplicates lines in the scrollback.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from typing import IO

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.markdown import Markdown
from rich.segment import Segment
from rich.text import Text

from chatcli.sanitize import neutralise

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")


class BlockSplitter:
    """Cuts a growing markdown text into finished top-level blocks, looking at each line once."""

    def __init__(self) -> None:
        self._pending = ""  # text not yet part of a finished block
        self._scanned = 0  # offset in _pending up to which whole lines were classified
        self._block_start_is_list = False
        self._has_content = False
        self._blank_seen = False
        self._fence: str | None = None

    @property
    def tail(self) -> str:
        return self._pending

    def feed(self, text: str) -> list[str]:
        self._pending += text
        finished: list[str] = []
        while True:
            end = self._pending.find("\n", self._scanned)
            if end < 0:
                return finished
            line = self._pending[self._scanned : end]
            cuts = self._classify(line, line_start=self._scanned, line_end=end + 1)
            self._scanned = end + 1
            done = 0
            for cut in cuts:
                if cut > done:
                    finished.append(self._pending[done:cut])
                    done = cut
            self._pending = self._pending[done:]
            self._scanned -= done

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        self.__init__()  # type: ignore[misc]
        return rest

    def _start_block(self, line: str) -> None:
        self._has_content = True
        self._blank_seen = False
        self._block_start_is_list = bool(_LIST_ITEM.match(line))

    def _classify(self, line: str, line_start: int, line_end: int) -> list[int]:
        """Offsets where finished blocks end, if this line finishes any."""
        if self._fence is not None:
            stripped = line.strip()
            if stripped.startswith(self._fence) and set(stripped) == {self._fence[0]}:
                self._fence = None
                self._has_content = False
                return [line_end]
            return []
        if not line.strip():
            if self._has_content:
                self._blank_seen = True
            return []
        before = [line_start] if self._has_content else []
        fence = _FENCE.match(line)
        if fence:
            self._fence = fence.group(1)
            self._has_content = True
            self._blank_seen = False
            return before
        if _HEADING.match(line) or (
            _RULE.match(line) and (self._blank_seen or not self._has_content)
        ):
            self._has_content = False
            self._blank_seen = False
            return [*before, line_end]
        if not self._has_content:
            self._start_block(line)
            return []
        if self._blank_seen:
            if self._block_start_is_list and (
                _LIST_ITEM.match(line) or line.startswith(("  ", "\t"))
            ):
                self._blank_seen = False
                return []
            self._start_block(line)
            return before
        return []


class _Tail:
    """The live region's content: the unfinished block, cropped to the bottom of the screen."""

    def __init__(self, markdown: Markdown | None, max_height: int) -> None:
        self.markdown = markdown
        self.max_height = max_height

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.markdown is None:
            return
        lines = console.render_lines(self.markdown, options, pad=False)
        lines = lines[-self.max_height :]
        for i, line in enumerate(lines):
            yield from line
            if i < len(lines) - 1:
                yield Segment.line()


class MarkdownStream:
    """Renders one streamed reply to a terminal console."""

    def __init__(
        self, console: Console, *, code_theme: str = "monokai", max_fps: float = 20
    ) -> None:
        self.console = console
        self.code_theme = code_theme
        self.interval = 1.0 / max_fps
        self.code_blocks: list[str] = []
        self.blocks_printed = 0
        self._splitter = BlockSplitter()
        self._live: Live | None = None
        self._dirty = False
        self._last_draw = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> MarkdownStream:
        self._live = Live(
            _Tail(None, 1),
            console=self.console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, text: str) -> None:
        for block in self._splitter.feed(neutralise(text)):
            self._print_block(block)
        with self._lock:
            self._dirty = True
        if time.monotonic() - self._last_draw >= self.interval:
            self._draw()

    def close(self) -> None:
        if self._live is None:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        rest = self._splitter.flush()
        self._live.update(_Tail(None, 1), refresh=True)
        self._live.stop()
        self._live = None
        if rest.strip():
            self._print_block(rest)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if self._dirty:
                self._draw()

    def _draw(self) -> None:
        with self._lock:
            if not self._dirty or self._live is None:
                return
            self._dirty = False
            self._last_draw = time.monotonic()
            tail = self._splitter.tail
            markdown = self._markdown(tail) if tail.strip() else None
            height = max(1, self.console.size.height - 2)
            self._live.update(_Tail(markdown, height), refresh=True)

    def _markdown(self, text: str) -> Markdown:
        return Markdown(text, code_theme=self.code_theme)

    def _print_block(self, block: str) -> None:
        if not block.strip():
            return
        with self._lock:
            fence = _FENCE.match(block.lstrip("\n"))
            if fence:
                self.code_blocks.append(_code_body(block))
                info = block.lstrip("\n").split("\n", 1)[0].lstrip(" `~").strip()
                label = f"[{len(self.code_blocks)}]" + (f" {info}" if info else "")
            target = self._live.console if self._live is not None else self.console
            if self.blocks_printed:
                target.print()
            if fence:
                target.print(Text(label, style="dim"))
            target.print(self._markdown(block))
            self.blocks_printed += 1


def _code_body(block: str) -> str:
    lines = block.strip("\n").split("\n")
    body = lines[1:-1] if len(lines) > 1 and _FENCE.match(lines[-1]) else lines[1:]
    return "\n".join(body)


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of a whole reply, numbered as the renderer labels them."""
    splitter = BlockSplitter()
    blocks = [*splitter.feed(text), splitter.flush()]
    return [_code_body(b) for b in blocks if _FENCE.match(b.lstrip("\n"))]


class RawStream:
    """For pipes and files: the model's text exactly as received, no ANSI, no wrapping."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.code_blocks: list[str] = []

    def __enter__(self) -> RawStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


def render_all(console: Console, texts: Iterable[str]) -> None:
    """Render already complete markdown (history, extra choices) once."""
    for text in texts:
        console.print(Markdown(neutralise(text)))
