"""The interactive loop: read input, route it (exit word, slash command, or message)."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import tempfile
from contextlib import nullcontext, suppress
from pathlib import Path
from traceback import format_exc

from rich.console import Console
from rich.text import Text

from chatcli.conversation.bot import ChatBot, Content
from chatcli.errors import is_api_error
from chatcli.i18n import os_reason, t
from chatcli.store.recorder import Recorder
from chatcli.terminal import instant
from chatcli.terminal.attach_commands import prepare
from chatcli.terminal.clean_session import CleanSession
from chatcli.terminal.commands import (
    Context,
    ExitRequested,
    dispatch,
    quote_error,
    split,
    value_text,
)
from chatcli.terminal.exchange import Presenter
from chatcli.terminal.keymode import KeyMode
from chatcli.terminal.prompt import InputState, make_session, unfence
from chatcli.terminal.question import confirm
from chatcli.terminal.render import finished_markdown
from chatcli.terminal.sink import clean, clipboard
from chatcli.tools.runner import Toolbox

EXIT_WORDS = {"退出", "exit", "quit", "/exit", "/quit"}


class TerminalOutput:
    def __init__(self, console: Console) -> None:
        self.console = console

    def info(self, text: str) -> None:
        self.console.print(Text(clean(text)))

    def error(self, text: str) -> None:
        self.console.print(Text(clean(text), style="bold red"))

    def thought(self, text: str) -> None:
        """A model's reasoning, dim, rendered as the markdown it usually is."""
        self.console.print(finished_markdown(text), style="dim")


def is_exit(text: str, exit_command: str) -> bool:
    word = text.strip()
    return word == exit_command or word.lower() in EXIT_WORDS


def toolbar_text(bot: ChatBot, state: InputState) -> str:
    parts = [bot.model]
    parts += [f"{k}={value_text(v)}" for k, v in bot.params.differs_from_defaults().items()]
    if bot.history:
        parts.append(t("context_status", used=bot.context_size(), window=bot.context_window))
    if state.multiline:
        parts.append(t("multiline_toolbar"))
    return " " + " · ".join(clean(p) for p in parts)


