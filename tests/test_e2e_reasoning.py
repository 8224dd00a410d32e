"""A thinking model in a real terminal and in pipes: the wait is visible, the thinking streams
in a small dim window that collapses to one line when the answer starts, `/think` shows it
whole, and neither the screen's answer, stdout nor the next request carries it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]
STEPS = [f"Step {k}: weigh option {k} against the others." for k in range(1, 9)]
THOUGHT = "\n".join(STEPS)
ANSWER = "Take option three."
WAITING = re.compile(r"… waiting for [^\n]*\d+ s")


def screen(term: Terminal) -> str:
    return term.screen()


def thinking(hold: Gate | None = None, **fields: object) -> Behaviour:
    return Behaviour(reply=ANSWER, reasoning=THOUGHT, hold=hold, **fields)  # type: ignore[arg-type]


def test_waiting_indicator_counts_then_goes(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=0)
    server.expect(Behaviour(reply="Here at last.", hold=gate))
    term = terminal()
    term.prompt()
    term.send("are you there?")
    term.until_screen(r"… waiting for the model to answer, [1-9]\d* s", r"\d s")
    gate.open()
    term.expect("tokens")
    shown = screen(term)
    assert "Here at last." in shown
    assert not WAITING.search(shown)


def test_thinking_streams_in_a_window_then_collapses(terminal: Start, server: FakeOpenAI) -> None:
    gate = Gate(after=8 * 8)  # eight pieces a step: held after step 8 is sent
    server.expect(thinking(gate))
    term = terminal()
    term.prompt()
    term.send("which option?")
    term.expect("thinking…")
    term.expect(re.escape(STEPS[-1]))
    window = screen(term)
    assert STEPS[-2] in window and STEPS[0] not in window  # the last lines, not the whole
    gate.open()
    term.expect("tokens")
    shown = screen(term)
    assert re.search(r"▸ thought for \d+ s \(/think to show\)", shown)
    assert ANSWER in shown and "thought" in shown.split(ANSWER)[1]  # the status line
    assert not any(step in shown for step in STEPS) and "thinking…" not in shown

    term.prompt()
    term.send("/think")
    term.expect(re.escape(STEPS[-1]))
    assert all(step in screen(term) for step in STEPS)

    term.prompt()
    term.send("thanks")
    term.expect("Echo: thanks")
    sent = server.chat_requests[-1]["messages"]
    assert sent[1] == {"role": "assistant", "content": ANSWER}


def test_inline_think_is_never_shown_as_the_answer(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(thinking(reasoning_field="think"))
    term = terminal()
    term.prompt()
    term.send("which option?")
    term.expect("tokens")
    shown = screen(term)
    assert ANSWER in shown and "▸ thought for" in shown
    assert "<think>" not in shown and STEPS[0] not in shown
    term.prompt()
    term.send("/think 1")
    term.expect(re.escape(STEPS[-1]))


def test_reasoning_show_prints_it_whole_and_hide_not_at_all(
    terminal: Start, server: FakeOpenAI
) -> None:
    server.expect(thinking(reasoning_field="reasoning"))
    term = terminal("--reasoning", "show")
    term.prompt()
    term.send("which option?")
    term.expect("tokens")
    shown = screen(term)
    assert all(step in shown for step in STEPS)
    assert shown.index(STEPS[-1]) < shown.index(ANSWER)

    server.expect(thinking())
    hidden = terminal("--reasoning", "hide")
    hidden.prompt()
    hidden.send("which option?")
    hidden.expect("tokens")
    shown = screen(hidden)
    assert ANSWER in shown and "thought for" not in shown and STEPS[-1] not in shown


def test_cut_while_thinking_says_the_answer_never_came(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(thinking())
    term = terminal("--max-tokens", "12")
    term.prompt()
    term.send("which option?")
    term.expect("the answer never came")
    assert "empty reply" not in term.transcript()
    term.prompt()
    term.send("/think")
    term.expect(re.escape("Step 1: weigh"))
    term.prompt()
    term.send("again")
    term.expect("Echo: again")
    assert server.chat_requests[-1]["messages"] == [{"role": "user", "content": "again"}]


def test_one_shot_stdout_carries_the_answer_only(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(thinking())
    plain = run_chatcli(env, "which option?")
    assert plain.returncode == 0 and plain.stdout == ANSWER + "\n"
    assert STEPS[0] not in plain.stderr

    server.expect(thinking(reasoning_field="think"))
    shown = run_chatcli(env, "--reasoning", "show", "which option?")
    assert shown.stdout == ANSWER + "\n"
    assert all(step in shown.stderr for step in STEPS)

    server.expect(thinking())
    result = json.loads(run_chatcli(env, "--json-output", "which option?").stdout)
    assert (result["text"], result["reasoning"]) == (ANSWER, THOUGHT)
    assert result["usage"]["reasoning_tokens"] > 0


def test_ctrl_c_while_thinking_keeps_the_thought_out_of_the_history(
    terminal: Start, server: FakeOpenAI
) -> None:
    gate = Gate(after=8 * 3)
    server.expect(thinking(gate))
    term = terminal()
    term.prompt()
    term.send("which option?")
    term.expect(re.escape(STEPS[2]))
    term.child.sendintr()
    term.expect("interrupted")
    gate.open()
    term.prompt()
    term.send("/think")
    term.expect(re.escape(STEPS[1]))
    term.prompt()
    term.send("again")
    term.expect("Echo: again")
    assert server.chat_requests[-1]["messages"] == [{"role": "user", "content": "again"}]
    assert not WAITING.search(screen(term))


def test_thinking_opened_by_the_template_is_named_once_it_closes(
    terminal: Start, server: FakeOpenAI
) -> None:
    """No `<think>` in the reply (the chat template put it in the prompt): the thinking was
    shown as it came, then `</think>` says what it was, and only the answer is sent back."""
    server.expect(Behaviour(chunks=["Let me ", "weigh it.</th", "ink>\n\n", ANSWER]))
    term = terminal()
    term.prompt()
    term.send("which option?")
    term.expect("was the model's thinking")
    term.prompt()
    term.send("thanks")
    term.expect("Echo: thanks")
    assert server.chat_requests[-1]["messages"][1] == {"role": "assistant", "content": ANSWER}
