"""What a model's name tells: its context window and whether it thinks before answering.

Names are matched by their longest known prefix, in lower case and without an `org/` part
(`Qwen/Qwen3-8B`, `openai/gpt-4o-mini`), so `qwen3-max` is not taken for `qwen3` and
`kimi-k2-thinking` not for `kimi-k2`. A size in the name (`moonshot-v1-32k`) beats the table,
and what the server itself reports in `/models` (wire.ModelInfo) beats both. The windows are
what the providers documented in 2025; an unknown model gets a modest fallback, so a request
is trimmed rather than refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

FALLBACK_CONTEXT = 8192
KNOWN_CONTEXT: Mapping[str, int] = {  # name prefix → context window in tokens
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4": 200_000,
    "deepseek": 128_000,
    "qwen3-max": 262_144,
    "qwen3": 131_072,
    "qwq": 131_072,
    "qwen-max": 32_768,
    "qwen-plus": 131_072,
    "qwen-turbo": 1_000_000,
    "qwen": 32_768,
    "glm-4.6": 200_000,
    "glm-4.5": 128_000,
    "glm-4": 128_000,
    "kimi-k2": 131_072,
    "kimi-k2-0905": 262_144,
    "kimi-k2-turbo": 262_144,
    "kimi-k2-thinking": 262_144,
    "doubao-seed": 262_144,
    "doubao": 32_768,
    "claude": 200_000,
    "gemini": 1_048_576,
    "grok-4": 256_000,
    "minimax-m2": 204_800,
    "mistral": 128_000,
    "llama-3": 131_072,
}
# Families that reason before they answer; the longest prefix decides, so a family's
# non-thinking variants are listed as False.
THINKING: Mapping[str, bool] = {
    "deepseek-reasoner": True,
    "deepseek-r1": True,
    "qwq": True,
    "qwen3": True,
    "qwen3-max": False,
    "qwen3-coder": False,
    "o1": True,
    "o3": True,
    "o4": True,
    "gpt-5": True,
    "gpt-5-chat": False,
    "kimi-k2-thinking": True,
    "glm-4.5": True,
    "glm-4.6": True,
}
# Families that take images (`image_url` parts); the longest prefix decides, and a name that
# says `vl` or `vision` takes them whatever its family. Unknown: no (images are described).
VISION: Mapping[str, bool] = {
    "gpt-4o": True,
    "gpt-4.1": True,
    "gpt-4-turbo": True,
    "gpt-5": True,
    "o1": True,
    "o1-mini": False,
    "o3": True,
    "o3-mini": False,
    "o4-mini": True,
    "claude": True,
    "gemini": True,
    "gemma-3": True,
    "grok-4": True,
    "llama-4": True,
    "pixtral": True,
    "llava": True,
    "qvq": True,
    "glm-4v": True,
    "glm-4.5v": True,
    "doubao-seed-1.6": True,
    "kimi-latest": True,
}
_SIZE_IN_NAME = re.compile(r"-(\d{1,4})k\b")
_VISION_IN_NAME = re.compile(r"(?:^|[-_.:])(?:vl|vision|omni)(?:$|[-_.:])")


def _base_name(model: str) -> str:
    return model.lower().rsplit("/", 1)[-1]


def _longest_prefix(table: Mapping[str, T], name: str) -> T | None:
    matches = [prefix for prefix in table if name.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None


def default_context_tokens(model: str) -> int:
    """The context window of a known model family (`moonshot-v1-32k` says it itself)."""
    name = _base_name(model)
    sized = _SIZE_IN_NAME.search(name)
    if sized:
        return int(sized.group(1)) * 1024
    size = _longest_prefix(KNOWN_CONTEXT, name)
    return FALLBACK_CONTEXT if size is None else size


def thinks(model: str) -> bool:
    """Whether the model is known to reason before it answers (a hint for the display)."""
    return bool(_longest_prefix(THINKING, _base_name(model)))


def sees_images(model: str) -> bool:
    """Whether the model takes image parts: tool results' images go to it, else are described."""
    name = _base_name(model)
    return bool(_VISION_IN_NAME.search(name) or _longest_prefix(VISION, name))
