"""The installed chatcli against a hostile server: every odd reply is shown or refused in one
line, never a traceback, never a hang past --timeout, and the REPL lives through all of them."""

from __future__ import annotations

import email.utils
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
ARGS = ("--timeout", "3", "--max-retries", "0", "--logprobs")


def sse(**choice: Any) -> str:
    return json.dumps({"choices": [{"index": 0, **choice}]})


TEXT = sse(delta={"content": "Hello"})
FINISH = sse(delta={}, finish_reason="stop")
LONG_ERROR = "\n".join(f"line {i}: upstream exploded" for i in range(8000))  # ~200 KB
WHOLE = json.dumps(
    {"choices": [{"index": 0, "message": {"content": "Hello"}, "finish_reason": "stop"}]}
)


def stream(*events: str, **extra: Any) -> Behaviour:
    return Behaviour(raw_events=list(events), **extra)


@dataclass(frozen=True)
class Case:
    behaviour: Behaviour
    shows: str  # what the user sees: a piece of the reply, or of the one error line
    ok: bool = False  # a reply (exit 0) rather than an error (exit 1)


CASES = {
    "data_null": Case(stream("null", "[DONE]"), "empty reply"),
    "chunk_list": Case(stream("[1, 2]"), "got a list"),
    "chunk_string": Case(stream('"hi"'), "got a string"),
    "chunk_number": Case(stream("5"), "got a number"),
    "choices_of_null": Case(
        stream('{"choices": [null]}', TEXT, FINISH, "[DONE]"), "Hello", ok=True
    ),
    "choices_object": Case(
        stream(json.dumps({"choices": {"delta": {"content": "Hello"}}}), FINISH, "[DONE]"),
        "Hello",
        ok=True,
    ),
    "index_string": Case(
        stream(sse(index="0", delta={"content": "Hello"}), FINISH), "Hello", ok=True
    ),
    "index_negative": Case(stream(sse(index=-1, delta={"content": "x"})), "choice index -1"),
    "index_float": Case(stream(sse(index=1.5, delta={"content": "x"})), "choice index 1.5"),
    "index_huge": Case(stream(sse(index=10**9, delta={"content": "x"})), "choice index 1000000000"),
    "delta_string": Case(stream(sse(delta="Hello")), "delta is a string"),
    "content_number": Case(stream(sse(delta={"content": 5})), "content is a number"),
    "content_bool": Case(stream(sse(delta={"content": True})), "content is a boolean"),
    "content_parts": Case(
        stream(sse(delta={"content": [{"type": "text", "text": "Hel"}, {"text": "lo"}]}), FINISH),
        "Hello",
        ok=True,
    ),
    "usage_strings": Case(
        stream(
            TEXT,
            FINISH,
            json.dumps({"choices": [], "usage": {"prompt_tokens": "7", "completion_tokens": "2"}}),
            "[DONE]",
        ),
        "Hello",
        ok=True,
    ),
    "logprobs_malformed": Case(
        stream(sse(delta={"content": "Hello"}, logprobs={"content": [{"token": 5}, "x"]}), FINISH),
        "Hello",
        ok=True,
    ),
    "logprob_overflow": Case(
        stream(
            sse(
                delta={"content": "Hello"}, logprobs={"content": [{"token": "He", "logprob": 1000}]}
            ),
            FINISH,
        ),
        "Hello",
        ok=True,
    ),
    "html_body": Case(
        Behaviour(
            body="<!DOCTYPE html>\n<html><body>Please sign in</body></html>",
            content_type="text/html",
        ),
        "HTML page (text/html), not a chat reply: <!DOCTYPE html> <html><body>Please sign in",
    ),
    "json_error_body": Case(
        Behaviour(body=json.dumps({"error": {"message": "quota exceeded"}})), "quota exceeded"
    ),
    "finished_then_held_open": Case(
        stream(
            TEXT,
            FINISH,
            json.dumps({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}),
            hold_open=True,
        ),
        "Hello",
        ok=True,
    ),
    "finished_no_usage_held_open": Case(stream(TEXT, FINISH, hold_open=True), "Hello", ok=True),
    "whole_body_to_a_stream": Case(Behaviour(body=WHOLE), "Hello", ok=True),
    "text_body": Case(
        Behaviour(body="upstream connect error\n", content_type="text/plain"),
        "text/plain, not a chat reply: upstream connect error",
    ),
    "empty_body": Case(
        Behaviour(body="", content_type="text/plain"), "text/plain, not a chat reply: (empty)"
    ),
    "empty_event_stream": Case(Behaviour(body="", content_type="text/event-stream"), "empty reply"),
    "keepalive_trickle": Case(stream(trickle=": keep-alive"), "read timeout after 3"),
    "blank_line_trickle": Case(stream(trickle=""), "read timeout after 3"),
    "header_trickle": Case(Behaviour(header_trickle=True), "no answer from"),
    "retry_after_an_hour": Case(
        Behaviour(status=429, headers={"Retry-After": "3600"}), "asked to wait 1 h"
    ),
    "retry_after_a_date": Case(
        Behaviour(
            status=503,
            # ten days: minutes between import and run do not change "10 d"
            headers={"Retry-After": email.utils.formatdate(time.time() + 864000, usegmt=True)},
        ),
        "asked to wait 10 d",
    ),
    "long_error": Case(Behaviour(status=500, error={"message": LONG_ERROR}), "line 0: upstream"),
}


