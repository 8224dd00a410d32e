"""The terminal's key mode while chatcli is not reading keys: type-ahead keeps its meaning.

In its own line mode the terminal echoes keys at the cursor (into the live region of a
streaming reply) and turns Enter (CR) into a newline (LF), which the editor reads as Ctrl-J,
"insert a line break": a question typed and sent while a reply streams would arrive at the
next prompt unsent. Between prompts chatcli therefore holds the terminal in the editor's own
key-at-a-time mode, echo off, so queued keys reach the next prompt exactly as typed (Enter
sends, Tab completes), like a shell's type-ahead. Ctrl-C keeps its signal meaning while a
reply streams, so it can interrupt; before the first prompt it stays a key (the editor reads
it as "clear the line") so that it cannot end chatcli while it starts.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

# Line-mode input translations and flow control, off: every key reaches chatcli unchanged.
_INPUT_OFF = ("IXON", "IXOFF", "ICRNL", "INLCR", "IGNCR")
# Line editing, echo (including "^C") and extended keys (Ctrl-V), off.
_LOCAL_OFF = ("ICANON", "ECHO", "ECHOCTL", "IEXTEN")


def _attrs(saved: list[Any], *, signals: bool) -> list[Any]:
    import termios

    mode = [*saved[:6], list(saved[6])]
    for name in _INPUT_OFF:
        mode[0] &= ~getattr(termios, name)
    for name in _LOCAL_OFF:
        mode[3] &= ~getattr(termios, name)
    if signals:
        mode[3] |= termios.ISIG
    else:
        mode[3] &= ~termios.ISIG
    mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
    return mode


class KeyMode:
    """The terminal on `fd` held in key-at-a-time mode until `release()` gives back the mode
    it had. Mode changes take effect at once (TCSANOW) and never discard queued keys."""

    def __init__(self, fd: int, saved: list[Any], *, signals: bool) -> None:
        self.fd = fd
        self.saved: list[Any] | None = saved
        self.set(signals=signals)
        atexit.register(self.release)

    @classmethod
    def hold(cls, *, signals: bool) -> KeyMode | None:
        """Hold standard input's terminal; None when it is not a terminal (or not POSIX)."""
        if sys.platform == "win32":
            return None
        import termios

        try:
            fd = sys.stdin.fileno()
            if not os.isatty(fd):
                return None
            return cls(fd, termios.tcgetattr(fd), signals=signals)
        except (OSError, ValueError, termios.error):
            return None

    def set(self, *, signals: bool) -> None:
        """`signals`: Ctrl-C (and Ctrl-Z, Ctrl-\\) act as signals rather than keys."""
        import termios

        self.signals = signals
        if self.saved is not None:
            with suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, _attrs(self.saved, signals=signals))

    def drain(self) -> str:
        """The keys queued so far, taken out of the terminal. Keys typed before `hold` went
        through line mode, which turned Enter into a newline: undo that."""
        os.set_blocking(self.fd, False)
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        finally:
            os.set_blocking(self.fd, True)
        return data.decode("utf-8", "replace").replace("\n", "\r")

    def release(self) -> None:
        """Give the terminal back the mode it had (once; also at exit)."""
        if self.saved is None:
            return
        import termios

        with suppress(termios.error):
            termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        self.saved = None
        atexit.unregister(self.release)

    @contextmanager
    def lent(self) -> Iterator[None]:
        """The terminal's own mode for a program chatcli runs (an editor), ours again after."""
        import termios

        if self.saved is not None:
            with suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        try:
            yield
        finally:
            self.set(signals=self.signals)


def quiet() -> KeyMode | None:
    """For the length of a streamed reply: keys queue silently, Ctrl-C interrupts."""
    return KeyMode.hold(signals=True)
