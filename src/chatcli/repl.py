"""The interactive loop: read a line, route it (exit word, slash command, or message)."""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

from chatcli import __version__
from chatcli.bot import ChatBot
from chatcli.commands import Context, ExitRequested, dispatch
from chatcli.errors import describe, is_api_error
from chatcli.exchange import Presenter
from chatcli.i18n import t
from chatcli.sanitize import neutralise

EXIT_WORDS = {"退出", "exit", "quit", "/exit", "/quit"}


class TerminalOutput:
    def __init__(self, console: Console) -> None:
        self.console = console

    def info(self, text: str) -> None:
        self.console.print(Text(neutralise(text)))

    def error(self, text: str) -> None:
        self.console.print(Text(neutralise(text), style="bold red"))

    def markdown(self, text: str) -> None:
        self.console.print(Markdown(neutralise(text)))


def is_exit(text: str, exit_command: str) -> bool:
    word = text.strip()
    return word == exit_command or word.lower() in EXIT_WORDS


def run(bot: ChatBot, console: Console, exit_command: str) -> int:
    presenter = Presenter(console, console)
    out = TerminalOutput(console)
    ctx = Context(bot=bot, out=out, exit_command=exit_command)
    session: PromptSession[str] = PromptSession(history=InMemoryHistory())
    console.print(
        Text(t("welcome", version=__version__, model=bot.model, exit=exit_command), style="dim")
    )
    while True:
        try:
            text = session.prompt(f"{neutralise(bot.model)}> ")
        except KeyboardInterrupt:
            console.print(Text(t("ctrl_c_hint", exit=exit_command), style="dim"))
            continue
        except EOFError:
            return 0
        if not text.strip():
            continue
        if is_exit(text, exit_command):
            return 0
        if text.startswith("/"):
            try:
                dispatch(ctx, text)
            except ExitRequested:
                return 0
            except KeyboardInterrupt:
                continue
            except Exception as exc:
                if not is_api_error(exc):
                    raise
                presenter.error(
                    describe(
                        exc,
                        base_url=bot.display_url,
                        model=bot.model,
                        timeout=bot.timeout,
                        retries=bot.max_retries,
                    )
                )
            continue
        presenter.run(bot, text)
