"""A hostile working directory, config and files: the installed chatcli against the loopback
server, asserting on exit status, the one line on stderr and what the server received.

Every case here runs as root on the test machine, so nothing relies on file modes alone:
FIFOs, symbolic links and RLIMIT_FSIZE bite root too, and the read-only database is read by
a process that drops to an unprivileged user first.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from chatcli.store.database import Store
from tests.conftest import (
    CHATCLI,
    KEY,
    SCREEN_COLS,
    SCREEN_ROWS,
    Terminal,
    clean_environ,
    run_chatcli,
)
from tests.fake_server import FakeOpenAI

BRIEF = 20  # seconds: chatcli must answer on its own; waiting on a FIFO or a device fails

Start = Callable[..., Terminal]


def refused(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2 with exactly one line on stderr holding every needle, and no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


# --- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "args"),
    [
        ("OPENAI_API_KEY", ()),
        ("CHATCLI_API_KEY", ()),
        (None, ("--api-key", KEY + "\r")),
    ],
    ids=["OPENAI_API_KEY", "CHATCLI_API_KEY", "--api-key"],
)
def test_a_key_saved_with_a_windows_line_end_still_works(
    env: dict[str, str], server: FakeOpenAI, variable: str | None, args: tuple[str, ...]
) -> None:
    del env["OPENAI_API_KEY"]
    if variable:
        env[variable] = KEY + "\r\n"
    result = run_chatcli(env, *args, "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hi\n"
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "key",
    ["sk-tëst-key-123456", "sk-test key-123456", "sk-test\x7fkey-123456", "sk-\x1b[2Jkey-123456"],
    ids=["non-ascii", "inner-space", "inner-DEL", "inner-escape"],
)
def test_an_unusable_key_is_refused_without_showing_it(
    env: dict[str, str], server: FakeOpenAI, key: str
) -> None:
    env["OPENAI_API_KEY"] = key
    result = run_chatcli(env, "hi")
    refused(result, "OPENAI_API_KEY: ", "HTTP header", "key not shown")
    assert "key-123456" not in result.stderr and "sk-" not in result.stderr
    assert server.requests == []


def _key_in_dotenv(env: dict[str, str], key: str) -> list[str]:
    del env["OPENAI_API_KEY"]
    Path(".env").write_text(f"OPENAI_API_KEY={key}\n", encoding="utf-8")
    return []


def _key_in_config(env: dict[str, str], key: str) -> list[str]:
    del env["OPENAI_API_KEY"]
    config = Path("chatcli.toml").absolute()
    config.write_text(f'[providers.openai]\napi_key = "{key}"\n', encoding="utf-8")
    env["CHATCLI_CONFIG"] = str(config)
    return []


def _key_as_flag(env: dict[str, str], key: str) -> list[str]:
    del env["OPENAI_API_KEY"]
    return ["--api-key", key]


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (_key_in_dotenv, "OPENAI_API_KEY (.env): "),
        (_key_in_config, "chatcli.toml:2: api_key: "),
        (_key_as_flag, "--api-key: "),
    ],
    ids=["dotenv", "config", "flag"],
)
def test_an_unusable_key_names_where_it_came_from(
    env: dict[str, str],
    server: FakeOpenAI,
    source: Callable[[dict[str, str], str], list[str]],
    named: str,
) -> None:
    args = source(env, "sk-tëst-key-123456")
    result = run_chatcli(env, *args, "hi")
    refused(result, named, "key not shown")
    assert "tëst" not in result.stderr
    assert server.requests == []


# --- trust levels: a .env here must not redirect a key from elsewhere ------------------------


@pytest.mark.parametrize("variable", ["OPENAI_BASE_URL", "CHATCLI_BASE_URL"])
def test_a_dotenv_here_cannot_send_the_environments_key_to_its_server(
    env: dict[str, str], server: FakeOpenAI, variable: str
) -> None:
    del env["OPENAI_BASE_URL"]  # the user's own setup: a key, and the default server
    Path(".env").write_text(f"{variable}={server.base_url}\n", encoding="utf-8")
    result = run_chatcli(env, "hi")
    refused(result, variable, str(Path.cwd() / ".env"), "OPENAI_API_KEY", "CHATCLI_TRUST_DOTENV")
    assert KEY not in result.stderr
    assert server.requests == []


def test_a_dotenv_here_cannot_send_the_config_files_key_to_its_server(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    del env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"]
    config = Path.cwd().parent / "config.toml"
    config.write_text(f'api_key = "{KEY}"\n', encoding="utf-8")
    env["CHATCLI_CONFIG"] = str(config)
    Path(".env").write_text(f"CHATCLI_BASE_URL={server.base_url}\n", encoding="utf-8")
    result = run_chatcli(env, "hi")
    refused(result, "CHATCLI_BASE_URL", str(config))
    assert server.requests == []


def test_a_dotenv_here_cannot_switch_the_environments_key_to_another_provider(
    env: dict[str, str],
) -> None:
    del env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"]
    env["CHATCLI_API_KEY"] = KEY
    Path(".env").write_text("CHATCLI_PROVIDER=ollama\n", encoding="utf-8")
    result = run_chatcli(env, "hi")
    refused(result, "CHATCLI_PROVIDER", "http://localhost:11434/v1")


@pytest.mark.parametrize(
    ("dotenv", "extra_env", "args"),
    [
        ("OPENAI_BASE_URL={url}\nOPENAI_API_KEY=" + KEY + "\n", {}, ()),
        ("OPENAI_BASE_URL={url}\n", {"CHATCLI_TRUST_DOTENV": "1"}, ()),
        ("OPENAI_BASE_URL=http://127.0.0.1:9/v1\n", {}, ("--base-url", "{url}")),
    ],
    ids=["key-in-the-same-dotenv", "trusted-by-the-environment", "url-given-as-a-flag"],
)
def test_a_key_and_url_from_the_same_trust_level_are_used(
    env: dict[str, str],
    server: FakeOpenAI,
    dotenv: str,
    extra_env: dict[str, str],
    args: tuple[str, ...],
) -> None:
    del env["OPENAI_BASE_URL"]
    if "OPENAI_API_KEY" in dotenv:
        del env["OPENAI_API_KEY"]
    Path(".env").write_text(dotenv.format(url=server.base_url), encoding="utf-8")
    result = run_chatcli({**env, **extra_env}, *(a.format(url=server.base_url) for a in args), "hi")
    assert result.returncode == 0, result.stderr
    assert server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_the_trust_opt_in_is_not_read_from_the_dotenv_itself(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    del env["OPENAI_BASE_URL"]
    Path(".env").write_text(
        f"CHATCLI_TRUST_DOTENV=1\nOPENAI_BASE_URL={server.base_url}\n", encoding="utf-8"
    )
    refused(run_chatcli(env, "hi"), "OPENAI_BASE_URL")
    assert server.requests == []


# --- numbers and nesting ---------------------------------------------------------------------

HUGE = "1" + "0" * 30
DEEP_ARRAY = "x = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_TABLE = "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"


@pytest.mark.parametrize(
    ("args", "extra_env", "config", "named"),
    [
        (("--timeout", "inf"), {}, None, "--timeout: 'inf' is not a finite number"),
        (("--timeout", "1e300"), {}, None, "--timeout: 1e300 is out of range"),
        ((), {"CHATCLI_TIMEOUT": "inf"}, None, "CHATCLI_TIMEOUT: 'inf' is not a finite number"),
        ((), {"CHATCLI_TIMEOUT": "1e300"}, None, "CHATCLI_TIMEOUT: 1e300 is out of range"),
        ((), {}, "timeout = inf\n", "config.toml:1: timeout"),
        ((), {}, "timeout = 1e300\n", "config.toml:1: timeout"),
        (("--seed", HUGE), {}, None, "--seed"),
        (("--context-tokens", HUGE), {}, None, "--context-tokens"),
        (("--local-ctx", HUGE), {}, None, "--local-ctx"),
        ((), {}, DEEP_ARRAY, "config.toml: nested too deeply"),
        ((), {}, DEEP_TABLE, "config.toml: nested too deeply"),
    ],
    ids=[
        "timeout-inf",
        "timeout-1e300",
        "env-timeout-inf",
        "env-timeout-1e300",
        "config-timeout-inf",
        "config-timeout-1e300",
        "seed-huge",
        "context-tokens-huge",
        "local-ctx-huge",
        "config-deep-array",
        "config-deep-table",
    ],
)
def test_absurd_numbers_and_nesting_are_one_line(
    env: dict[str, str],
    server: FakeOpenAI,
    args: tuple[str, ...],
    extra_env: dict[str, str],
    config: str | None,
    named: str,
) -> None:
    if config is not None:
        path = Path.cwd().parent / "config.toml"
        path.write_text(config, encoding="utf-8")
        env["CHATCLI_CONFIG"] = str(path)
    refused(run_chatcli({**env, **extra_env}, *args, "hi"), named)
    assert server.requests == []


# --- files that are not files ----------------------------------------------------------------


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _device(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("make", [_fifo, _device], ids=["fifo", "device"])
def test_a_dotenv_that_is_not_a_regular_file_is_refused(
    env: dict[str, str], server: FakeOpenAI, make: Callable[[Path], Path]
) -> None:
    dotenv = make(Path.cwd() / ".env")
    refused(run_chatcli(env, "hi", timeout=BRIEF), str(dotenv), "not a regular file")
    assert server.requests == []


@pytest.mark.parametrize("make", [_fifo, _device], ids=["fifo", "device"])
def test_a_config_file_that_is_not_a_regular_file_is_refused(
    env: dict[str, str], server: FakeOpenAI, make: Callable[[Path], Path]
) -> None:
    config = make(Path.cwd().parent / "config.toml")
    refused(run_chatcli({**env, "CHATCLI_CONFIG": str(config)}, "hi", timeout=BRIEF), str(config))
    assert server.requests == []


def test_a_local_model_that_is_a_fifo_is_refused(env: dict[str, str]) -> None:
    model = _fifo(Path.cwd() / "model.gguf")
    refused(
        run_chatcli(env, "--local-model", str(model), "hi", timeout=BRIEF), f"--local-model {model}"
    )


@pytest.mark.parametrize("make", [_fifo, _device], ids=["fifo", "device"])
def test_an_import_that_is_not_a_regular_file_is_refused(
    env: dict[str, str], make: Callable[[Path], Path]
) -> None:
    export = make(Path.cwd() / "export.json")
    refused(run_chatcli(env, "sessions", "import", str(export), timeout=BRIEF), str(export))


# --- imports and /load: one model of a conversation ------------------------------------------

PAIR = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]


def _export(**fields: Any) -> str:
    return json.dumps({"chatcli_export": 1, "messages": PAIR, **fields})


BAD_IMPORTS = {
    "content-numbers": (
        _export(messages=[{"role": "user", "content": [1, 2]}, PAIR[1]]),
        "message 1: content",
    ),
    "content-part-without-text": (
        _export(messages=[{"role": "user", "content": [{"type": "text"}]}, PAIR[1]]),
        "message 1: content",
    ),
    "created-list": (_export(created=[1]), "created"),
    "created-beyond-year-9999": (_export(created=1e300), "created"),
    "message-created-list": (
        _export(messages=[PAIR[0], {**PAIR[1], "created": [1]}]),
        "message 2: created",
    ),
    "params-number": (_export(params=5), "params"),
    "system-number": (_export(system=5), "system"),
    "tokens-string": (_export(messages=[PAIR[0], {**PAIR[1], "tokens": "many"}]), "tokens"),
    "two-users": (
        _export(messages=[PAIR[0], PAIR[0]]),
        "must alternate user, assistant (message 2 is user)",
    ),
    "assistant-first": (_export(messages=[PAIR[1], PAIR[0]]), "(message 1 is assistant)"),
    "no-reply": (_export(messages=[PAIR[0]]), "(message 1 has no reply)"),
    "deeply-nested": ('{"messages": ' + "[" * 100000, "nested too deeply"),
    "markdown-meta-params-number": (
        '# t\n\n<!-- chatcli {"params": 5} -->\n\n### User\n\nq\n\n### Assistant\n\na\n',
        "params",
    ),
    "markdown-meta-bad-created": (
        '# t\n\n<!-- chatcli {"created": "soon"} -->\n\n### User\n\nq\n\n### Assistant\n\na\n',
        "created",
    ),
}


@pytest.mark.parametrize(("text", "problem"), BAD_IMPORTS.values(), ids=BAD_IMPORTS.keys())
def test_a_bad_import_is_one_line_and_stores_nothing(
    env: dict[str, str], text: str, problem: str
) -> None:
    path = Path.cwd() / "export.json"
    path.write_text(text, encoding="utf-8")
    refused(run_chatcli(env, "sessions", "import", str(path)), str(path), problem)
    listing = run_chatcli(env, "sessions", "list")
    assert (listing.returncode, listing.stdout) == (0, ""), listing.stderr


def test_a_good_import_still_round_trips(env: dict[str, str]) -> None:
    path = Path.cwd() / "export.json"
    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:,"}},
    ]
    path.write_text(
        _export(title="imported", messages=[{"role": "user", "content": parts}, PAIR[1]])
    )
    result = run_chatcli(env, "sessions", "import", str(path))
    assert result.returncode == 0, result.stderr
    shown = run_chatcli(env, "sessions", "export", "1", "--format", "json")
    assert json.loads(shown.stdout)["messages"][0]["content"] == parts


BAD_TRANSCRIPTS = {
    "system-number": {"system": 5, "messages": PAIR},
    "content-numbers": {"messages": [{"role": "user", "content": [1, 2]}, PAIR[1]]},
    "model-list": {"model": ["x"], "messages": PAIR},
}


@pytest.mark.parametrize("transcript", BAD_TRANSCRIPTS.values(), ids=BAD_TRANSCRIPTS.keys())
def test_load_refuses_a_bad_transcript_and_the_chat_goes_on(
    terminal: Start, server: FakeOpenAI, transcript: dict[str, Any]
) -> None:
    Path("bad.json").write_text(json.dumps({"chatcli_transcript": 1, **transcript}))
    term = terminal()
    term.prompt()
    term.send("/load bad.json")
    term.expect(r"bad\.json: ")
    term.chat("hello")
    term.quit()
    assert "Traceback" not in term.transcript()
    assert server.chat_requests[-1]["messages"] == [{"role": "user", "content": "hello"}]


# --- chatcli's own files ---------------------------------------------------------------------


@pytest.fixture
def victim(tmp_path: Path) -> Iterator[Path]:
    """A file of the user's that a planted link points at; it must come out untouched."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    path.chmod(0o644)
    yield path
    assert path.read_text() == "precious\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_link_in_place_of_the_database_is_refused_and_the_chat_goes_on(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path, victim: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "conversations.db").symlink_to(victim)
    result = run_chatcli({**env, "CHATCLI_HOME": str(data)}, "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: hi\n"
    (line,) = result.stderr.splitlines()
    assert "conversations will not be saved" in line and "symbolic link" in line
    assert str(data / "conversations.db") in line


def test_a_link_in_place_of_the_input_history_is_refused_and_the_message_sent(
    terminal: Start, server: FakeOpenAI, tmp_path: Path, victim: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "input_history").symlink_to(victim)
    term = terminal(extra_env={"CHATCLI_HOME": str(data)})
    term.expect(r"input history is off: [^\n]*input_history: is a symbolic link")
    term.chat("hello")
    term.quit()
    assert server.chat_requests[-1]["messages"][-1]["content"] == "hello"


class FileSizeLimited(Terminal):
    """chatcli in a PTY whose files cannot grow past `limit` bytes: writes beyond it fail
    with EFBIG, as on a full disk (SIGXFSZ ignored, so the write fails instead of killing)."""

    def __init__(self, env: dict[str, str], limit: int) -> None:
        def limit_files() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        self.child = pexpect.spawn(
            CHATCLI,
            [],
            env=env,
            cwd=os.getcwd(),
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(SCREEN_ROWS, SCREEN_COLS),
            timeout=15,
            preexec_fn=limit_files,
        )
        self.log = io.StringIO()
        self.child.logfile_read = self.log


def test_a_history_file_that_cannot_grow_turns_history_off_and_keeps_the_message(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path
) -> None:
    limit = 1 << 20
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    history = data / "input_history"
    history.write_bytes(b"#" * (limit - 1) + b"\n")  # full: the next entry cannot fit
    term = FileSizeLimited({**env, "CHATCLI_HOME": str(data)}, limit)
    try:
        term.prompt()
        term.send("hello")
        term.expect("Echo: hello")
        term.expect(r"input history is off: [^\n]*input_history: File too large")
        term.prompt()
        term.send("second")
        term.expect("Echo: second")
        term.prompt()
        term.send("退出")
        assert term.exit_status() == 0
    finally:
        term.child.terminate(force=True)
    screen = term.transcript()
    assert "Traceback" not in screen and "Press ENTER" not in screen
    assert screen.count("input history is off") == 1
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == [
        "hello",
        "Echo: hello",
        "second",
    ]
    assert history.stat().st_size == limit


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a file or directory read-only for this user, root included: the mode for others,
    the immutable attribute (which root cannot write through either) for root; undone after."""
    made: list[Path] = []

    def make(path: Path) -> None:
        path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(path)], check=True)
        made.append(path)

    yield make
    if os.geteuid() == 0 and made:
        subprocess.run(["chattr", "-i", *map(str, made)], check=True)
    for path in made:
        path.chmod(0o700 if path.is_dir() else 0o600)


def test_private_continue_and_listing_read_a_database_the_user_cannot_write(
    env: dict[str, str], server: FakeOpenAI, tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    data = tmp_path / "data"
    env["CHATCLI_HOME"] = str(data)
    first = run_chatcli(env, "first question")
    assert first.returncode == 0, first.stderr
    database = data / "conversations.db"
    read_only(database)
    read_only(data)
    before = (sorted(p.name for p in data.iterdir()), database.read_bytes())

    resumed = run_chatcli(env, "--private", "-c", "second")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == "Echo: second\n"
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == [
        "first question",
        "Echo: first question",
        "second",
    ]
    listing = run_chatcli(env, "sessions", "list")
    assert listing.returncode == 0, listing.stderr
    assert "first question" in listing.stdout
    assert (sorted(p.name for p in data.iterdir()), database.read_bytes()) == before


@pytest.mark.local_model
def test_kill_9_in_offline_mode_leaves_no_server_log_behind(isolated: Path) -> None:
    tmp = isolated.parent / "tmp"
    tmp.mkdir()
    term = Terminal(["--local"], {**clean_environ(isolated), "TMPDIR": str(tmp)}, os.getcwd())
    try:
        term.child.timeout = 90
        term.expect("SmolLM2-135M-Instruct>")
        os.kill(term.child.pid, signal.SIGKILL)
        term.child.expect(pexpect.EOF)
    finally:
        term.child.terminate(force=True)
    assert sorted(tmp.iterdir()) == []


def test_reading_a_missing_or_never_written_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert Store(missing, write=False).recent() == []
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    assert Store(empty, write=False).recent() == []
    assert empty.read_bytes() == b""
