"""Make untrusted text (model output, server messages) inert before it reaches a terminal.

C0 controls other than newline and tab become their visible Control Pictures (ESC → ␛), so
no CSI/OSC sequence — title changes, OSC 52 clipboard writes, OSC 8 links — can take effect;
C1 controls, bidi controls (overrides, isolates, marks) and invisible format characters that
can disguise or hide text (zero-width space, word joiner, BOM, tag characters) are shown as
<U+XXXX>. Zero-width joiner and non-joiner stay: emoji and several scripts need them.
"""

from __future__ import annotations

import re

UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def neutralise(text: str) -> str:
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return UNSAFE.sub(_visible, text)


class StreamNeutraliser:
    """neutralise() for text that arrives in pieces: a CR ending one piece waits for the
    next, so a CRLF split across two chunks is a line break, not a stray ␍."""

    def __init__(self) -> None:
        self._cr = ""

    def feed(self, text: str) -> str:
        text, self._cr = self._cr + text, ""
        if text.endswith("\r"):
            text, self._cr = text[:-1], "\r"
        return neutralise(text)

    def flush(self) -> str:
        rest, self._cr = self._cr, ""
        return neutralise(rest)
