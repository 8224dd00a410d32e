"""Syntax colour for a code block that arrives line by line, each line lexed once.

Re-highlighting a growing block on every frame costs its whole height per frame. Here the
lexer's state (pygments' state stack) is carried from one finished line to the next, so a
line inside a multi-line string or comment is coloured as it will be in the whole block,
and only the unfinished last line is lexed again as it grows (from a copy of the state).
A lexer whose state cannot be carried (one that is not a pygments RegexLexer) colours each
line on its own. Constructs a single pattern matches across lines (C's `/* … */` in some
lexers) are coloured line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from pygments.lexer import Lexer, RegexLexer  # type: ignore[import-untyped]
    from pygments.token import _TokenType  # type: ignore[import-untyped]

TAB_SIZE = 4


class LineHighlighter:
    """One per code block: `line` colours a finished line and moves the state on; `peek`
    colours the unfinished line and leaves the state as it was."""

    def __init__(self, language: str, theme: str) -> None:
        from rich.syntax import Syntax

        self._theme = Syntax.get_theme(theme)
        self.background: Style = self._theme.get_background_style()
        self._lexer = _lexer(language)
        self._stack = ["root"]
        self._styles: dict[Any, Style] = {}

    def line(self, text: str) -> Text:
        return self._colour(text, self._stack)

    def peek(self, text: str) -> Text:
        return self._colour(text, list(self._stack))

    def reset(self) -> None:
        """After a line too long to lex: carry on from the lexer's first state."""
        self._stack = ["root"]

    def _colour(self, text: str, stack: list[str]) -> Text:
        text = text.rstrip().expandtabs(TAB_SIZE)
        out = Text(style=self.background, end="")
        if self._lexer is None:
            out.append(text)
            return out
        for token, value in _tokens(self._lexer, text + "\n", stack):
            value = value.rstrip("\n")
            if value:
                out.append(value, style=self._style(token))
        return out

    def _style(self, token: _TokenType) -> Style:
        style = self._styles.get(token)
        if style is None:
            style = self._styles[token] = self._theme.get_style_for_token(token)
        return style


def _lexer(language: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    if not language or language == "text":
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False, tabsize=TAB_SIZE)
    except ClassNotFound:
        return None


def _tokens(lexer: Lexer, text: str, stack: list[str]) -> Iterator[tuple[_TokenType, str]]:
    """`text` lexed from the state `stack`, which is left as the lexer ends the text."""
    from pygments.lexer import ExtendedRegexLexer, LexerContext
    from pygments.lexer import RegexLexer as Regex

    kind = type(lexer).get_tokens_unprocessed
    if kind is Regex.get_tokens_unprocessed:
        yield from _regex_tokens(lexer, text, stack)
    elif kind is ExtendedRegexLexer.get_tokens_unprocessed:
        context = LexerContext(text, 0, list(stack))
        for _, token, value in lexer.get_tokens_unprocessed(context=context):
            yield token, value
        stack[:] = context.stack
    else:
        for _, token, value in lexer.get_tokens_unprocessed(text):
            yield token, value


def _regex_tokens(
    lexer: RegexLexer, text: str, stack: list[str]
) -> Iterator[tuple[_TokenType, str]]:
    """pygments' RegexLexer.get_tokens_unprocessed, with the state stack kept in `stack`
    instead of a local copy (pygments offers no way to read it back)."""
    from pygments.token import Error, Whitespace, _TokenType

    tokendefs = lexer._tokens
    states = tokendefs[stack[-1]]
    pos = 0
    while True:
        for match, action, new_state in states:
            found = match(text, pos)
            if not found:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    yield action, found.group()
                else:
                    for _, token, value in action(lexer, found):
                        yield token, value
            pos = found.end()
            if new_state is not None:
                _transition(stack, new_state)
                states = tokendefs[stack[-1]]
            break
        else:
            if pos >= len(text):
                return
            if text[pos] == "\n":
                stack[:] = ["root"]
                states = tokendefs["root"]
                yield Whitespace, "\n"
            else:
                yield Error, text[pos]
            pos += 1


def _transition(stack: list[str], new_state: Any) -> None:
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif state == "#push":
                stack.append(stack[-1])
            else:
                stack.append(state)
    elif isinstance(new_state, int):
        if abs(new_state) >= len(stack):
            del stack[1:]
        else:
            del stack[new_state:]
    elif new_state == "#push":
        stack.append(stack[-1])
