"""The built-in tools, off until the user enables them: a shell command and a text file.

`run_command` runs in the current directory in a process group of its own, so a time limit
or Ctrl-C ends the command and everything it started, and what it leaves running in the
background ends with chatcli (`procgroup.hand_over`); its output goes to an unnamed file, so
a command that prints gigabytes costs disk, never memory, and only the head is read back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from chatcli import procgroup
from chatcli.config.paths import open_regular
from chatcli.tools.runner import RESULT_CAP, Tool, ToolFailed

GROUPS = {"shell": "run_command", "read": "read_file"}  # --tools shell,read
READ_LIMIT = 4 * RESULT_CAP  # bytes read back: the runner caps what the model gets
STOP_GRACE = 1.0


def _text_argument(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ToolFailed(f"the argument {name!r} must be a non-empty string")
    return value


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """The command and every process it started: asked, then made, to end."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        try:
            process.wait(STOP_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue


def run_command(arguments: dict[str, Any], timeout: float) -> str:
    command = _text_argument(arguments, "command")
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=os.getcwd(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            raise ToolFailed(f"timed out after {timeout:g} s; the command was stopped") from None
        except KeyboardInterrupt:
            _stop_group(process)
            raise
        left = procgroup.hand_over(process.pid)
        output.seek(0)
        text = output.read(READ_LIMIT).decode("utf-8", "replace")
    if left:
        text += "\n[processes it left running in the background end when chatcli does]"
    return f"{text}\n[exit status {status}]" if status else text


def read_file(arguments: dict[str, Any], timeout: float) -> str:
    path = Path(_text_argument(arguments, "path")).expanduser()
    try:
        with open_regular(path) as file:
            data = file.read(READ_LIMIT)
    except OSError as exc:
        raise ToolFailed(f"{path}: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise ToolFailed(f"{path} is a binary file, not shown")
    return data.decode("utf-8", "replace")


def builtin_tools() -> list[Tool]:
    """Both tools, disabled: `--tools` or `/tools on` enables them."""
    return [
        Tool(
            "run_command",
            "Run a shell command in the user's current directory and return its output "
            "(stdout and stderr). The user sees and approves every command first.",
            {
                "type": "object",
                "properties": {"command": {"type": "string", "description": "the command line"}},
                "required": ["command"],
            },
            run_command,
            enabled=False,
        ),
        Tool(
            "read_file",
            "Read a text file (relative to the user's current directory) and return its text.",
            {
                "type": "object",
                "properties": {"path": {"type": "string", "description": "the file's path"}},
                "required": ["path"],
            },
            read_file,
            enabled=False,
        ),
    ]
