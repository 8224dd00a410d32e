"""Soak: 300 turns in one REPL session, some interrupted; memory and descriptors stay flat,
and the database holds exactly the turns that were shown."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Terminal
from tests.fake_server import Behaviour, FakeOpenAI

Start = Callable[..., Terminal]
TURNS = 300


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_three_hundred_turns(terminal: Start, server: FakeOpenAI, isolated: Path) -> None:
    term = terminal("--max-retries", "0")
    pid = term.child.pid
    interrupted = 0
    samples: dict[int, tuple[int, int]] = {}
    for turn in range(1, TURNS + 1):
        term.prompt()
        if turn % 25 == 0:
            server.expect(Behaviour(reply="slow " * 300, delay=0.01))
            term.send(f"turn {turn}")
            term.expect("slow slow")
            term.child.sendintr()
            term.expect("interrupted")
            interrupted += 1
        else:
            term.send(f"turn {turn}")
            term.expect(f"Echo: turn {turn}")
            term.expect("tokens")
        if turn in (30, TURNS):
            samples[turn] = (rss_kib(pid), open_fds(pid))
    (rss_early, fds_early), (rss_late, fds_late) = samples[30], samples[TURNS]
    print(
        f"\nsoak: RSS {rss_early} KiB at turn 30 -> {rss_late} KiB at turn {TURNS};"
        f" fds {fds_early} -> {fds_late}"
    )
    assert fds_late <= fds_early
    assert rss_late - rss_early < 40 * 1024
    assert len(server.chat_requests) == TURNS
    last = server.chat_requests[-1]["messages"]
    assert len(last) == 2 * (TURNS - 1) + 1
    assert [m["role"] for m in last] == ["user", "assistant"] * (TURNS - 1) + ["user"]
    assert interrupted == TURNS // 25
    term.prompt()
    term.send("退出")
    assert term.exit_status() == 0
    with sqlite3.connect(isolated / ".local/share/chatcli/conversations.db") as db:
        rows = db.execute("SELECT role, interrupted FROM messages ORDER BY position").fetchall()
    assert len(rows) == 2 * TURNS
    assert [role for role, _ in rows] == ["user", "assistant"] * TURNS
    assert sum(flag for _, flag in rows) == TURNS // 25
