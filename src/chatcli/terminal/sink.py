"""The one way out to the terminal: every byte chatcli shows passes here.

Untrusted text (model output, server errors, model names, titles, file names, config values,
imported conversations) is made inert at the point of writing, after rendering: markdown
decodes entities late (`&#x202E;` becomes a bidi override only inside the renderer), so
cleaning the source alone is not enough. What passes unchanged is chatcli's own: rich's SGR
styling and control segments, the live region's cursor moves and erases (region.LiveRegion
writes lines a SinkConsole rendered, between `\r`, `ESC[nA`/`ESC[nB`/`ESC[nC`, `ESC[K`, `ESC[J`
and `ESC[nM`; code lines end in an erase in their background colour), the instant prompt's
erase, and the OSC 52 that `/copy` writes on purpose (`clipboard`). No OSC 8 hyperlink is
ever written. Every configured API key is masked in whatever goes out, to a
terminal or not, including `--json-output` and the `--debug` log.

prompt_toolkit draws the editor's prompt, toolbar, completion menu and buffer itself: it is
the one other writer, and every session it draws is a `clean_session.CleanSession`, which
hands it only text that went through `clean` (the buffer drawn through `clean_session.Shown`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment

from chatcli.terminal.sanitize import neutralise
from chatcli.terminal.stdio import stdout

if TYPE_CHECKING:
    from chatcli.config.settings import Settings


# Shorter "keys" are placeholders (`ollama`, `EMPTY`, `lm-studio`) that local servers accept:
# masking them would blank ordinary words, and they guard nothing.
MIN_SECRET = 10


class Masker:
    """Replaces every configured secret, longest first, so one key inside another is safe."""

    def __init__(self) -> None:
        self.secrets: list[str] = []

    def add(self, *secrets: str | None) -> None:
        found = {s.strip() for s in secrets if s and len(s.strip()) >= MIN_SECRET}
        self.secrets = sorted(found | set(self.secrets), key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, mask_secret(secret))
        return text


MASKER = Masker()


class StreamMasker:
    """MASKER for text that arrives in pieces: the end of a piece that could be the start of
    a key waits for the next piece, so a key split across two chunks is masked whole."""

    def __init__(self, masker: Masker = MASKER) -> None:
        self.masker = masker
        self._held = ""

    def feed(self, text: str) -> str:
        if not self.masker.secrets:
            return text
        text, self._held = self._held + text, ""
        cut = len(text)
        for secret in self.masker.secrets:
            for start in range(max(0, len(text) - len(secret) + 1), len(text)):
                if secret.startswith(text[start:]):
                    cut = min(cut, start)
                    break
        text, self._held = text[:cut], text[cut:]
        return self.masker.mask(text)

    def flush(self) -> str:
        rest, self._held = self._held, ""
        return self.masker.mask(rest)


def mask_secret(secret: str) -> str:
    """At most the first 3 and last 4 characters; a short key shows nothing at all."""
    return f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 20 else "…"


def remember_secrets(settings: Settings) -> None:
    """The chosen key, the config file's keys and the known providers' key variables."""
    from chatcli.config.providers import PRESETS

    keys = [settings.api_key.get_secret_value() if settings.api_key else None]
    for provider in [*PRESETS.values(), *settings.providers.values()]:
        if provider.api_key is not None:
            keys.append(provider.api_key.get_secret_value())
        if provider.api_key_env:
            keys.append(os.environ.get(provider.api_key_env))
    MASKER.add(*keys)


def clean(text: str) -> str:
    """Untrusted text as it may be shown: secrets masked, controls made visible."""
    return neutralise(MASKER.mask(text))


def _inert(buffer: Iterable[Segment]) -> Iterator[Segment]:
    for text, style, control in buffer:
        if control:  # rich's own cursor and screen codes; no model text can make one
            yield Segment(text, style, control)
            continue
        if style is not None and style.link:
            style = style.update_link(None)
        yield Segment(neutralise(text), style)


class SinkConsole(Console):
    """A rich Console that neutralises each rendered segment's text and masks secrets in
    what it writes, while its own style codes pass. (`_render_buffer` is private in rich;
    rich is pinned below 16 and tests/test_sink.py checks the hook holds.)"""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return MASKER.mask(super()._render_buffer(_inert(buffer)))


def console(*, stderr: bool = False) -> SinkConsole:
    """The console for stdout (the reply) or stderr (status and errors)."""
    return SinkConsole(
        stderr=stderr,
        file=None if stderr else stdout(),
        highlight=False,
        markup=False,
        emoji=False,
    )


def err(message: str) -> None:
    """One `chatcli: …` line on stderr, cleaned; nothing if there is no stderr."""
    line(f"chatcli: {message}")


def line(message: str) -> None:
    """A line of chatcli's own text with untrusted parts in it, on stderr."""
    if sys.stderr is None:
        return
    sys.stderr.write(clean(message) + "\n")
    sys.stderr.flush()


def clipboard(console: Console, text: str) -> None:
    """OSC 52, the one escape sequence chatcli writes on purpose: the terminal puts `text`
    (neutralised first: no raw escape from the model reaches the clipboard) on the clipboard."""
    import base64

    payload = base64.b64encode(clean(text).encode("utf-8")).decode("ascii")
    console.file.write(f"\x1b]52;c;{payload}\x07")
    console.file.flush()
