"""The suite's own hygiene. Tests clean up after themselves whatever happens: a test that
fails after starting a process that outlives it (a llama.cpp server whose parent was killed, a
/run job, an MCP server whose environment the SDK emptied) leaves nothing running once it ends
(conftest's `reaper`). Hypothesis tests have no
deadline to miss on a loaded machine (conftest's profile)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from hypothesis import settings

from tests.conftest import clean_environ

FAILING = """
import os, subprocess, sys
from pathlib import Path

def test_starts_an_orphan_then_fails(reaper):
    child = subprocess.Popen(
        ["sh", "-c", "sleep 300 & echo $! > " + os.environ["PID_FILE"]],
        env={**os.environ, **reaper},
    )
    child.wait()
    bare = subprocess.Popen(  # an empty environment, as the MCP SDK gives its servers
        ["/bin/sh", "-c", "sleep 301 & echo $! > " + os.environ["PID_FILE"] + ".bare"], env={}
    )
    bare.wait()
    assert False, "the assertion that fails"
"""


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z" and Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep")
    except OSError:
        return False


def test_a_failing_test_leaves_no_process_behind(tmp_path: Path, isolated: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "test_inner.py").write_text(FAILING)
    pid_file = tmp_path / "orphan.pid"
    env = {**clean_environ(isolated), "PID_FILE": str(pid_file), "PYTHONPATH": str(root)}
    inner = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest"),
            *(
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(tmp_path),
                str(tmp_path / "test_inner.py"),
            ),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert inner.returncode == 1, inner.stdout + inner.stderr
    assert "the assertion that fails" in inner.stdout
    pids = [int(pid_file.read_text()), int(Path(f"{pid_file}.bare").read_text())]
    deadline = time.monotonic() + 30
    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(running, pids))


def test_hypothesis_runs_every_test_under_the_suites_profile() -> None:
    assert settings.default.deadline is None
    assert settings.default.max_examples == 100
