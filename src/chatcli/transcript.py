"""A conversation as a file: Markdown for reading, JSON for loading back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from chatcli.records import TranscriptFile, describe, parse_json
from chatcli.settings import GenerationParams

FORMAT_VERSION = 1
ROLE_TITLES = {"system": "System", "user": "You", "assistant": "Assistant"}


@dataclass
class Transcript:
    model: str
    system: str | None
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if part.get("type") == "text":
            parts.append(part["text"])
        elif part.get("type") == "image_url":
            url = part["image_url"]["url"]
            parts.append("[image]" if url.startswith("data:") else f"[image: {url}]")
    return "\n\n".join(parts)


def to_markdown(t: Transcript) -> str:
    lines = [f"# chatcli conversation — {t.model}", ""]
    if t.params:
        lines += ["Parameters: " + ", ".join(f"{k}={v}" for k, v in t.params.items()), ""]
    if t.system:
        lines += ["## System", "", t.system, ""]
    for message in t.messages:
        lines += [f"## {ROLE_TITLES.get(message['role'], message['role'])}", ""]
        lines += [_text_of(message["content"]), ""]
    return "\n".join(lines)


def to_json(t: Transcript) -> str:
    payload = {
        "chatcli_transcript": FORMAT_VERSION,
        "model": t.model,
        "system": t.system,
        "params": t.params,
        "messages": t.messages,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str) -> Transcript:
    """Parse a file written by `to_json`; ValueError says in one line what is wrong with it."""
    data = parse_json(text)
    if not isinstance(data, dict) or "messages" not in data:
        raise ValueError("not a chatcli transcript (no 'messages')")
    try:
        checked = TranscriptFile.model_validate(data)
        GenerationParams.model_validate(checked.params)
    except ValidationError as exc:
        raise ValueError(describe(exc)) from None
    return Transcript(
        model=checked.model,
        system=checked.system or None,
        messages=[
            {"role": m.role, "content": m.content, **({"tools": m.tools} if m.tools else {})}
            for m in checked.messages
        ],
        params=checked.params,
    )
