"""The one consent service: every yes/no question chatcli asks goes through `ask`.

Tool calls (shell commands among them), secret files and deletes are asked here, and an
answer counts only when it was typed for the question on the screen:

- keys typed before the question was drawn are discarded, both those still queued in the
  terminal and those the line editor read ahead (type-ahead meant for the chat: `yes⏎` typed
  while a reply streams must not answer a question that appears after it);
- keys typed in the first DELAY seconds the question is on screen are discarded too, like a
  browser's permission prompt whose Allow button wakes up late; the answers it takes (its
  `hint`) appear once keys count. Ctrl-C passes at once: it can only refuse.

Type-ahead keeps its meaning at the chat prompt, which is not asked here.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import Any

from prompt_toolkit.input import Input, create_input
from prompt_toolkit.input.typeahead import clear_typeahead
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import Output

from chatcli.terminal.clean_session import CleanSession

DELAY = 0.5  # seconds a question is on screen before it takes an answer
YES = frozenset({"y", "yes", "是", "好"})
_PASS = frozenset({Keys.ControlC, Keys.CPRResponse})  # a refusal; the terminal's own report


class Moment:
    """The question's first moment on screen, from its first drawing."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.since: float | None = None

    def start(self) -> None:
        if self.since is None:
            self.since = self.clock()

    def left(self) -> float:
        if self.since is None:
            return DELAY
        return max(0.0, self.since + DELAY - self.clock())

    def passed(self) -> bool:
        return self.since is not None and self.left() == 0.0


class FreshKeys(Input):
    """The terminal's input, minus the keys read while the question's moment lasts."""

    def __init__(self, keys: Input, moment: Moment) -> None:
        self.keys = keys
        self.moment = moment

    @staticmethod
    def _fresh(presses: list[KeyPress], counted: bool) -> list[KeyPress]:
        if counted:
            return presses
        return [press for press in presses if press.key in _PASS]

    def read_keys(self) -> list[KeyPress]:
        counted = self.moment.passed()  # as the keys are taken, not after
        return self._fresh(self.keys.read_keys(), counted)

    def flush_keys(self) -> list[KeyPress]:
        counted = self.moment.passed()
        return self._fresh(self.keys.flush_keys(), counted)

    def fileno(self) -> int:
        return self.keys.fileno()

    def typeahead_hash(self) -> str:
        return self.keys.typeahead_hash()

    @property
    def closed(self) -> bool:
        return self.keys.closed

    def raw_mode(self) -> AbstractContextManager[None]:
        return self.keys.raw_mode()

    def cooked_mode(self) -> AbstractContextManager[None]:
        return self.keys.cooked_mode()

    def attach(self, input_ready_callback: Callable[[], None]) -> AbstractContextManager[None]:
        return self.keys.attach(input_ready_callback)

    def detach(self) -> AbstractContextManager[None]:
        return self.keys.detach()


def discard_typeahead(keys: Input) -> None:
    """Keys typed before now: out of the terminal's queue and out of the line editor's."""
    if sys.platform != "win32":
        import termios

        with suppress(OSError, ValueError, termios.error):
            termios.tcflush(keys.fileno(), termios.TCIFLUSH)
    clear_typeahead(keys)


def ask(
    question: str,
    hint: str,
    *,
    output: Output | None = None,
    keys: Input | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """The answer typed for `question` (drawn at once, untrusted parts and all: the session
    cleans it); `hint`, the answers it takes, is drawn when keys count. EOFError on Ctrl-D,
    KeyboardInterrupt on Ctrl-C."""
    keys = keys if keys is not None else create_input()
    moment = Moment(clock)
    session = CleanSession(
        input=FreshKeys(keys, moment),
        output=output,
        message=lambda: question + hint if moment.passed() else question,
    )
    session.app.after_render += lambda _app: moment.start()

    async def wake() -> None:
        """Draw the hint once the moment has passed."""
        while not moment.passed():
            await asyncio.sleep(max(moment.left(), 0.05))
        session.app.invalidate()

    def drawn() -> None:
        discard_typeahead(keys)
        session.app.create_background_task(wake())

    return session.prompt(pre_run=drawn)


def confirm(question: str, **options: Any) -> bool:
    """A yes/no question; Enter, Ctrl-D and anything but yes mean no."""
    try:
        answer = ask(question + " ", "[y/N] ", **options)
    except EOFError:
        return False
    return answer.strip().lower() in YES
