"""Streaming markdown: each finished top-level block is printed once, for good; only the
unfinished last block lives in a small region redrawn at most `max_fps` times a second.

Re-rendering the whole reply per chunk (what rich Live alone would do) costs O(n²) CPU and,
once the reply is taller than the screen, duplicates lines in the scrollback. Here the work
per chunk is bounded by the size of one block, and the live region is updated by line-level
diff, so the terminal receives little more than the finished reply rendered once
(`bench/render_micro.py` measures both).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO

from rich.console import Console
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


class LiveRegion:
    """The bottom lines of the terminal that may still change, updated by line-level diff.

    Only lines that differ from what is already on screen are rewritten, so a paragraph
    growing word by word costs one line per frame, not the whole block. The cursor rests at
    the end of the last shown line (or at the start of the region when it is empty).
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.lines: list[str] = []
        self.bytes_written = 0

    def show(self, new: list[str]) -> None:
        old = self.lines
        same = 0
        for a, b in zip(old, new, strict=False):
            if a != b:
                break
            same += 1
        if same == len(old) == len(new):
            return
        if new and same == len(new):  # shrank to a prefix: rewrite the last kept line
            same -= 1
        out = []
        if old and same == len(old):
            out.append("\n")
        elif old:
            up = len(old) - 1 - same
            out.append("\r" + (f"\x1b[{up}A" if up else "") + "\x1b[J")
        out.append("\n".join(new[same:]))
        self.lines = new
        self._emit("".join(out))

    def commit(self) -> None:
        """What is shown becomes ordinary output; the region starts empty below it."""
        if self.lines:
            self._emit("\n")
        self.lines = []

    def _emit(self, data: str) -> None:
        self.bytes_written += len(data.encode())
        self._write(data)


@dataclass
class RenderStats:
    """Work done, counted rather than timed, so tests can check it grows linearly."""

    chunks: int = 0
    frames: int = 0
    parsed_chars: int = 0  # markdown source handed to the parser, blocks and tail frames
    rendered_lines: int = 0


class MarkdownStream:
    """Renders one streamed reply to a terminal console.

    `clock` and `ticker` exist for the micro-benchmark: a virtual clock and no timer thread
    make the frame schedule deterministic.
    """

    def __init__(
        self,
        console: Console,
        *,
        code_theme: str = "monokai",
        max_fps: float = 20,
        clock: Callable[[], float] = time.monotonic,
        ticker: bool = True,
    ) -> None:
        self.console = console
        self.code_theme = code_theme
        self.interval = 1.0 / max_fps
        self.code_blocks: list[str] = []
        self.blocks_printed = 0
        self.stats = RenderStats()
        self.region = LiveRegion(self._write)
        self._splitter = BlockSplitter()
        self._clock = clock
        self._use_ticker = ticker
        self._open = False
        self._cropped = False  # the region shows only the bottom of a block taller than it
        self._dirty = False
        self._last_draw = -math.inf
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> MarkdownStream:
        self._open = True
        if self._use_ticker:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, text: str) -> None:
        with self._lock:
            self.stats.chunks += 1
            for block in self._splitter.feed(neutralise(text)):
                self._print_block(block)
            self._dirty = True
            if self._clock() - self._last_draw >= self.interval:
                self._draw()

    def close(self) -> None:
        if not self._open:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._open = False
            rest = self._splitter.flush()
            if rest.strip():
                self._print_block(rest)
            else:
                self.region.show([])

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if self._dirty and self._clock() - self._last_draw >= self.interval:
                    self._draw()

    def _write(self, data: str) -> None:
        self.console.file.write(data)
        self.console.file.flush()

    def _draw(self) -> None:
        """Show the unfinished block, cropped to the screen so the cursor can reach its top."""
        self._dirty = False
        self._last_draw = self._clock()
        self.stats.frames += 1
        lines = self._render(self._splitter.tail, final=False)
        room = max(1, self.console.size.height - 1)
        self._cropped = len(lines) > room
        self.region.show(lines[-room:])

    def _print_block(self, block: str) -> None:
        lines = self._render(block, final=True)
        if not lines:
            return
        if self._cropped:  # the top of the block never reached the screen: print it whole
            self.region.show([])
            self._cropped = False
        self.region.show(lines)
        self.region.commit()
        self.blocks_printed += 1

    def _render(self, block: str, *, final: bool) -> list[str]:
        """The block's terminal lines exactly as they will stand once it is finished."""
        if not block.strip():
            return []
        from rich.markdown import Markdown

        fence = _FENCE.match(block.lstrip("\n"))
        label = None
        if fence:
            if final:
                self.code_blocks.append(_code_body(block))
            number = len(self.code_blocks) + (0 if final else 1)
            info = block.lstrip("\n").split("\n", 1)[0].lstrip(" `~").strip()
            label = f"[{number}]" + (f" {info}" if info else "")
        self.stats.parsed_chars += len(block)
        console = self.console
        with console.capture() as capture:
            if self.blocks_printed:
                console.print()
            if label is not None:
                console.print(Text(label, style="dim"))
            console.print(Markdown(block, code_theme=self.code_theme))
        lines = capture.get().split("\n")[:-1]
        self.stats.rendered_lines += len(lines)
        return lines


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
    from rich.markdown import Markdown

    for text in texts:
        console.print(Markdown(neutralise(text)))
