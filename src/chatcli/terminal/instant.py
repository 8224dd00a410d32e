"""Start instantly: show the prompt before the line editor has loaded, load openai after.

Importing prompt_toolkit and building the session takes about 0.1 s on a small machine, and
openai another 0.4 s; neither has to stand between the user and the prompt. The welcome line
and the prompt are written as soon as the settings are known. Keys typed meanwhile wait in
the terminal's input queue, with their meaning (keymode.py), and, just before the editor
draws its first frame, the painted prompt line is erased so the editor's identical
prompt replaces it in place. Once the editor has drawn, openai is imported and the client
built in a background thread while the user types, so the first message does not wait either.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from chatcli import __version__
from chatcli.config.prices import load_table
from chatcli.i18n import t
from chatcli.terminal.keymode import KeyMode
from chatcli.terminal.sink import clean

if TYPE_CHECKING:
    from chatcli.conversation.bot import ChatBot

ERASE_LINE = "\r\x1b[K"


def welcome(model: str, exit_command: str, note: str = "") -> Text:
    """`note`: said after the model's name (the provider its name chose)."""
    shown = clean(model) + clean(note)
    text = t("welcome", version=__version__, model=shown, exit=clean(exit_command))
    return Text(text, style="dim")


def prompt_text(model: str) -> str:
    """Also what prompt_toolkit is given to draw: it writes to the terminal itself."""
    return f"{clean(model)}> "


class Painted:
    """A prompt written ahead of the editor, the terminal held in key-at-a-time mode.

    Keys typed before the editor is up then wait in the terminal's queue exactly as typed and
    the editor reads them with their meaning (keymode.py); Ctrl-C stays a key until the first
    prompt is over, so it cannot end chatcli while it starts. `keys` stays held after that:
    the REPL keeps it for the keys typed while it is not reading.
    """

    def __init__(self, console: Console, keys: KeyMode) -> None:
        self.console = console
        self.keys = keys
        self.typeahead = keys.drain()

    def erase(self) -> None:
        """Clear the painted prompt line, just before the editor draws its own there."""
        self.console.file.write(ERASE_LINE)
        self.console.file.flush()


def paint(console: Console, model: str, exit_command: str, note: str = "") -> Painted | None:
    """Write the welcome line and the prompt now; None (nothing written) off a terminal."""
    if not console.is_terminal:
        return None
    keys = KeyMode.hold(signals=False)
    if keys is None:
        return None
    painted = Painted(console, keys)
    console.print(welcome(model, exit_command, note))
    console.file.write(prompt_text(model))
    console.file.flush()
    return painted


def warm_up(bot: ChatBot) -> threading.Thread:
    """Load the markdown parser and build the API client in the background, so the first
    send finds them ready. A server other than OpenAI's (vLLM, llama.cpp, OpenRouter) may
    say in /models how long a context it serves: asked here, off the start-up path, unless
    --context-tokens already says it."""

    def build() -> None:
        import rich.markdown  # noqa: F401 (the renderer's parser)

        if bot.prices is None:
            load_table(bot.display_url)  # the first status line prices the reply

        try:
            _ = bot.client.chat.completions  # the SDK loads its resources on first access
            if bot.base_url is not None and bot.context_tokens is None:
                bot.model_infos()
        except Exception:  # a missing key or a broken install is reported on first send;
            return  # a /models that fails leaves the window known by the model's name

    thread = threading.Thread(target=build, name="chatcli-warm-up", daemon=True)
    thread.start()
    return thread
