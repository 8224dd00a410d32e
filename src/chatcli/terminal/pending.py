"""The time before the answer: a waiting indicator, then the model's thinking, on screen.

From the request until the first event one dim line counts the seconds (`… 12 s`), so a
model that thinks for a minute never looks dead. Reasoning then streams in a dim region that
shows only its last few lines (the cost of a frame is bounded by the window, not by the
thought), and when the answer starts the region collapses to one line
(`▸ thought for 23 s (/think to show)`). `show` prints the reasoning whole instead, `hide`
shows only the indicator. Everything is written through the given (sink) console; the
region is a region.LiveRegion, so erasing it leaves the cursor where the answer begins.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.text import Text

from chatcli.i18n import t
from chatcli.terminal.region import LiveRegion, interrupts_held

if TYPE_CHECKING:
    from chatcli.config.settings import ReasoningDisplay

WINDOW_LINES = 2
FRAME_SECONDS = 0.2  # at most five frames a second: the window is a glimpse, not the record
# After t seconds of thinking the window is redrawn every t/SLOWDOWN seconds: a thought of
# ten minutes costs a few dozen frames, not three thousand, whatever the model's speed.
SLOWDOWN = 4


class Pending:
    """Used as a context manager around a turn; `answer()` at its first answer text."""

    def __init__(
        self,
        console: Console,
        mode: ReasoningDisplay,
        *,
        clock: Callable[[], float] = time.monotonic,
        ticker: bool = True,
        waiting_for: Callable[[], str] = lambda: "waiting_model",
    ) -> None:
        self.console = console
        self.waiting_for = waiting_for  # the string key that says what the wait is for
        self.mode = mode
        self.live = console.is_terminal
        self.region = LiveRegion(self._write)
        self.thought = False  # any reasoning seen
        self._clock = clock
        self._started = clock()
        self._lines: deque[str] = deque(maxlen=WINDOW_LINES)
        self._partial = ""
        self._printing = False  # `show` has started printing the reasoning
        self._done = False
        self._dirty = True
        self._shown_second = -1
        self._drawn_at = -FRAME_SECONDS
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._use_ticker = ticker

    def __enter__(self) -> Pending:
        self._started = self._clock()
        if self.live and self._use_ticker:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def seconds(self) -> float:
        return self._clock() - self._started

    def add(self, text: str) -> None:
        """A piece of reasoning."""
        with self._lock:
            if self._done:
                return
            self.thought = True
            if self.mode == "show":
                with interrupts_held():
                    self._print_lines(text)
            elif self.mode == "summary" and self.live:
                self._keep(text)
                self._dirty = True
                if self._due():
                    with interrupts_held():  # only while writing: not for every token
                        self._draw(int(self.seconds))

    def note(self, renderable: RenderableType, *, soft_wrap: bool = False) -> None:
        """A line of chatcli's own while waiting: above the indicator, never through it."""
        with self._lock:
            if self.live and not self._printing:
                self.region.show([])
            self.console.print(renderable, soft_wrap=soft_wrap)
            self._dirty = True

    def answer(self) -> None:
        """The answer starts: the region goes, the collapsed line (or the rest) stays."""
        self.close()

    def close(self, tokens: int | None = None) -> None:
        """The turn is over, or the answer began; `tokens`: reasoning tokens if known."""
        if self._done:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock, interrupts_held():
            self._done = True
            seconds = self.seconds
            if self.live and not self._printing:
                self.region.show([])
            if self.mode == "show" and self._partial:
                self.console.print(Text(self._partial, style="dim"))
                self._partial = ""
            elif self.mode == "summary" and self.thought and self.live:
                key = "thought_collapsed_tokens" if tokens else "thought_collapsed"
                self.console.print(Text(t(key, s=f"{seconds:.0f}", n=tokens), style="dim"))

    def _keep(self, text: str) -> None:
        """The end of the thought, enough for the window; bounded whatever its size."""
        *complete, self._partial = (self._partial + text).split("\n")
        self._lines.extend(line for line in complete[-WINDOW_LINES:] if line.strip())
        limit = WINDOW_LINES * max(self.console.size.width, 20)
        if len(self._partial) > 2 * limit:
            self._partial = self._partial[-limit:]

    def _print_lines(self, text: str) -> None:
        if self.live and not self._printing:
            self.region.show([])
        self._printing = True
        *complete, self._partial = (self._partial + text).split("\n")
        for line in complete:
            self.console.print(Text(line, style="dim"))

    def _tick(self) -> None:
        while not self._stop.wait(self._pause()):
            with self._lock:
                second = int(self.seconds)
                changed = self._dirty or second != self._shown_second
                if not self._done and changed and self._due():
                    self._draw(second)

    def _pause(self) -> float:
        """Until the window may next be redrawn (add() draws too when tokens come)."""
        if not self.thought:
            return FRAME_SECONDS
        return max(FRAME_SECONDS, self.seconds / SLOWDOWN)

    def _due(self) -> bool:
        """Whether the window may be redrawn: more and more rarely as the thought goes on
        (the waiting indicator alone counts every second)."""
        if not self.thought:
            return True
        seconds = self.seconds
        return seconds - self._drawn_at >= max(FRAME_SECONDS, seconds / SLOWDOWN)

    def _draw(self, second: int) -> None:
        if self._printing:
            return
        self._dirty, self._shown_second, self._drawn_at = False, second, self.seconds
        if not self.thought or self.mode != "summary":
            header = t(self.waiting_for() if not self.thought else "thinking", s=second)
            self.region.show(self._render(Text(header, style="dim")))
            return
        window = "\n".join([*self._lines, self._partial] if self._partial else self._lines)
        lines = self._render(Text(window, style="dim italic"))[-WINDOW_LINES:]
        self.region.show([*self._render(Text(t("thinking", s=second), style="dim")), *lines])

    def _render(self, text: Text) -> list[str]:
        with self.console.capture() as capture:
            self.console.print(text)
        return capture.get().split("\n")[:-1]

    def _write(self, data: str) -> None:
        self.console.file.write(data)
        self.console.file.flush()
