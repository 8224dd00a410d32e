"""Start instantly: show the prompt before the line editor has loaded, load openai after.

Importing prompt_toolkit and building the session takes about 0.1 s on a small machine, and
openai another 0.4 s; neither has to stand between the user and the prompt. The welcome line
and the prompt are written as soon as the settings are known. Keys typed meanwhile wait in
the terminal's input queue (the editor's switch to raw mode keeps them) and, just before the
editor draws its first frame, the painted prompt line is erased so the editor's identical
prompt replaces it in place. Once the editor has drawn, openai is imported and the client
built in a background thread while the user types, so the first message does not wait either.
"""

from __future__ import annotations

import atexit
import sys
import threading
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from chatcli import __version__
from chatcli.i18n import t
from chatcli.sink import clean

if TYPE_CHECKING:
    from chatcli.bot import ChatBot

ERASE_LINE = "\r\x1b[K"


def welcome(model: str, exit_command: str) -> Text:
    text = t("welcome", version=__version__, model=clean(model), exit=clean(exit_command))
    return Text(text, style="dim")


def prompt_text(model: str) -> str:
    """Also what prompt_toolkit is given to draw: it writes to the terminal itself."""
    return f"{clean(model)}> "


class Painted:
    """A prompt written ahead of the editor, with the terminal held in key-at-a-time mode.

    Without that, keys typed before the editor is up would meet the terminal's line mode:
    echoed after the painted prompt, Enter turned into a newline (which the editor reads as
    Ctrl-J, "insert a line break") and Ctrl-C into a signal that ends chatcli. This is the raw
    mode prompt_toolkit itself sets, so queued keys reach the editor exactly as typed.
    """

    def __init__(self, console: Console, fd: int) -> None:
        import termios  # POSIX only: paint() does not come here on Windows

        self.console = console
        self.fd = fd
        self.saved: list[Any] | None = termios.tcgetattr(fd)
        mode = termios.tcgetattr(fd)
        mode[0] &= ~(termios.IXON | termios.IXOFF | termios.ICRNL | termios.INLCR | termios.IGNCR)
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.IEXTEN | termios.ISIG)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        atexit.register(self.release)
        self.typeahead = self._drain_line_mode_keys()

    def _drain_line_mode_keys(self) -> str:
        """Keys typed before this point went through line mode, which turned Enter into a
        newline (the editor's Ctrl-J, "insert a line break"): take them out and undo that."""
        import os

        os.set_blocking(self.fd, False)
        try:
            data = os.read(self.fd, 65536)
        except (BlockingIOError, OSError):
            data = b""
        finally:
            os.set_blocking(self.fd, True)
        return data.decode("utf-8", "replace").replace("\n", "\r")

    def erase(self) -> None:
        """Clear the painted prompt line, just before the editor draws its own there.

        The terminal stays in key-at-a-time mode: prompt_toolkit switches to raw mode only
        after this, and a key typed in between must not meet the line discipline.
        """
        self.console.file.write(ERASE_LINE)
        self.console.file.flush()

    def release(self) -> None:
        """Give the terminal back its own mode, once the editor's first prompt is over
        (prompt_toolkit restores the mode it found: ours)."""
        if self.saved is None:
            return
        import termios

        termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
        self.saved = None
        atexit.unregister(self.release)


def paint(console: Console, model: str, exit_command: str) -> Painted | None:
    """Write the welcome line and the prompt now; None (nothing written) off a terminal."""
    if sys.platform == "win32" or not (console.is_terminal and sys.stdin.isatty()):
        return None
    import termios

    try:
        painted = Painted(console, sys.stdin.fileno())
    except termios.error:
        return None
    console.print(welcome(model, exit_command))
    console.file.write(prompt_text(model))
    console.file.flush()
    return painted


def warm_up(bot: ChatBot) -> threading.Thread:
    """Load the markdown parser and build the API client in the background, so the first
    send finds them ready."""

    def build() -> None:
        import rich.markdown  # noqa: F401 (the renderer's parser)

        try:
            _ = bot.client.chat.completions  # the SDK loads its resources on first access
        except Exception:  # a missing key or a broken install is reported on first send
            return

    thread = threading.Thread(target=build, name="chatcli-warm-up", daemon=True)
    thread.start()
    return thread
