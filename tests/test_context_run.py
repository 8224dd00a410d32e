"""/run and /paste as a user meets them: the installed chatcli in a real PTY against the
loopback server; what the screen says, what the server received, and that a stopped command is
gone. The clipboard is a real program the test writes and puts first on PATH."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import Terminal
from tests.fake_server import FakeOpenAI

Start = Callable[..., Terminal]


def last_user(server: FakeOpenAI) -> str:
    content = server.chat_requests[-1]["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


def wait_for_file(path: Path, timeout: float = 15.0) -> str:
    """The file's text once the command has written it (the state the test needs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_a_failing_command_stages_its_output_and_says_its_status(
    server: FakeOpenAI, terminal: Start
) -> None:
    term = terminal()
    term.prompt()
    term.send("/run echo 找不到模块 foo; echo 'Traceback' >&2; exit 3")
    term.expect(r"\$ echo 找不到模块 foo; echo 'Traceback' >&2; exit 3 \(Ctrl-C stops it\)")
    term.expect(r"\+ \$ echo 找不到模块 foo; echo 'Traceback' >&2; exit 3, ≈\d+ tokens")
    term.expect("the command exited with status 3; its output is staged")
    assert server.chat_requests == []  # staging sends nothing
    term.prompt()
    term.send("为什么失败？")
    term.expect(r"\+ \$ echo .* · context ≈\d+/128,000")
    term.expect("Echo: ")
    sent = last_user(server)
    assert sent.startswith("$ echo 找不到模块 foo; echo 'Traceback' >&2; exit 3\n```\n")
    assert "找不到模块 foo\nTraceback\n```\n[exit status 3]\n\n为什么失败？" in sent
    term.chat("再问一次")
    assert last_user(server) == "再问一次"  # sent once, then the stage is empty
    term.quit()


def running(pid: int) -> bool:
    """Whether the test's `sleep` runs as process `pid`: a zombie has ended (nothing may reap
    orphans here), and a thread or another program that got the number since is not it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        program = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    alive = fields.get("Tgid", "").strip() == str(pid) and not fields["State"].startswith("Z")
    return alive and program.startswith(b"sleep\0")


def ends(pid: int, within: float = 30.0) -> bool:
    """Whether the process ended within `within` seconds: a state to wait for."""
    deadline = time.monotonic() + within
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_ctrl_c_stops_the_command_and_its_process_and_the_chat_goes_on(
    tmp_path: Path, server: FakeOpenAI, terminal: Start
) -> None:
    """The command starts a child and waits for it: ending the shell alone would leave the
    child running, only ending the group ends both."""
    pid_file = tmp_path / "sleep.pid"
    term = terminal()
    term.prompt()
    term.send(f"/run sleep 600 & echo $! > {pid_file}; wait")
    term.expect(r"\(Ctrl-C stops it\)")
    pid = int(wait_for_file(pid_file))
    term.child.sendintr()
    term.expect("the command was stopped; nothing staged")
    assert ends(pid)
    term.prompt()
    term.send("/file")
    term.expect(r"nothing staged \(/file PATH adds\)")
    term.chat("还在吗")
    assert last_user(server) == "还在吗"
    term.quit()


def watchers(group: int) -> list[int]:
    """The watcher processes chatcli started for a /run group."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"chatcli.procgroup" in argv and str(group).encode() in argv:
            found.append(int(cmdline.parent.name))
    return found


@pytest.mark.parametrize("how", ["exit", "eof", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_what_run_left_in_the_background_ends_with_chatcli(
    server: FakeOpenAI, terminal: Start, how: str
) -> None:
    """/run comes back when its shell exits, even though the job keeps the output pipe open;
    the job ends with chatcli however chatcli ends. A normal end does it itself (its watcher
    is ended first to show that); a signal chatcli does not survive leaves it to the
    watcher."""
    term = terminal()
    term.prompt()
    term.send("/run sleep 1000 & echo $! > job.pid; echo started")  # here: the cwd
    term.expect(r"\+ \$ sleep 1000 & echo \$! > job.pid; echo started, ≈\d+ tokens")
    term.expect("the command left processes running in the background; they end when chatcli")
    pid = int(wait_for_file(Path("job.pid")))
    assert running(pid)
    group = os.getpgid(pid)
    if how in ("exit", "eof"):
        for watcher in watchers(group):
            os.kill(watcher, signal.SIGKILL)
        term.prompt()
        if how == "exit":
            term.send("/exit")
        else:
            term.child.sendeof()
        assert term.exit_status() == 0
    else:
        term.child.kill(getattr(signal, how))
        term.child.expect(pexpect.EOF)
    assert ends(pid)


def test_run_output_over_the_cap_is_stopped_and_not_staged(terminal: Start) -> None:
    term = terminal()
    term.prompt()
    term.send("/run yes 很长的输出")
    term.expect("the command's output passed the 5 MB limit; it was stopped and nothing staged")
    term.prompt()
    term.send("/run")
    term.expect(r"usage: /run COMMAND")
    term.prompt()
    term.send("/file")
    term.expect("nothing staged")
    term.quit()


def fake_clipboard(folder: Path, name: str, script: str) -> dict[str, str]:
    """A clipboard program `name` running `script`, alone on PATH."""
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(0o755)
    return {"PATH": str(folder)}


def test_paste_stages_the_clipboard(tmp_path: Path, server: FakeOpenAI, terminal: Start) -> None:
    path = fake_clipboard(tmp_path / "bin", "xclip", "printf '剪贴板里的代码\\nprint(1)\\n'")
    term = terminal(extra_env=path)
    term.prompt()
    term.send("/paste")
    term.expect(r"\+ clipboard, ≈\d+ tokens")
    assert server.chat_requests == []
    term.prompt()
    term.send("解释")
    term.expect("Echo: ")
    assert last_user(server) == "clipboard\n```\n剪贴板里的代码\nprint(1)\n```\n\n解释"
    term.quit()


@pytest.mark.parametrize(
    ("program", "script", "line"),
    [
        (None, "", r"no terminal clipboard program here \(wl-paste, xclip, xsel, pbpaste\)"),
        ("wl-paste", "echo 'Failed to connect to a Wayland server' >&2; exit 1", ""),
        ("pbpaste", "exit 0", "the clipboard is empty; nothing staged"),
    ],
)
def test_paste_without_a_usable_clipboard_is_one_line(
    tmp_path: Path, terminal: Start, program: str | None, script: str, line: str
) -> None:
    folder = tmp_path / "bin"
    path = fake_clipboard(folder, program, script) if program else {"PATH": str(folder)}
    term = terminal(extra_env=path)
    term.prompt()
    term.send("/paste")
    term.expect(
        line or "cannot read the clipboard: wl-paste: Failed to connect to a Wayland server"
    )
    term.prompt()
    term.send("/file")
    term.expect("nothing staged")
    term.quit()
