"""Soak: 300 turns in one REPL session, some interrupted; memory and descriptors stay flat,
and the database holds exactly the turns that were shown."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal
from tests.fake_server import Behaviour, FakeOpenAI, Gate

Start = Callable[..., Terminal]
TURNS = 300
EARLY = 30  # turns before the first sample: start-up allocations are done
RSS_GROWTH_KIB = 4 * 1024  # README: measured 1.9 MB from turn 30 to 300 (the history grows)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_three_hundred_turns(terminal: Start, server: FakeOpenAI, isolated: Path) -> None:
    """Samples are taken at the same state each time, a drawn prompt (the editor's event loop
    open, no request in flight), never at a moment that depends on timing."""
    term = terminal("--max-retries", "0")
    pid = term.child.pid
    interrupted = 0
    samples: dict[int, tuple[int, int]] = {}
    for turn in range(1, TURNS + 1):
        term.prompt()
        if turn - 1 == EARLY:
            samples[EARLY] = (rss_kib(pid), open_fds(pid))
        if turn % 25 == 0:
            gate = Gate(after=2)
            server.expect(Behaviour(reply="slow " * 300, hold=gate))
            term.send(f"turn {turn}")
            term.expect("slow slow")
            term.child.sendintr()
            term.expect("interrupted")
            gate.open()
            interrupted += 1
        else:
            term.send(f"turn {turn}")
            term.expect(f"Echo: turn {turn}")
            term.expect("tokens")
    term.prompt()
    samples[TURNS] = (rss_kib(pid), open_fds(pid))
    (rss_early, fds_early), (rss_late, fds_late) = samples[EARLY], samples[TURNS]
    print(
        f"\nsoak: RSS {rss_early} KiB after turn {EARLY} -> {rss_late} KiB after turn {TURNS};"
        f" fds {fds_early} -> {fds_late}"
    )
    assert fds_late == fds_early
    assert rss_late - rss_early < RSS_GROWTH_KIB
    assert len(server.chat_requests) == TURNS
    last = server.chat_requests[-1]["messages"]
    assert len(last) == 2 * (TURNS - 1) + 1
    assert [m["role"] for m in last] == ["user", "assistant"] * (TURNS - 1) + ["user"]
    assert interrupted == TURNS // 25
    term.send("退出")
    assert term.exit_status() == 0
    with sqlite3.connect(isolated / ".local/share/chatcli/conversations.db") as db:
        rows = db.execute("SELECT role, interrupted FROM messages ORDER BY position").fetchall()
    assert len(rows) == 2 * TURNS
    assert [role for role, _ in rows] == ["user", "assistant"] * TURNS
    assert sum(flag for _, flag in rows) == TURNS // 25
