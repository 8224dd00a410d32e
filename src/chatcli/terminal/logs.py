"""--debug: HTTP request lines and timings on stderr, with every secret redacted."""

from __future__ import annotations

import logging
import re
import sys

from chatcli.terminal.sink import MASKER, Masker, clean

_BEARER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer\s+)?)[^\s'\",}]+")
_KEY_FIELD = re.compile(r"(?i)(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+")


class Redactor(logging.Filter):
    """Rewrites each record's final text, so no logger anywhere can leak the key: the sink's
    masker (every configured key, or `secrets` when given), then any Authorization header or
    api_key field whatever its value. Control characters in logged bodies are made visible."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        if secrets is None:
            self.masker = MASKER
        else:
            self.masker = Masker()
            self.masker.add(*secrets)

    def redact(self, text: str) -> str:
        text = self.masker.mask(text)
        text = _BEARER.sub(r"\1[redacted]", text)
        return clean(_KEY_FIELD.sub(r"\1[redacted]", text))

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        return True


def enable_debug() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    handler.addFilter(Redactor())
    for name in ("openai", "httpx", "httpx2", "chatcli", "mcp"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