def db_rows(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("name", CASES)
def test_one_shot_answers_in_one_line(name: str, env: dict[str, str], server: FakeOpenAI) -> None:
    case = CASES[name]
    server.expect(case.behaviour)
    result = run_chatcli(env, *ARGS, "hi")
    assert "Traceback" not in result.stderr
    if case.ok:
        assert (result.returncode, result.stdout.strip()) == (0, case.shows)
    else:
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1
        assert len(lines) == 1 and case.shows in lines[0], result.stderr
        assert len(lines[0]) < 400


def test_usage_as_strings_is_saved(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(CASES["usage_strings"].behaviour)
    assert run_chatcli(env, "hi").returncode == 0
    rows = db_rows(
        env, "SELECT content, prompt_tokens, tokens FROM messages WHERE role='assistant'"
    )
    assert rows == [("Hello", 7, 2)]


def test_long_error_is_whole_only_under_debug(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(CASES["long_error"].behaviour)
    result = run_chatcli(env, "--max-retries", "0", "--debug", "hi")
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.endswith("…") and len(error) < 400
    assert "line 7999: upstream exploded" in result.stderr
    assert "Traceback" not in result.stderr


NO_STREAM = {
    "html": (Behaviour(body="<html>down</html>", content_type="text/html"), "HTML page"),
    "not_an_object": (Behaviour(body="[1, 2]"), "got a list"),
    "message_string": (
        Behaviour(body=json.dumps({"choices": [{"index": 0, "message": "Hello"}]})),
        "message is a string",
    ),
    "index_huge": (
        Behaviour(body=json.dumps({"choices": [{"index": 10**9, "message": {"content": "x"}}]})),
        "choice index 1000000000",
    ),
}


@pytest.mark.parametrize("name", NO_STREAM)
def test_whole_replies_answer_in_one_line(
    name: str, env: dict[str, str], server: FakeOpenAI
) -> None:
    behaviour, shows = NO_STREAM[name]
    server.expect(behaviour)
    result = run_chatcli(env, "--no-stream", "hi")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(lines) == 1 and shows in lines[0], result.stderr


def test_repl_survives_every_hostile_reply(
    terminal: Start, server: FakeOpenAI, env: dict[str, str]
) -> None:
    term = terminal(*ARGS)
    term.prompt()
    for name, case in CASES.items():
        server.expect(case.behaviour)
        term.send(f"case {name}")
        term.expect(case.shows.replace("(", r"\(").replace(")", r"\)").replace(".", r"\."))
        term.prompt()
    server.models_payload = {"data": ["junk", {"name": "nameless"}, {"id": "good-model"}, None]}
    term.send("/models")
    term.expect("good-model")
    term.prompt()
    term.send("still there?")
    term.expect("Echo: still there\\?")
    term.prompt()
    assert "Traceback" not in term.transcript()
    term.send("/exit")
    assert term.exit_status() == 0


def test_huge_logprob_is_shown_in_a_terminal(terminal: Start, server: FakeOpenAI) -> None:
    """Piped output shows no probabilities; on a terminal a logprob of 1000 once overflowed."""
    server.expect(CASES["logprob_overflow"].behaviour)
    term = terminal(*ARGS, "hi")
    term.expect("token probabilities")
    term.expect("100%")
    assert term.exit_status() == 0
    assert "Traceback" not in term.transcript()


def test_line_separators_inside_json_strings_are_text(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    """U+2028 and NEL are line ends to str.splitlines, not to SSE: the event stays whole."""
    server.expect(Behaviour(reply="one\u2028two\x85three"))
    result = run_chatcli(env, "--json-output", "hi")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == "one\u2028two\x85three"
