"""A way back from every failure, in a real PTY against the loopback server: a connection
dropped mid-reply keeps the text shown (`/continue` goes on from it, `/retry` asks again);
Ctrl-C before the first word keeps the question for `/retry`; `/history` marks what was cut
and the store keeps what the screen showed; `/set context_tokens N` in the chat, with budget
lines that agree; status-line rates only where they mean something; a huge reply goes plain."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyte
import pytest
from rich.text import Text

from chatcli.conversation.bot import Reply, Usage
from chatcli.terminal.exchange import status_line
from chatcli.terminal.render import MarkdownStream
from chatcli.terminal.sink import SinkConsole
from tests.conftest import SCREEN_COLS, SCREEN_ROWS, Terminal, make_bot
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]
HUGE = 300_000  # characters: past the renderer's PLAIN_AFTER
FULL = "alpha beta gamma delta epsilon zeta eta theta iota kappa"


def stored(env: dict[str, str], sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def screen_lines(term: Terminal) -> list[str]:
    """Everything the terminal shows and scrolled away, as lines (pyte replays the PTY)."""
    screen = pyte.HistoryScreen(SCREEN_COLS, SCREEN_ROWS, history=200_000)
    pyte.ByteStream(screen).feed(term.transcript().encode())
    top = ["".join(ch.data for ch in row.values()) for row in screen.history.top]
    return [line.rstrip() for line in [*top, *screen.display]]


def asked(server: FakeOpenAI) -> list[list[object]]:
    return [[m["content"] for m in body["messages"]] for body in server.chat_requests]


def test_a_dropped_connection_keeps_the_text_shown_and_continue_goes_on(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    # the role chunk, then "alpha", " beta", " gamma": the connection goes after those
    server.expect(Behaviour(reply=FULL, drop_after=4), Behaviour(reply=FULL, goes_on=True))
    term = terminal("--max-retries", "0")
    term.prompt()
    term.send("go")
    term.expect(r"cut mid-reply — /continue goes on from the text shown, /retry asks again")
    term.prompt()
    term.send("/history")
    term.expect(r"assistant: alpha beta gamma ⏹ \(interrupted\)")
    term.prompt()
    term.send("/continue")
    term.expect("kappa")
    term.prompt()
    term.send("/history")
    term.expect(r"assistant: alpha beta gamma delta epsilon zeta eta theta iota kappa\r?\n")
    term.quit()
    assert asked(server)[1][-2] == "alpha beta gamma"  # the partial text went on
    assert stored(env, "SELECT content, interrupted FROM messages WHERE role = 'assistant'") == [
        (FULL, 0)
    ]


def test_retry_after_a_dropped_connection_asks_again_on_a_new_branch(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    server.expect(Behaviour(reply=FULL, drop_after=4))
    term = terminal("--max-retries", "0")
    term.prompt()
    term.send("go")
    term.expect("/retry asks again")
    term.prompt()
    term.send("/retry")
    term.expect("Echo: go")
    term.chat("next")
    term.quit()
    assert asked(server)[1:] == [["go"], ["go", "Echo: go", "next"]]
    answers = stored(env, "SELECT content, interrupted FROM messages WHERE role = 'assistant'")
    assert sorted(answers, key=str) == sorted(
        [("alpha beta gamma", 1), ("Echo: go", 0), ("Echo: next", 0)], key=str
    )


def test_ctrl_c_before_the_first_word_keeps_the_question_for_retry(
    terminal: Start, server: FakeOpenAI
) -> None:
    gate = Gate(after=0)  # the headers go out, then nothing until the test says so
    server.expect(Behaviour(), Behaviour(hold=gate))
    term = terminal()
    term.chat("hello")
    term.prompt()
    term.send("the question")
    term.until_screen(r"… waiting for [^\n]*\d+ s", r"\d s")  # the request is out, waiting
    term.child.sendintr()
    term.expect(r"interrupted — /retry sends the question again")
    gate.open()
    term.prompt()
    term.send("/retry")
    term.expect("Echo: the question")
    term.chat("next")
    term.quit()
    sent = server.chat_requests[-1]["messages"]
    assert [m["content"] for m in sent] == [
        "hello",
        "Echo: hello",
        "the question",
        "Echo: the question",
        "next",
    ]
    assert [m["role"] for m in sent] == ["user", "assistant"] * 2 + ["user"]


def test_history_marks_a_reply_cut_by_ctrl_c_and_the_store_keeps_what_was_shown(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    gate = Gate(after=8)
    words = " ".join(f"w{k:03d}" for k in range(300))
    server.expect(Behaviour(reply=words, hold=gate))
    term = terminal()
    term.prompt()
    term.send("count")
    term.expect("w005")
    term.child.sendintr()
    term.expect("interrupted")
    gate.open()
    term.prompt()
    term.send("/history")
    term.expect(r"⏹ \(interrupted\)")
    term.quit()
    ((content, interrupted),) = stored(
        env, "SELECT content, interrupted FROM messages WHERE role = 'assistant'"
    )
    assert interrupted == 1
    lines = screen_lines(term)
    reply = lines[next(k for k, line in enumerate(lines) if line.startswith("w000")) :]
    shown = " ".join(line for line in reply[: reply.index(next(x for x in reply if "⏹" in x))])
    assert shown.split() == str(content).split()


def test_set_context_tokens_in_the_chat_and_the_budget_lines_agree(
    terminal: Start, server: FakeOpenAI
) -> None:
    Path("big.txt").write_text("长" * 8000, encoding="utf-8")
    term = terminal()
    term.chat("hello")  # the server's usage calibrates the estimates: a scale that is not 1
    term.prompt()
    term.send("/set context_tokens 0")
    term.expect(r"context_tokens.*1")  # one line with the range, nothing changed
    term.prompt()
    term.send("/set context_tokens 2000")
    term.expect("context_tokens = 2000")
    term.prompt()
    term.send("/file big.txt")
    line = term.expect(r"\+ big\.txt, ≈[\d,]+ tokens")
    staged = int(re.sub(r"\D", "", line.rsplit("≈", 1)[1]))
    term.prompt()
    term.send("总结")
    wrapped = term.expect(r"does not fit:[\s\S]+?removes\)")
    line = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", wrapped).split())
    used, window, over, reserve = (
        int(n.replace(",", ""))
        for n in re.search(  # type: ignore[union-attr]
            r"context ≈([\d,]+)/([\d,]+), ([\d,]+) over with ([\d,]+) kept for the reply", line
        ).groups()
    )
    assert window == 2000 and used - over == window - reserve and reserve == 500
    assert 0 <= used - staged < 30  # the file, counted as the budget counts it, and the question
    assert re.search(r"≈\d,\d{3}/2,000", line)  # one number style: 8,192
    assert len(server.chat_requests) == 1  # "hello" only: nothing was sent
    term.prompt()
    term.send("/unset context_tokens")
    term.expect(r"context_tokens = \(not set\)")
    term.prompt()
    term.send("总结")
    term.expect(r"context ≈[\d,]+/128,000")
    term.expect("Echo: big.txt")
    term.quit()


def test_few_tokens_after_a_long_wait_show_no_rate(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=0)
    server.expect(Behaviour(reply="a b c", hold=gate))
    term = terminal()
    term.prompt()
    term.send("quick")
    term.until_screen(r"… waiting for [^\n]* 2 s", r"\d s")  # two seconds of waiting, on screen
    gate.open()
    line = term.expect(r"3 tokens[^\r\n]*context")
    assert "tok/s" not in line
    term.quit()


def test_a_short_thought_is_a_part_of_the_total_rounded_alike(
    terminal: Start, server: FakeOpenAI
) -> None:
    server.expect(Behaviour(reasoning="hmm, fine", reply="ok"))
    term = terminal()
    term.prompt()
    term.send("think")
    line = term.expect(r"tokens[^\r\n]*context")
    found = re.search(r" (\d+\.\d) s · thought (\d+\.\d) s", line)
    assert found, line
    assert float(found.group(2)) <= float(found.group(1))
    assert "tok/s" not in line
    term.quit()


@pytest.mark.parametrize(
    ("elapsed", "thought", "first", "tokens", "shown"),
    [
        (0.9, 0.6, 0.1, 40, "0.9 s · thought 0.6 s"),  # not "0.9 s · thought 1 s"
        (0.9, 0.95, 0.1, 40, "0.9 s · thought 0.9 s"),  # a part never exceeds the whole
        (9.0, None, 8.99, 3, "9.0 s · context"),  # 3 tokens after a wait: no "230 tok/s"
        (1.7, None, 1.5, 86, "1.7 s · context"),  # a burst: no "430 tok/s"
        (10.0, None, 2.0, 400, "10.0 s · 50 tok/s"),
    ],
)
def test_status_line_rates_and_seconds(
    server: FakeOpenAI,
    elapsed: float,
    thought: float | None,
    first: float,
    tokens: int,
    shown: str,
) -> None:
    reply = Reply(["x"], ["stop"], Usage(10, tokens, 10 + tokens), elapsed=elapsed)
    reply.first_token_after, reply.thinking_seconds = first, thought
    reply.reasoning = "r" if thought is not None else ""
    line = status_line(make_bot(server), reply)
    assert isinstance(line, Text) and shown in line.plain


def test_a_huge_reply_goes_plain_with_a_notice_and_shows_all_its_text(
    terminal: Start, server: FakeOpenAI
) -> None:
    lines = [f"line {k:05d} **of** the long reply" for k in range(HUGE // 30)]
    body = "".join(line + ("\n\n" if k % 10 == 9 else "\n") for k, line in enumerate(lines))
    server.expect(Behaviour(chunks=[body[i : i + 8192] for i in range(0, len(body), 8192)]))
    term = terminal()
    term.prompt()
    term.send("long")
    term.expect(r"the reply is over 256 KB: shown as plain text from here on")
    term.expect(r"tokens[^\r\n]*context")
    term.quit()
    shown = screen_lines(term)
    numbers = [int(m.group(1)) for line in shown if (m := re.match(r"line (\d{5}) ", line))]
    assert numbers == list(range(len(lines)))  # every line, once, in order
    assert "line 00000 of the long reply" in shown  # markdown before the switch
    assert f"line {len(lines) - 1:05d} **of** the long reply" in shown  # plain after it


def test_a_block_whose_rendering_ctrl_c_cut_short_is_still_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C lands while a finished paragraph renders: nothing of it was written, yet the
    history keeps it, so the stream shows it (and the unfinished rest) as it stops."""
    out = io.StringIO()
    stream = MarkdownStream(
        SinkConsole(file=out, width=80, height=24, force_terminal=True), ticker=False
    )
    render = stream._render
    cut: list[str] = []

    def cut_once(block: str) -> list[str]:
        if "second" in block and not cut:
            cut.append(block)
            raise KeyboardInterrupt
        return render(block)

    monkeypatch.setattr(stream, "_render", cut_once)
    with pytest.raises(KeyboardInterrupt), stream:
        stream.feed("first paragraph\n\nsecond paragraph\n\nthird paragraph\n")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert cut and [line for line in shown.splitlines() if line.strip()] == [
        "first paragraph",
        "second paragraph",
        "third paragraph",
    ]
