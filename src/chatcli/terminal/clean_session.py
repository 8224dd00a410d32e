"""The one way chatcli uses prompt_toolkit's line editor: every string it draws is cleaned.

prompt_toolkit writes to the terminal itself, beside the sink. `CleanSession` is the only
`PromptSession` chatcli makes (tests/test_clean_session.py checks that no other module makes
one), and it hands prompt_toolkit only text that passed `sink.clean`: prompt messages,
toolbars, placeholders, continuation marks and completions, whether given as text, as
formatted text or as a callable drawn later. The buffer itself (a default such as the
`[e]dit` of a tool call, a history entry, a paste) keeps its exact text, so what is edited
is what runs, but it is drawn through `Shown`, which shows it as the sink would: controls
and bidi marks visible, keys masked.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import to_formatted_text
from prompt_toolkit.formatted_text.utils import fragment_list_to_text
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.layout.utils import explode_text_fragments

from chatcli.terminal.sanitize import UNSAFE
from chatcli.terminal.sink import MASKER, clean, mask_secret

# The arguments of PromptSession and of its prompt() that are text prompt_toolkit draws.
DRAWN = ("message", "bottom_toolbar", "rprompt", "placeholder")


def cleaned(value: Any) -> Any:
    """Drawn text (a string, formatted text, or a callable giving either), cleaned."""
    if value is None:
        return None
    if isinstance(value, str):
        return clean(value)
    if callable(value) and not hasattr(value, "__pt_formatted_text__"):
        return lambda: cleaned(value())
    return [(style, clean(text), *rest) for style, text, *rest in to_formatted_text(value)]


def _continuation(value: Any) -> Any:
    if callable(value):
        return lambda width, line, wrap: cleaned(value(width, line, wrap))
    return cleaned(value)


def shown_spans(text: str) -> list[tuple[int, int, str]]:
    """Where `text` is not drawn as it is: (start, end, what is drawn instead), in order."""
    spans: list[tuple[int, int, str]] = []
    for secret in MASKER.secrets:
        start = text.find(secret)
        while start >= 0:
            spans.append((start, start + len(secret), mask_secret(secret)))
            start = text.find(secret, start + len(secret))
    for match in UNSAFE.finditer(text):
        spans.append((match.start(), match.end(), clean(match.group())))
    spans.sort()
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:  # a mark inside a masked key goes with it
            kept.append(span)
    return kept


class Shown(Processor):
    """The buffer drawn as the sink would show it; its text (what is sent, what runs) and
    the cursor keep their places in the real text."""

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        chars = explode_text_fragments(ti.fragments)
        spans = shown_spans(fragment_list_to_text(chars))
        if not spans:
            return Transformation(ti.fragments)
        fragments: list[Any] = []
        starts: list[int] = []  # where each source character begins on screen
        width = 0
        span = 0
        for index, fragment in enumerate(chars):
            starts.append(width)
            while span < len(spans) and spans[span][1] <= index:
                span += 1
            if span < len(spans) and spans[span][0] <= index:
                if spans[span][0] < index:
                    continue  # drawn with the start of its span
                text = spans[span][2]
            else:
                text = fragment[1]
            fragments.append((fragment[0], text, *fragment[2:]))
            width += len(text)
        starts.append(width)

        def to_display(position: int) -> int:
            return starts[min(position, len(starts) - 1)]

        def to_source(position: int) -> int:
            return max(0, bisect.bisect_right(starts, position) - 1)

        return Transformation(fragments, to_display, to_source)


class CleanCompleter(Completer):
    """Completions shown cleaned; what they insert is theirs (and drawn through `Shown`)."""

    def __init__(self, completer: Completer) -> None:
        self.completer = completer

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        for found in self.completer.get_completions(document, event):
            yield Completion(
                found.text,
                found.start_position,
                display=cleaned(found.display),
                display_meta=cleaned(found.display_meta),
                style=found.style,
                selected_style=found.selected_style,
            )


class CleanSession(PromptSession[str]):
    """A PromptSession that draws nothing uncleaned (see the module's docstring)."""

    def __init__(self, message: Any = "", **options: Any) -> None:
        super().__init__(cleaned(message), **self._clean(options))
        self.input_processors = [*(self.input_processors or []), Shown()]

    @staticmethod
    def _clean(options: dict[str, Any]) -> dict[str, Any]:
        options = dict(options)
        for name in DRAWN:
            if options.get(name) is not None:
                options[name] = cleaned(options[name])
        if options.get("prompt_continuation") is not None:
            options["prompt_continuation"] = _continuation(options["prompt_continuation"])
        if options.get("completer") is not None:
            options["completer"] = CleanCompleter(options["completer"])
        return options

    def prompt(self, message: Any = None, **options: Any) -> str:
        return super().prompt(cleaned(message), **self._clean(options))
