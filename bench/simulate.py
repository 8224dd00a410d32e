"""The renderer in-process under a simulated clock: what a reply costs at any token rate
without waiting for it (a 20,000-token thought at 30 tokens/s lasts eleven minutes).

Tokens are fed as the loopback server splits them, `1/rate` simulated seconds apart, into
the same objects chatcli uses (render.MarkdownStream, and pending.Pending for reasoning),
writing to a byte buffer behind a 120x40 terminal console. CPU is the process's, so it
counts the renderer only; bench/run.py adds the rest of chatcli from real PTY runs.
"""

from __future__ import annotations

import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import code_reply, markdown_reply, reasoning_text, table_reply  # noqa: E402
from rich.console import Console  # noqa: E402

from chatcli.terminal.pending import Pending  # noqa: E402
from chatcli.terminal.render import MarkdownStream  # noqa: E402
from tests.fake_server import split_tokens  # noqa: E402

COLS, ROWS = 120, 40


@dataclass
class Case:
    name: str
    answer: str
    reasoning: str | None = None
    alike: bool = True  # its tenths hold like content, so their costs may be compared

    @property
    def tokens(self) -> int:
        return len(split_tokens(self.answer)) + len(split_tokens(self.reasoning or ""))


def cases() -> list[Case]:
    return [
        Case("markdown 2,000 tokens", markdown_reply(2_000), alike=False),
        Case("markdown 8,000 tokens", markdown_reply(8_000)),
        Case("code block 300 lines", code_reply(300)),
        Case("code block 1,000 lines", code_reply(1_000)),
        Case("table 3,000 rows", table_reply(3_000)),
        Case(
            "reasoning 20,000 then answer 2,000",
            markdown_reply(2_000, seed=5),
            reasoning=reasoning_text(20_000),
            alike=False,
        ),
    ]


@dataclass
class Simulated:
    cpu: float  # renderer CPU seconds for the whole reply
    bytes: int
    frames: int
    marks: list[tuple[float, int]]  # (CPU, bytes) after each tenth of the tokens, and at the end
    tenth: int  # tokens in a tenth
    tokens: int  # up to the reply's last line

    @property
    def cpu_tenths(self) -> float:
        """CPU per token in the last tenth ÷ in the first (the reply's last line excluded)."""
        return self._tenths(0)

    @property
    def bytes_tenths(self) -> float:
        return self._tenths(1)

    def _tenths(self, k: int) -> float:
        first = (self.marks[1][k] - self.marks[0][k]) / self.tenth
        last = (self.marks[-1][k] - self.marks[9][k]) / (self.tokens - 9 * self.tenth)
        return last / max(first, 1e-12)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def console(out: io.StringIO) -> Console:
    return Console(file=out, force_terminal=True, width=COLS, height=ROWS, color_system="256")


def simulate(case: Case, rate: float) -> Simulated:
    """The case streamed at `rate` tokens/s of simulated time (0: the whole reply at once)."""
    out, clock = io.StringIO(), Clock()
    screen = console(out)
    thought = split_tokens(case.reasoning or "")
    answer = split_tokens(case.answer) if rate else [case.answer]
    pieces = [(True, p) for p in thought] + [(False, p) for p in answer]
    # tenths of the streaming: up to the reply's last line, whose end completes the last
    # block (a table, written once when it ends)
    streaming = len(pieces) - _last_line_tokens(answer)
    tenth = max(1, streaming // 10)
    marks: list[tuple[float, int]] = []
    pending = Pending(screen, "summary", clock=clock, ticker=False)
    stream = MarkdownStream(screen, clock=clock, ticker=False)
    started = time.process_time()
    with stream, pending:
        for k, (thinking, piece) in enumerate(pieces):
            if (k % tenth == 0 and len(marks) < 10) or k == streaming:
                marks.append((time.process_time(), len(out.getvalue().encode())))
            clock.now += 1 / rate if rate else 0
            if thinking:
                pending.add(piece)
            else:
                pending.answer()
                stream.feed(piece)
    cpu = time.process_time() - started
    written = len(out.getvalue().encode())
    frames = stream.stats.frames + pending.region.frames
    return Simulated(cpu, written, frames, marks, tenth, streaming)


def _last_line_tokens(pieces: list[str]) -> int:
    """How many of the last pieces make up the reply's last line."""
    count = 0
    for piece in reversed(pieces[:-1]):
        count += 1
        if "\n" in piece:
            break
    return count


def once_bytes(case: Case) -> int:
    """The floor: chatcli's renderer given the whole answer at once, plus for a reasoning
    reply the collapsed `▸ thought for …` line."""
    return simulate(Case(case.name, case.answer), 0).bytes + (80 if case.reasoning else 0)


if __name__ == "__main__":
    for case in cases():
        once = once_bytes(case)
        for rate in (30, 100, 2_000):
            sim = simulate(case, rate)
            print(
                f"{case.name} @ {rate}: cpu {sim.cpu:.2f} s, bytes ÷ once {sim.bytes / once:.2f}, "
                f"frames {sim.frames}, last÷first tenth cpu {sim.cpu_tenths:.2f}",
                flush=True,
            )
