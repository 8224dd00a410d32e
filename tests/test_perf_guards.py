"""Guards for the performance work: what is imported when, and work counted per chunk.

No timings here (those are in bench/): each test counts something that only changes when the
code does — a module in sys.modules, the order of lines on a terminal, markdown parsed.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable

import pexpect
import pyte
import pytest
from rich.console import Console
from rich.markdown import Markdown

from chatcli.terminal.render import MarkdownStream, RenderStats
from tests.conftest import SCREEN_COLS, SCREEN_ROWS, Terminal
from tests.fake_server import Behaviour, FakeOpenAI, split_tokens
from tests.test_render import tall_reply

Start = Callable[..., Terminal]


def loaded_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `code`."""
    probe = f"""
import sys
try:
{chr(10).join("    " + line for line in code.splitlines())}
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.strip().splitlines()[-1].split())


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_do_not_import_openai(flag: str) -> None:
    loaded = loaded_after(f"from chatcli.cli import main\nmain([{flag!r}])")
    assert "chatcli.cli" in loaded
    assert "openai" not in loaded
    assert "pydantic" not in loaded and "rich" not in loaded


@pytest.mark.local_extra  # chatcli.local.child imports llama_cpp
def test_no_chatcli_module_imports_openai_or_markdown_at_import_time() -> None:
    """openai loads on first send (or in the warm-up thread); rich.markdown on first render."""
    loaded = loaded_after(
        "import pkgutil, importlib, chatcli\n"
        "for m in pkgutil.walk_packages(chatcli.__path__, 'chatcli.'):\n"
        "    if m.name != 'chatcli.__main__':\n"
        "        importlib.import_module(m.name)"
    )
    assert "chatcli.terminal.repl" in loaded and "chatcli.terminal.render" in loaded
    assert "openai" not in loaded
    assert "rich.markdown" not in loaded and "markdown_it" not in loaded


def test_prompt_is_shown_before_the_editor_and_openai_load(terminal: Start) -> None:
    """Python's import log (stderr, same terminal) shows what had loaded when the prompt came."""
    term = terminal(extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    term.child.expect(r"gpt-4o> ")
    before_prompt = str(term.child.before)
    assert "| chatcli.config.settings" in before_prompt  # the log is there, and settings came first
    assert "prompt_toolkit" not in before_prompt
    assert "openai" not in before_prompt
    term.child.expect(r"\|\s+prompt_toolkit\r?\n")
    term.child.expect(r"\|\s+openai\r?\n")  # warmed in the background once the editor drew
    term.child.sendcontrol("d")
    assert term.exit_status() == 0


def stream_with_virtual_clock(text: str) -> tuple[RenderStats, int, int]:
    """Stats, bytes written and bytes of rendering once, for a reply at 2,000 tokens/s."""
    now = [0.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, height=40, color_system="256")
    stream = MarkdownStream(console, clock=lambda: now[0], ticker=False)
    with stream:
        for piece in split_tokens(text):
            now[0] += 1 / 2000
            stream.feed(piece)
    once = io.StringIO()
    Console(file=once, force_terminal=True, width=120, color_system="256").print(Markdown(text))
    return stream.stats, len(out.getvalue()), len(once.getvalue())


def test_renderer_work_per_chunk_does_not_grow_with_the_reply() -> None:
    short, _, _ = stream_with_virtual_clock(tall_reply(40))
    long, written, once = stream_with_virtual_clock(tall_reply(160))
    assert long.chunks > 3.5 * short.chunks
    per_chunk = [s.parsed_chars / s.chunks for s in (short, long)]
    assert per_chunk[1] <= 1.1 * per_chunk[0], per_chunk  # re-parsing the reply would be ~4x
    lines = [s.rendered_lines / s.chunks for s in (short, long)]
    assert lines[1] <= 1.1 * lines[0], lines
    assert long.frames <= long.chunks / 2000 * 20 + 1  # never above max_fps (virtual time)
    assert written <= 2 * once  # the live region costs less than a second copy of the reply


def test_tall_reply_in_a_real_terminal_every_block_once(
    terminal: Start, server: FakeOpenAI
) -> None:
    text = tall_reply(270)
    server.expect(Behaviour(reply=text, rate=8000))
    term = terminal("show me")
    term.child.expect(pexpect.EOF, timeout=60)
    screen = pyte.HistoryScreen(SCREEN_COLS, SCREEN_ROWS, history=100_000)
    pyte.Stream(screen).feed(str(term.child.before))
    lines = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    lines += screen.display
    shown = "\n".join(lines)
    assert len(lines) >= 35 * SCREEN_ROWS  # code blocks carry no blank padding lines
    for marker in re.findall(r"[PCL]\d{3}", text):
        assert shown.count(marker) == 1, marker
    assert shown.count("Section 269") == 1
