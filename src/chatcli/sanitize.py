"""Make untrusted text (model output, server messages) inert before it reaches a terminal.

C0 controls other than newline and tab become their visible Control Pictures (ESC → ␛), so
no CSI/OSC sequence — title changes, OSC 52 clipboard writes, OSC 8 links — can take effect;
C1 controls and bidi overrides that can disguise code are shown as <U+XXXX>.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]")


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
    return _UNSAFE.sub(_visible, text)
