"""A conversation as a file: Markdown for reading, JSON for loading back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chatcli.settings import GenerationParams
from chatcli.store import check_messages

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
    """Parse a file written by `to_json`; ValueError says what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or "messages" not in data:
        raise ValueError("not a chatcli transcript (no 'messages')")
    messages = check_messages(data["messages"])
    roles = [m["role"] for m in messages]
    if roles != ["user", "assistant"] * (len(roles) // 2):
        raise ValueError("messages must alternate user, assistant")
    params = data.get("params") or {}
    GenerationParams.model_validate(params)
    return Transcript(
        model=str(data.get("model") or ""),
        system=data.get("system") or None,
        messages=[{"role": m["role"], "content": m["content"]} for m in messages],
        params=params,
    )
