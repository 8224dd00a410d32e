"""One-shot and pipe mode: the installed chatcli as a shell pipeline sees it."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import time
from collections.abc import Callable

from tests.conftest import Terminal, start_chatcli
from tests.conftest import run_chatcli as run
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]
MARKDOWN = "# Big title\n\nSome **bold** words.\n\n```python\nx = 1\n```"


def sent(server: FakeOpenAI) -> str:
    """The user message of the last request."""
    content = server.chat_requests[-1]["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


def wait_for_output(proc: subprocess.Popen[bytes]) -> bytes:
    """The first bytes chatcli writes to stdout (fails rather than hangs)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    assert ready, "no output from chatcli within 30 s"
    return proc.stdout.read1(4096)


def test_piped_reply_is_the_raw_text_and_nothing_else(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(Behaviour(reply=MARKDOWN))
    result = run(env, "show markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout == MARKDOWN + "\n"
    assert result.stderr == ""


def test_terminal_reply_is_rendered_markdown(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply=MARKDOWN))
    term = terminal("show markdown")
    screen = term.expect(r"tokens · [\d.]+ s")
    assert "Big title" in screen and "# Big title" not in screen
    assert "bold" in screen and "**bold**" not in screen
    assert "```" not in screen
    assert term.exit_status() == 0


def test_raw_flag_keeps_markdown_source_on_a_terminal(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="Some **bold** words."))
    term = terminal("--raw", "show markdown")
    term.expect(r"Some \*\*bold\*\* words\.")
    assert term.exit_status() == 0
    assert "tokens" not in term.transcript()


def test_stdin_comes_first_then_the_prompt(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "summarise", "this", stdin="第一行\nline two\n\n".encode())
    assert result.returncode == 0, result.stderr
    assert sent(server) == "第一行\nline two\n\n---\n\nsummarise this"
    assert result.stdout == "Echo: 第一行\nline two\n\n---\n\nsummarise this\n"


def test_dash_reads_the_whole_message_from_stdin(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "-", stdin=b"the whole message\n  indented second line\n")
    assert result.returncode == 0, result.stderr
    assert sent(server) == "the whole message\n  indented second line"


def test_prompt_alone_with_empty_stdin(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "just", "the", "prompt")
    assert result.returncode == 0, result.stderr
    assert sent(server) == "just the prompt"


def test_nothing_to_send_is_a_usage_error(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, stdin=b"  \n\n")
    assert result.returncode == 2
    assert result.stderr == "chatcli: nothing to send: give a prompt or pipe text on stdin\n"
    assert server.requests == []


def test_json_output_is_one_object_with_the_documented_keys(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(Behaviour(reply="hello there, friend"))
    result = run(env, "--json-output", "greet me")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    data = json.loads(result.stdout)
    assert set(data) == {"text", "model", "usage", "finish_reason", "reasoning"}
    assert data["text"] == "hello there, friend"
    assert data["model"] == "gpt-4o"
    assert data["finish_reason"] == "stop"
    usage = data["usage"]
    assert set(usage) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert usage["completion_tokens"] == 3  # "hello", " there,", " friend"
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_json_output_reports_a_length_cut(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="one two three four five"))
    result = run(env, "--json-output", "--max-tokens", "2", "count")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"] == "one two" and data["finish_reason"] == "length"
    assert "cut off" in result.stderr


def test_json_output_reports_a_failure_as_an_object(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(Behaviour(status=401, error={"message": "bad key"}))
    result = run(env, "--json-output", "--max-retries", "0", "hi")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert set(data) == {"error", "model"} and "401" in data["error"]
    assert "401" in result.stderr


def test_api_error_exits_1_with_the_message_on_stderr(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(Behaviour(status=500, error={"message": "the model is on fire"}))
    result = run(env, "--max-retries", "0", "hi")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "500" in result.stderr and "the model is on fire" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(server.chat_requests) == 1


def test_bad_flags_exit_2_before_any_request(env: dict[str, str], server: FakeOpenAI) -> None:
    unknown = run(env, "--jsn-output", "hi")
    assert unknown.returncode == 2
    assert "did you mean --json-output?" in unknown.stderr
    bad_value = run(env, "--top-p", "2", "hi")
    assert bad_value.returncode == 2
    assert bad_value.stderr == "chatcli: --top-p: 2 is out of range (allowed: 0 to 1)\n"
    assert server.requests == []


def test_ctrl_c_mid_reply_exits_130_keeping_what_was_written(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    gate = Gate(after=1)
    server.expect(Behaviour(chunks=[f"word{i} " for i in range(200)], hold=gate))
    proc = start_chatcli(env, "count slowly")
    try:
        first = wait_for_output(proc)
        assert first.startswith(b"word0")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        gate.open()
        proc.kill()
    assert proc.returncode == 130
    assert b"word199" not in first + out
    assert b"interrupted" in err and b"Traceback" not in err


def test_ctrl_c_while_waiting_for_stdin_exits_130(env: dict[str, str]) -> None:
    proc = start_chatcli(env, "-", stdin_pipe=True)
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"partial message, never finished")
        proc.stdin.flush()
        _wait_until_reading_stdin(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert out == b"" and b"Traceback" not in err


def _wait_until_reading_stdin(pid: int) -> None:
    """Until the process sleeps in a pipe read: chatcli is running and consuming stdin."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/wchan") as f:
            if "pipe_read" in f.read():
                return
        time.sleep(0.01)
    raise AssertionError("chatcli never started reading stdin")


def test_closed_stdout_ends_quietly(env: dict[str, str], server: FakeOpenAI) -> None:
    gate = Gate(after=1)
    server.expect(Behaviour(chunks=[f"line {i}\n" for i in range(200)], hold=gate))
    proc = start_chatcli(env, "many lines")
    try:
        wait_for_output(proc)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        gate.open()
        err = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 141
    assert err == b""


def test_invalid_utf8_on_stdin_is_a_clear_usage_error(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    result = run(env, "translate", stdin=b"caf\xe9 au lait\n")
    assert result.returncode == 2
    assert result.stderr == (
        "chatcli: stdin is not valid utf-8 (byte 3: b'\\xe9'); "
        "name its encoding with --encoding, e.g. --encoding gbk\n"
    )
    assert server.requests == []


def test_encoding_flag_decodes_legacy_text(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "--encoding", "gbk", "翻译", stdin="你好，世界".encode("gbk"))
    assert result.returncode == 0, result.stderr
    assert sent(server) == "你好，世界\n\n---\n\n翻译"
    unknown = run(env, "--encoding", "klingon", "hi")
    assert unknown.returncode == 2
    assert unknown.stderr == "chatcli: --encoding: unknown encoding klingon\n"


def test_byte_order_mark_is_dropped(env: dict[str, str], server: FakeOpenAI) -> None:
    result = run(env, "-", stdin="\ufeffhello".encode())
    assert result.returncode == 0, result.stderr
    assert sent(server) == "hello"


def test_a_megabyte_of_stdin_is_sent_whole(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(reply="ok"))
    lines = "".join(f"{i:07d} " + "x" * 91 + "\n" for i in range(10_000))
    assert len(lines.encode()) == 1_000_000
    result = run(env, "count the lines", stdin=lines.encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert sent(server) == lines.rstrip() + "\n\n---\n\ncount the lines"


def test_help_documents_the_exit_codes(env: dict[str, str]) -> None:
    result = run(env, "--help")
    assert result.returncode == 0
    for line in ("0    success", "1    API or network failure", "2    usage or configuration"):
        assert line in result.stdout
    assert "130  interrupted by Ctrl-C" in result.stdout
