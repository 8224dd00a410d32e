"""Images as `image_url` content parts: local files become base64 data URLs."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from chatcli.i18n import os_reason, t

MAX_BYTES = 20 * 1024 * 1024
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


IMAGE_TYPES = frozenset([*_SIGNATURES.values(), "image/webp"])  # what vision models read


def _mime(head: bytes) -> str | None:
    for signature, mime in _SIGNATURES.items():
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_url(source: str) -> str:
    """A URL the API accepts; ValueError with a one-line reason for anything else."""
    if source.startswith(("http://", "https://", "data:image/")):
        return source
    path = Path(source).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(t("image_too_big", source=source, mb=size / 1e6))
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(t("file_error", path=source, reason=os_reason(exc))) from None
    mime = _mime(data[:16])
    if mime is None:
        raise ValueError(t("image_not_image", source=source))
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_message(source: str, question: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": question},
        {"type": "image_url", "image_url": {"url": image_url(source)}},
    ]
