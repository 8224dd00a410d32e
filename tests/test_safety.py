"""Terminal safety, secrets hygiene and bad input, through the installed chatcli."""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chatcli.config.settings import Settings, describe_validation_error
from chatcli.terminal.commands import split
from chatcli.terminal.logs import Redactor
from chatcli.terminal.sanitize import neutralise
from chatcli.terminal.sink import mask_secret
from tests.conftest import KEY, Terminal, run_chatcli
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]

HOSTILE = (
    "Title \x1b]0;pwned-title\x07 then \x1b]52;c;ZXZpbA==\x07 and "
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\x1b[H cleared? \x9b31m c1 "
    "\x07bell \x08back \u202eevil\u202c \u2066iso\u2069 done"
)
DANGEROUS = [
    "\x1b]0;",
    "\x1b]52;c;ZXZpbA",
    "\x1b]8;;http://evil",
    "\x1b[2J",
    "\x9b",
    "\u202e",
    "\u2066",
    "\x07bell",
]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "␛[31mred"),
        ("\x1b]0;title\x07", "␛]0;title␇"),
        ("a\x00b", "a␀b"),
        ("\x7f", "␡"),
        ("\x85", "<U+0085>"),
        ("\u202e", "<U+202E>"),
        ("\u2069", "<U+2069>"),
        ("keep\ttabs\nand lines\r\n", "keep\ttabs\nand lines\n"),
        ("中文 ok", "中文 ok"),
    ],
)
def test_neutralise_each_class(raw: str, shown: str) -> None:
    assert neutralise(raw) == shown


def test_hostile_reply_is_inert_on_the_terminal(terminal: Start, server: FakeOpenAI) -> None:
    server.expect(
        Behaviour(reply=HOSTILE, chunks=[HOSTILE[i : i + 5] for i in range(0, len(HOSTILE), 5)])
    )
    server.models = ["good", "bad\x1b]0;model-title\x07"]
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("done")
    term.prompt()
    term.send("/models")
    term.expect("model-title")
    term.prompt()
    server.expect(Behaviour(status=400, error={"message": "nope \x1b[2J\x1b]0;err-title\x07"}))
    term.send("again")
    term.expect("err-title")
    term.prompt()
    term.send("退出")
    term.exit_status()
    shown = term.transcript()
    for sequence in [*DANGEROUS, "\x1b]0;model-title", "\x1b]0;err-title"]:
        assert sequence not in shown, repr(sequence)
    assert "␛]0;pwned-title" in shown and "<U+202E>" in shown


def test_raw_mode_writes_model_text_unchanged(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(chunks=[HOSTILE]))
    result = run_chatcli(env, "hi")
    assert result.stdout == HOSTILE + "\n"


def test_api_key_never_shown_or_stored(
    terminal: Start, server: FakeOpenAI, isolated: Path, tmp_path: Path
) -> None:
    server.expect(Behaviour(status=401, error={"message": f"Incorrect API key provided: {KEY}"}))
    term = terminal()
    term.prompt()
    term.send("hello")
    term.expect("Incorrect API key provided")
    term.prompt()
    term.send("again")
    term.expect("Echo: again")
    term.prompt()
    term.send(f"/save {tmp_path / 'out.json'}")
    term.expect("saved")
    term.prompt()
    term.send("退出")
    term.exit_status()
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    on_disk = [p for p in [*isolated.rglob("*"), tmp_path / "out.json"] if p.is_file()]
    assert on_disk
    for path in on_disk:
        assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in term.transcript()


def test_key_in_json_output_masked(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(Behaviour(status=401, error={"message": f"Incorrect API key provided: {KEY}"}))
    result = run_chatcli(env, "--json-output", "hi")
    assert result.returncode == 1
    assert '"error"' in result.stdout and "Incorrect API key provided" in result.stdout
    assert KEY not in result.stdout + result.stderr


def test_api_key_flag_warns_about_process_list(env: dict[str, str]) -> None:
    result = run_chatcli(env, "--api-key", "sk-flag-key-999", "hi")
    assert result.returncode == 0
    assert "visible to other users in the process list" in result.stderr
    assert "sk-flag-key-999" not in result.stderr + result.stdout


def test_debug_log_redacts_the_key() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redactor([KEY]))
    log = logging.getLogger("chatcli.test-redact")
    log.addHandler(handler)
    log.warning("headers %s", {"Authorization": f"Bearer {KEY}", "api_key": "other-secret"})
    log.warning("Authorization: Bearer sk-unknown-123")
    text = stream.getvalue()
    assert KEY not in text and "other-secret" not in text and "sk-unknown-123" not in text
    assert text.count("[redacted]") == 3


def test_files_are_private(terminal: Start, isolated: Path, tmp_path: Path) -> None:
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("Echo: hi")
    term.prompt()
    term.send(f"/save {tmp_path / 'talk.md'}")
    term.expect("saved")
    term.prompt()
    term.send("退出")
    term.exit_status()
    created = [p for p in isolated.rglob("*") if "chatcli" in str(p)]
    assert created
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert stat.S_IMODE((tmp_path / "talk.md").stat().st_mode) == 0o600


