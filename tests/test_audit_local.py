"""After `kill -9` of chatcli, the kernel ends the llama.cpp child, as the README says: not the
watcher thread inside it, which is only the fallback for systems without PR_SET_PDEATHSIG.

The child is stopped (SIGSTOP) before chatcli is killed: a stopped process runs no thread, so
only a signal the kernel sends can end it (SIGKILL ends a stopped process too). Without the
parent-death signal it stays, stopped, until the test kills it.
"""

from __future__ import annotations

import os
import signal

import pexpect

from tests.test_local_model import Start, env, gone, local_model, ready

__all__ = ["env"]  # the fixture: a machine with no key, so chatcli starts the bundled model


@local_model
def test_the_kernel_ends_a_child_that_cannot_run(terminal: Start) -> None:
    term = terminal("--local")
    child = ready(term)
    os.kill(child.pid, signal.SIGSTOP)
    try:
        os.kill(term.child.pid, signal.SIGKILL)
        term.child.expect(pexpect.EOF)
        assert gone(child)
    finally:
        if child.alive():
            os.kill(child.pid, signal.SIGKILL)
