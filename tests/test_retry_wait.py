"""A busy server's Retry-After (issue 11): waited visibly, never past --timeout, Ctrl-C works."""

from __future__ import annotations

import select
import signal

from tests.conftest import run_chatcli as run
from tests.conftest import start_chatcli
from tests.fake_server import Behaviour, FakeOpenAI


def busy(seconds: int) -> Behaviour:
    return Behaviour(
        status=429, error={"message": "slow down"}, headers={"Retry-After": str(seconds)}
    )


def test_a_short_retry_after_is_announced_then_waited(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(busy(1))
    result = run(env, "--timeout", "5", "hi")
    assert result.returncode == 0, result.stderr
    assert "server busy, retrying in 1 s" in result.stderr
    assert result.stdout == "Echo: hi\n"
    assert len(server.chat_requests) == 2


def test_the_announcement_in_chinese(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(busy(1))
    result = run(env, "--lang", "zh", "--timeout", "5", "hi")
    assert result.returncode == 0, result.stderr
    assert "服务器繁忙，1 秒后重试" in result.stderr


def test_a_retry_after_longer_than_the_timeout_is_not_waited(
    env: dict[str, str], server: FakeOpenAI
) -> None:
    server.expect(busy(30))
    result = run(env, "--timeout", "5", "hi")
    assert result.returncode == 1
    assert "asked to wait 30 s" in result.stderr
    assert len(server.chat_requests) == 1


def test_ctrl_c_during_the_wait_exits_130(env: dict[str, str], server: FakeOpenAI) -> None:
    server.expect(busy(100))
    proc = start_chatcli(env, "--timeout", "120", "hi")
    try:
        assert proc.stderr is not None
        seen = b""
        while b"server busy" not in seen:
            ready, _, _ = select.select([proc.stderr], [], [], 30)
            assert ready, "no announcement within 30 s"
            chunk = proc.stderr.read1(4096)
            assert chunk, "chatcli ended without announcing the wait"
            seen += chunk
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert len(server.chat_requests) == 1
