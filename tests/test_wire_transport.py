"""The deadline every socket wait is cut to (the trickling servers are in test_hostile_server)."""

from __future__ import annotations

import math

import httpcore2
import pytest

from chatcli.conversation.transport import Deadline


def test_a_passed_deadline_refuses_the_next_wait() -> None:
    deadline = Deadline(0)
    with pytest.raises(httpcore2.ReadTimeout):
        deadline.clamp(5.0, httpcore2.ReadTimeout)


def test_waits_are_cut_to_what_is_left() -> None:
    deadline = Deadline(3600)
    assert deadline.clamp(1.0, httpcore2.ReadTimeout) == 1.0
    left = deadline.clamp(None, httpcore2.ReadTimeout)
    assert left is not None and 0 < left <= 3600
    deadline.restart(0)
    with pytest.raises(httpcore2.ConnectTimeout):
        deadline.clamp(None, httpcore2.ConnectTimeout)


def test_an_endless_timeout_means_no_socket_timeout() -> None:
    assert Deadline(math.inf).clamp(None, httpcore2.ReadTimeout) is None