class Repl:
    """Ties the prompt, the commands and the presenter together; also the commands' UI."""

    def __init__(
        self,
        bot: ChatBot,
        console: Console,
        exit_command: str,
        *,
        private: bool,
        store: Recorder | None = None,
        welcome_note: str = "",
    ) -> None:
        self.bot = bot
        self.welcome_note = welcome_note
        self.console = console
        self.exit_command = exit_command
        self.presenter = Presenter(console, console, offers_continue=True)
        self.state = InputState()
        self._warming = False
        self.keys: KeyMode | None = None
        self.state.toolbar = lambda: toolbar_text(bot, self.state)
        self.session: CleanSession = make_session(
            self.state, private=private, forget=lambda text: is_exit(text, exit_command)
        )
        self.ctx = Context(
            bot=bot, out=TerminalOutput(console), ui=self, exit_command=exit_command, store=store
        )

    # --- the UI the commands use
    def send(self, content: Content) -> None:
        outcome = self.presenter.run(self.bot, content)
        # Failed, or stopped before the first word: the history never took the question, so
        # /retry sends it again (the history stays as it was, roles alternating).
        self.ctx.failed = content if outcome.unsent else None

    def go_on(self) -> None:
        self.presenter.go_on(self.bot)

    def copy(self, text: str) -> None:
        """OSC 52: the terminal puts it on the clipboard, which also works over SSH."""
        clipboard(self.console, text)

    def toggle_multiline(self) -> bool:
        self.state.multiline = not self.state.multiline
        return self.state.multiline

    def confirm(self, question: str) -> bool:
        return confirm(question)

    def edit(self, initial: str) -> str | None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "message.md"
            path.write_text(initial, encoding="utf-8")
            try:
                with self.keys.lent() if self.keys is not None else nullcontext():
                    subprocess.run([*shlex.split(editor), str(path)], check=True)
            except ValueError as exc:  # a quote left open in $EDITOR
                self.ctx.out.error(quote_error(f"$EDITOR ({editor})", exc))
                return None
            except OSError as exc:
                self.ctx.out.error(t("editor_failed", editor=editor, reason=os_reason(exc)))
                return None
            except subprocess.CalledProcessError as exc:
                status = t("editor_status", status=exc.returncode)
                self.ctx.out.error(t("editor_failed", editor=editor, reason=status))
                return None
            return path.read_text(encoding="utf-8")

    def remember_models(self, names: list[str]) -> None:
        """The server's names, cleaned: the completion menu is drawn by prompt_toolkit."""
        self.state.models = [clean(name) for name in names]

    def _feed_typeahead(self, keys: str) -> None:
        """Hand keys typed before the editor existed to it, as if typed now."""
        from prompt_toolkit.input.typeahead import store_typeahead
        from prompt_toolkit.input.vt100_parser import Vt100Parser
        from prompt_toolkit.key_binding import KeyPress

        presses: list[KeyPress] = []
        parser = Vt100Parser(presses.append)
        parser.feed(keys)
        parser.flush()
        store_typeahead(self.session.input, presses)

    # --- the loop
    def run(self, *, painted: instant.Painted | None = None) -> int:
        """`painted`: the welcome line and the prompt are already on screen (instant.paint)."""
        if painted is None:
            self.console.print(
                instant.welcome(self.bot.model, self.exit_command, self.welcome_note)
            )
            self.keys = KeyMode.hold(signals=True)
            typeahead = self.keys.drain() if self.keys is not None else ""
        else:
            self.keys, typeahead = painted.keys, painted.typeahead
        if typeahead:
            self._feed_typeahead(typeahead)
        self.session.app.after_render += self._first_frame
        try:
            return self._loop(painted)
        finally:
            if self.keys is not None:
                self.keys.release()

    def _loop(self, painted: instant.Painted | None) -> int:
        """Between prompts the terminal stays in key mode (keymode.py), so keys typed while a
        reply streams or a command runs reach the next prompt as typed; Ctrl-C interrupts."""
        while True:
            try:
                try:
                    text = self.session.prompt(
                        instant.prompt_text(self.bot.model),
                        pre_run=painted.erase if painted is not None else None,
                    )
                finally:
                    if painted is not None:
                        painted.keys.set(signals=True)
                        painted = None
            except KeyboardInterrupt:
                self.console.print(Text(t("ctrl_c_hint", exit=self.exit_command), style="dim"))
                continue
            except EOFError:
                return 0
            if not text.strip():
                continue
            if is_exit(text, self.exit_command):
                return 0
            if text.startswith("/"):
                try:
                    self.command(text)
                except ExitRequested:
                    return 0
                continue
            content = prepare(self.ctx, unfence(text))
            if content is not None:
                self.send(content)

    def _first_frame(self, _app: object) -> None:
        """The editor is up: load openai, and start the MCP servers never seen before, while
        the user types (once). The others start when their tools are called."""
        if not self._warming:
            self._warming = True
            instant.warm_up(self.bot)
            if isinstance(self.bot.tools, Toolbox) and self.bot.tools.hub is not None:
                self.bot.tools.hub.on_change = self._mcp_news
                self.bot.tools.hub.warm()

    def _mcp_news(self) -> None:
        """From the MCP thread: a server died or misbehaved. Said at once when the prompt is
        up (above it); otherwise before the next request."""
        app = self.session.app
        loop = app.loop
        if not app.is_running or loop is None:
            return
        with suppress(RuntimeError):  # that prompt's loop is closed
            loop.call_soon_threadsafe(self._tell_mcp_news)

    def _tell_mcp_news(self) -> None:
        from prompt_toolkit.application import run_in_terminal

        box = self.bot.tools
        if isinstance(box, Toolbox) and self.session.app.is_running:
            run_in_terminal(lambda: box.settle(wait=False))

    def command(self, text: str) -> None:
        """A command that fails in a way nobody foresaw says so in one line and the session
        goes on; its traceback goes to the --debug log."""
        try:
            dispatch(self.ctx, text)
        except KeyboardInterrupt:
            return
        except ExitRequested:
            raise
        except Exception as exc:
            if is_api_error(exc):
                self.presenter.fail(exc, self.bot)
                return
            name = split(text)[0]
            logging.getLogger("chatcli.commands").debug("/%s failed:\n%s", name, format_exc())
            reason = (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0]
            self.ctx.out.error(t("command_failed", name="/" + name, reason=reason))


def run(
    bot: ChatBot,
    console: Console,
    exit_command: str,
    *,
    private: bool = False,
    store: Recorder | None = None,
    painted: instant.Painted | None = None,
    welcome_note: str = "",
) -> int:
    repl = Repl(bot, console, exit_command, private=private, store=store, welcome_note=welcome_note)
    return repl.run(painted=painted)
