"""Renderer micro-benchmark: pre-split chunks, a virtual clock, no terminal, no network.

Feeds the benchmark replies token by token into `MarkdownStream` as if they arrived at
2,000 tokens/s (the clock is virtual, so the frame schedule is the same on any machine) and
reports CPU per chunk, frames, markdown parsed per chunk and bytes against rendering once.
CPU per chunk and parsed chars per chunk should not grow with the reply; if they do, the
renderer has gone quadratic. `--profile` prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import markdown_reply  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markdown import Markdown  # noqa: E402

from chatcli.terminal.render import MarkdownStream, RenderStats  # noqa: E402
from tests.fake_server import split_tokens  # noqa: E402

WIDTH, HEIGHT = 120, 40


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def console(out: io.StringIO) -> Console:
    return Console(file=out, force_terminal=True, width=WIDTH, height=HEIGHT, color_system="256")


def stream_once(chunks: list[str], rate: float) -> tuple[float, int, RenderStats]:
    """CPU seconds, bytes written, and the renderer's own work counters."""
    out = io.StringIO()
    clock = VirtualClock()
    stream = MarkdownStream(console(out), clock=clock, ticker=False)
    started = time.process_time()
    with stream:
        for chunk in chunks:
            clock.now += 1 / rate
            stream.feed(chunk)
    cpu = time.process_time() - started
    return cpu, len(out.getvalue().encode()), stream.stats


def once(text: str) -> tuple[float, int]:
    out = io.StringIO()
    started = time.process_time()
    console(out).print(Markdown(text))
    return time.process_time() - started, len(out.getvalue().encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,8000,20000")
    parser.add_argument("--rate", type=float, default=2000.0, help="virtual tokens per second")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "| tokens | µs/chunk | frames | parsed chars/chunk | CPU ÷ once | bytes ÷ once |\n"
        "|---:|---:|---:|---:|---:|---:|"
    )
    for size in sizes:
        text = markdown_reply(size)
        chunks = split_tokens(text)
        once(text)  # warm lexers and caches so neither side pays first-use costs
        results = [stream_once(chunks, args.rate) for _ in range(args.runs)]
        cpu = min(r[0] for r in results)
        written, stats = results[0][1], results[0][2]
        once_cpu, once_bytes = min(once(text) for _ in range(args.runs))
        print(
            f"| {size:,} | {cpu / len(chunks) * 1e6:.0f} | {stats.frames} | "
            f"{stats.parsed_chars / len(chunks):.1f} | {cpu / once_cpu:.2f} | "
            f"{written / once_bytes:.2f} |"
        )
    if args.profile:
        chunks = split_tokens(markdown_reply(sizes[-1]))
        profiler = cProfile.Profile()
        profiler.runcall(stream_once, chunks, args.rate)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
