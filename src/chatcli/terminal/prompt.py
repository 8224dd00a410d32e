"""The input line: key bindings for multi-line entry, persistent history, completion, toolbar.

Enter sends; Alt-Enter and Ctrl-J insert a newline; a line of three double quotes opens and
closes a block; multi-line mode swaps Enter and Alt-Enter. Tab completes at once, so keys
typed after it (even queued with it) see the completed text. Bracketed paste inserts text
whole, so a pasted paragraph is one message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.buffer import Buffer, CompletionState
from prompt_toolkit.completion import (
    CompleteEvent,
    Completer,
    Completion,
    PathCompleter,
    get_common_complete_suffix,
)
from prompt_toolkit.document import Document
from prompt_toolkit.filters import is_searching
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from chatcli.config.paths import check_own_file, data_dir, open_own_file, private_file
from chatcli.i18n import os_reason, t
from chatcli.terminal import sink
from chatcli.terminal.clean_session import CleanSession
from chatcli.terminal.commands import REGISTRY, SETTABLE

FENCE = '"""'
PATH_COMMANDS = {"image", "save", "load"}  # one path, then words (an image's question)
PATHS_COMMANDS = {"file"}  # a path in every word


def unfence(text: str) -> str:
    """The message inside a triple-quote block, or the text unchanged."""
    stripped = text.strip()
    if stripped.startswith(FENCE):
        body = stripped[len(FENCE) :]
        if body.endswith(FENCE):
            body = body[: -len(FENCE)]
        return body.strip("\n")
    return text


def _fence_open(text: str) -> bool:
    lines = text.split("\n")
    if lines[0].strip() != FENCE:
        return False
    return not (len(lines) > 1 and lines[-1].strip() == FENCE)


class InputState:
    """What the prompt shows and how Enter behaves; the REPL updates it."""

    def __init__(self) -> None:
        self.multiline = False
        self.toolbar: Callable[[], str] = lambda: ""
        self.models: list[str] = []


class ChatCompleter(Completer):
    def __init__(self, state: InputState) -> None:
        self.state = state
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/"):
            return
        if " " not in text:
            for name in REGISTRY:
                if name.startswith(text[1:]):
                    yield Completion("/" + name, start_position=-len(text))
            return
        name, _, argument = text[1:].partition(" ")
        if name == "model":
            yield from self._words(argument, self.state.models)
        elif name in {"set", "unset"} and " " not in argument:
            yield from self._words(argument, SETTABLE)
        elif name == "help":
            yield from self._words(argument, list(REGISTRY))
        elif name in PATH_COMMANDS and " " not in argument:
            yield from self._paths(argument, event)
        elif name in PATHS_COMMANDS:
            yield from self._paths(argument.rpartition(" ")[2], event)

    def _paths(self, word: str, event: CompleteEvent) -> Iterable[Completion]:
        """Files and folders that complete `word`, their names cleaned for the menu (a file
        name is anybody's text); a folder with its `/`, so the next Tab goes into it."""
        for found in self.paths.get_completions(Document(word), event):
            whole = word[: len(word) + found.start_position] + found.text
            folder = os.path.isdir(os.path.expanduser(whole)) and not whole.endswith("/")
            yield Completion(
                found.text + "/" * folder,
                found.start_position,
                display=sink.clean(found.display_text),
            )

    @staticmethod
    def _words(prefix: str, words: Iterable[str]) -> Iterable[Completion]:
        for word in words:
            if word.startswith(prefix):
                yield Completion(word, start_position=-len(prefix))


def _bindings(state: InputState) -> KeyBindings:
    keys = KeyBindings()

    # Not while searching history (Ctrl-R): there Enter accepts the match, as usual.
    editing = ~is_searching

    @keys.add("enter", filter=editing)
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if state.multiline or _fence_open(buffer.text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @keys.add("escape", "enter", filter=editing)
    def _alt_enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if state.multiline:
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @keys.add("c-j", filter=editing)
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @keys.add("tab", filter=editing)
    def _tab(event: KeyPressEvent) -> None:
        complete_now(event.current_buffer)

    return keys


def complete_now(buffer: Buffer) -> None:
    """Tab: complete before the next key is handled, not in a background task as
    prompt_toolkit does. There, an Enter that came in with the Tab (type-ahead, a busy
    machine) was handled first and sent the uncompleted text. Our completer is cheap: a
    single match is inserted, otherwise the common part, and the rest offered in the menu
    (Tab again walks it)."""
    if buffer.complete_state:
        buffer.complete_next()
        return
    if buffer.completer is None:
        return
    document = buffer.document
    found = list(
        buffer.completer.get_completions(document, CompleteEvent(completion_requested=True))
    )
    if len(found) == 1:
        buffer.apply_completion(found[0])
        return
    common = get_common_complete_suffix(document, found)
    if common:
        buffer.insert_text(common)
        found = [c.new_completion_from_position(len(common)) for c in found]
    if found:
        buffer.complete_state = CompletionState(buffer.document, found)
        buffer.on_completions_changed.fire()


class _ChatHistory(FileHistory):
    """Input history that does not keep exit words: Up then Enter should not quit.

    Its file is chatcli's own: never reached through a link. When it cannot be read or
    written (a full disk, a file past the size limit), history goes off with one warning and
    the message being sent is not lost: prompt_toolkit would show a traceback, wait for
    Enter and drop the input.
    """

    def __init__(
        self, path: Path, forget: Callable[[str], bool], warn: Callable[[str], None]
    ) -> None:
        super().__init__(str(path))
        self.path = path
        self.forget = forget
        self.warn = warn
        self.off = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            check_own_file(self.path)
            return list(super().load_history_strings())
        except OSError as exc:
            self._fail(exc)
            return []

    def append_string(self, string: str) -> None:
        if not self.forget(string):
            super().append_string(string)

    def store_string(self, string: str) -> None:
        if self.off:
            return
        entry = f"\n# {datetime.now()}\n" + "".join(f"+{line}\n" for line in string.split("\n"))
        try:
            fd = open_own_file(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            with os.fdopen(fd, "ab") as file:
                file.write(entry.encode("utf-8", errors="replace"))
        except OSError as exc:
            self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.off = True
        self.warn(history_off(exc, self.path))


def history_off(exc: OSError, path: Path) -> str:
    return t("history_off", path=exc.filename or path, reason=os_reason(exc))


def history_path() -> Path:
    return data_dir() / "input_history"


def make_session(
    state: InputState, *, private: bool, forget: Callable[[str], bool]
) -> CleanSession:
    """`forget`: inputs not worth recalling (exit words)."""
    session: CleanSession | None = None

    def warn(message: str) -> None:
        """Said just before the next prompt is drawn, never across the one being edited."""
        assert session is not None
        session.app.pre_run_callables.append(lambda: sink.err(message))

    history: History = InMemoryHistory()
    problem = None
    if not private:
        try:
            history = _ChatHistory(private_file(history_path()), forget, warn)
        except OSError as exc:
            problem = history_off(exc, Path(exc.filename or "input_history"))
    session = CleanSession(
        history=history,
        multiline=True,
        key_bindings=_bindings(state),
        completer=ChatCompleter(state),
        complete_while_typing=False,
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=False,
        bottom_toolbar=lambda: state.toolbar() or None,
        prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
        enable_open_in_editor=bool(os.environ.get("EDITOR")),
    )
    if problem is not None:
        warn(problem)
    return session
