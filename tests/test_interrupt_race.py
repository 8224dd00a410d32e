"""Ctrl-C acts whenever it lands, also when its wake-up is lost.

A SIGINT wakes a blocked socket wait only when it arrives *during* the wait: one that lands
just before it (after Python last looked for signals: under load, a preemption there is
enough) is noted and the wait then blocks on, until the server sends something. That is how
`test_ctrl_c_mid_reply_exits_130_keeping_what_was_written` hung under load. A SIGINT taken by
another of chatcli's threads (the renderer's ticker) leaves chatcli in exactly that state, and
unlike a preemption it can be produced at will: these tests send it there (tgkill), while the
main thread waits for a stream the server holds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable

from tests.conftest import Terminal
from tests.fake_server import Behaviour, FakeOpenAI, Gate
from tests.test_retry_wait import busy

Start = Callable[..., Terminal]


def wait_blocked_in(pid: int, wait: str = "poll") -> None:
    """Until chatcli's main thread sleeps in the kernel wait named `wait` (a socket's poll,
    a timer's nanosleep)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/wchan") as f:
            if wait in f.read():
                return
        time.sleep(0.01)
    raise AssertionError(f"chatcli never waited in {wait}")


def interrupt_another_thread(pid: int) -> None:
    """SIGINT delivered to a thread of chatcli that is not the one waiting on the socket."""
    others = sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid)
    assert others, "chatcli has no second thread while it renders a reply"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.tgkill(pid, others[0], signal.SIGINT) != 0:
        raise OSError(ctypes.get_errno(), "tgkill failed")


def test_one_shot_ctrl_c_whose_wake_up_is_lost_still_exits_130(
    terminal: Start, server: FakeOpenAI
) -> None:
    gate = Gate(after=1)
    server.expect(Behaviour(chunks=[f"word{i} " for i in range(200)], hold=gate))
    term = terminal("count slowly")
    term.expect("word0")
    wait_blocked_in(term.child.pid)
    interrupt_another_thread(term.child.pid)
    term.expect("interrupted")
    assert term.exit_status() == 130
    assert "word199" not in term.transcript()


def test_repl_ctrl_c_whose_wake_up_is_lost_still_interrupts(
    terminal: Start, server: FakeOpenAI
) -> None:
    gate = Gate(after=1)
    server.expect(Behaviour(chunks=[f"tick{i} " for i in range(200)], hold=gate))
    term = terminal()
    term.prompt()
    term.send("count")
    term.expect("tick0")
    wait_blocked_in(term.child.pid)
    interrupt_another_thread(term.child.pid)
    term.expect("interrupted")
    term.prompt()
    term.send("after")
    term.expect("Echo: after")
    assert [m["content"] for m in server.chat_requests[-1]["messages"]] == [
        "count",
        "tick0 ",
        "after",
    ]
    term.quit()


def test_ctrl_c_whose_wake_up_is_lost_ends_a_retry_after_wait(
    terminal: Start, server: FakeOpenAI
) -> None:
    """The busy server's wait is chatcli's own, in slices: the SDK's one 100 s sleep would
    not have woken for this Ctrl-C (the CI failure of test_ctrl_c_during_the_wait_exits_130)."""
    server.expect(busy(100))
    term = terminal("--timeout", "120", "hi")
    term.expect("server busy")
    wait_blocked_in(term.child.pid, "nanosleep")
    interrupt_another_thread(term.child.pid)
    assert term.exit_status() == 130
    assert len(server.chat_requests) == 1