def test_overwritten_files_become_private(
    terminal: Start, env: dict[str, str], isolated: Path, tmp_path: Path
) -> None:
    """Files that exist already, readable by all (0644), end 0600 once chatcli writes them."""
    data = isolated / ".local/share/chatcli"
    data.mkdir(parents=True)
    targets = [
        data / "conversations.db",
        data / "input_history",
        tmp_path / "talk.md",
        tmp_path / "export.json",
    ]
    for path in targets:
        path.write_bytes(b"")
        path.chmod(0o644)
    term = terminal()
    term.chat("hi")
    term.prompt()
    term.send(f"/save {targets[2]}")
    term.expect("saved")
    term.quit()
    result = run_chatcli(env, "sessions", "export", "1", "--format", "json", "-o", str(targets[3]))
    assert result.returncode == 0, result.stderr
    assert "Echo: hi" in targets[2].read_text() and "Echo: hi" in targets[3].read_text()
    for path in targets:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_unwritable_data_dir_still_chats(terminal: Start, tmp_path: Path) -> None:
    """The data directory cannot be created, even by root (its parent is a regular file):
    chatcli says history is off, and chats."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    term = terminal(extra_env={"XDG_DATA_HOME": str(blocker)})
    term.expect("history off")
    term.chat("hi", "still here")
    term.quit()
    assert blocker.read_text() == ""


def test_spaces_only_and_control_characters(terminal: Start, server: FakeOpenAI) -> None:
    """Spaces only send nothing; a typed Ctrl-A is the editor's Home key; a pasted control
    character is sent as it is and shown inert."""
    term = terminal()
    term.prompt()
    term.send("     ")
    term.prompt()
    term.send("a\x01b")
    term.expect("Echo: ba")
    term.prompt()
    term.child.send("\x1b[200~c\x01d\x1b[201~")
    term.send("")
    term.expect("Echo: c␁d")
    assert [r["messages"][-1]["content"] for r in server.chat_requests] == ["ba", "c\x01d"]


def test_one_megabyte_paste_is_sent_whole(terminal: Start, server: FakeOpenAI) -> None:
    big = ("长文本 long text " * 8 + "\n") * 8000
    server.expect(Behaviour(reply="got it"))
    term = terminal()
    term.prompt()
    term.child.send("\x1b[200~" + big + "\x1b[201~")
    term.send("")
    term.child.expect("tokens", timeout=120)
    assert server.chat_requests[-1]["messages"][-1]["content"] == big


def test_save_to_full_disk_is_one_line(terminal: Start) -> None:
    term = terminal()
    term.prompt()
    term.send("hi")
    term.expect("Echo: hi")
    term.prompt()
    term.send("/save /dev/full")
    term.expect("No space left on device")
    term.prompt()
    term.send("still here")
    term.expect("Echo: still here")
    assert stat.S_IMODE(os.stat("/dev/full").st_mode) != 0o600


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "temperature",
                "top_p",
                "max_tokens",
                "n",
                "seed",
                "stop",
                "logit_bias",
                "top_logprobs",
            ]
        ),
        st.one_of(st.text(max_size=8), st.lists(st.text(max_size=6), max_size=6)),
        max_size=3,
    )
)
def test_settings_parser_never_crashes(given_values: dict[str, object]) -> None:
    try:
        settings = Settings(**given_values)
    except ValidationError as exc:
        message = describe_validation_error(exc, set(given_values))
        assert message and "\n" not in message
    else:  # accepted: every value given is kept, and reads back as itself
        parsed = {key: getattr(settings, key) for key in given_values}
        assert None not in parsed.values()
        again = Settings(**parsed)
        assert {key: getattr(again, key) for key in given_values} == parsed


@given(st.text(max_size=40))
def test_command_splitter_never_crashes(line: str) -> None:
    name, argument = split("/" + line)
    assert " " not in name and argument == argument.strip()


def test_debug_logs_requests_without_the_key(env: dict[str, str], server: FakeOpenAI) -> None:
    """A gateway that takes the key in its URL puts the key in every request line: the log
    shows the requests with the key redacted."""
    gateway = server.base_url.removesuffix("/v1") + f"/gateway/{KEY}/v1"
    result = run_chatcli({**env, "OPENAI_BASE_URL": gateway}, "--debug", "hi")
    assert result.returncode == 0, result.stderr
    assert KEY in server.requests[-1].path
    assert "HTTP Request: POST" in result.stderr and "/chat/completions" in result.stderr
    assert f"/gateway/{mask_secret(KEY)}/v1" in result.stderr
    assert KEY not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("make_env_file", "expected"),
    [
        (lambda p: p.write_bytes(b"CHATCLI_MODEL=\xff\xfe\n"), ".env could not be read"),
        (
            lambda p: p.write_text("CHATCLI_TEMPERATURE=hot\n"),
            "CHATCLI_TEMPERATURE (.env): 'hot' is not a number",
        ),
    ],
    ids=["not-utf8", "bad-value"],
)
def test_bad_dotenv_is_one_line(
    env: dict[str, str],
    server: FakeOpenAI,
    tmp_path: Path,
    make_env_file: Callable[[Path], object],
    expected: str,
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    make_env_file(work / ".env")
    result = run_chatcli(env, "hi", cwd=work)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert server.requests == []


def test_dotenv_that_is_a_directory_is_ignored(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "project"
    (work / ".env").mkdir(parents=True)
    result = run_chatcli(env, "hi", cwd=work)
    assert result.returncode == 0 and result.stdout == "Echo: hi\n"
