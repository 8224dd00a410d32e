"""A conversation as a file: one Markdown format to read, one JSON format to keep.

`/save`, `/load`, `chatcli sessions export` and `chatcli sessions import` write these two and
read any of them, and the forms earlier releases wrote too: `/save`'s Markdown (`## You` /
`## Assistant` headings, a `Parameters:` line) and its JSON (`"chatcli_transcript": 1`). What a
file holds is checked by the conversation model (`records.py`) before anything uses it.

Markdown (the active branch only): `### User` / `### Assistant` headings, a reply's reasoning
in a `<details>` block before its answer, the model, times and parameters in one
`<!-- chatcli {…} -->` line. A message line that looks like one of those gets one more leading
backslash, so every text reads back as written (blank lines at its start and end aside).
JSON: every field and every branch, nothing lost.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from chatcli.config.settings import GenerationParams
from chatcli.i18n import t
from chatcli.store.records import Conversation, StoredMessage, describe, parse_json

EXPORT_FORMAT = 1
THOUGHT_OPEN = "<details><summary>思考 / Reasoning</summary>"
THOUGHT_CLOSE = "</details>"
_HEADING = re.compile(r"^(\\*)### (System|User|Assistant)( \(interrupted\))?$")
# Lines a message's text could share with the file's own structure: written with one more
# leading backslash, read back with one less.
_MARKER = re.compile(
    r"^(\\*)(### (System|User|Assistant)( \(interrupted\))?|"
    + re.escape(THOUGHT_OPEN)
    + "|"
    + re.escape(THOUGHT_CLOSE)
    + ")$"
)
_META = re.compile(r"^<!-- chatcli (.*) -->$")
_META_FIELDS = ("id", "model", "created", "updated", "params")
# What /save wrote before there was one format: read, never written.
_OLD_HEADING = re.compile(r"^## (System|You|Assistant)$")
_OLD_ROLES = {"System": "system", "You": "user", "Assistant": "assistant"}
_OLD_TITLE = "# chatcli conversation — "
_OLD_PARAMS = "Parameters: "
_OLD_PARAM = re.compile(r"(?:^|, )(" + "|".join(GenerationParams.model_fields) + ")=")

Heading = Callable[[str], "tuple[str, bool] | None"]


def when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- writing ---------------------------------------------------------------------------------


def to_json(conversation: Conversation) -> str:
    """The lossless form: every field of the conversation and of its messages, and every
    branch: `messages` is the active branch (what an earlier release reads), `branches` the
    other messages, each naming its parent by id."""
    tree = bool(conversation.branches)
    return json.dumps(
        {
            "chatcli_export": EXPORT_FORMAT,
            "id": conversation.id,
            "title": conversation.title,
            "created": conversation.created,
            "updated": conversation.updated,
            "model": conversation.model,
            "system": conversation.system,
            "params": conversation.params,
            "messages": [_message(m, tree) for m in conversation.messages],
            **(
                {
                    "branches": [
                        {**_message(m, tree), "parent": m.parent} for m in conversation.branches
                    ]
                }
                if tree
                else {}
            ),
        },
        ensure_ascii=False,
        indent=2,
    )


def _message(m: StoredMessage, tree: bool) -> dict[str, Any]:
    return {
        **({"id": m.id} if tree else {}),
        "role": m.role,
        "content": m.content,
        "model": m.model,
        "tokens": m.tokens,
        "prompt_tokens": m.prompt_tokens,
        "finish_reason": m.finish_reason,
        "created": m.created,
        "interrupted": m.interrupted,
        "reasoning": m.reasoning,
        **({"tools": m.tools} if m.tools else {}),
        **({"cached_tokens": m.cached_tokens} if m.cached_tokens is not None else {}),
        **({"cost": str(m.cost), "currency": m.currency} if m.cost is not None else {}),
        **({"attachments": [a.model_dump() for a in m.attachments]} if m.attachments else {}),
    }


@dataclass(frozen=True)
class Reasoning:
    """A reply's reasoning among the pieces of the Markdown form."""

    text: str


def markdown_pieces(conversation: Conversation, *, screen: bool = False) -> list[str | Reasoning]:
    """The Markdown form in order, each reply's reasoning apart: a file wraps it in a
    `<details>` block, a terminal shows it dim (`chatcli sessions show`). On a `screen` the
    headings are in the interface's language and the machine's `<!-- chatcli … -->` line
    is left out; a file keeps the one format that reads back."""
    meta = {
        "id": conversation.id,
        "model": conversation.model,
        "created": conversation.created,
        "updated": conversation.updated,
        "params": conversation.params,
    }
    settings = ", ".join(f"{k}={v}" for k, v in conversation.params.items())
    # "\u003e" keeps a "-->" inside a value (a stop sequence, say) from ending the comment
    comment = (
        "<!-- chatcli " + json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e") + " -->"
    )
    header = [
        "# " + one_line(conversation.title),
        "",
        *([] if screen else [comment]),
        one_line(
            f"*{conversation.model} · {when(conversation.created)}"
            + (f" · {settings}" if settings else "")
            + "*"
        ),
        "",
    ]
    pieces: list[str | Reasoning] = ["\n".join(header)]
    system = [("system", conversation.system, False, None)] if conversation.system else []
    sections = [(m.role, m.text, m.interrupted, m.reasoning) for m in conversation.messages]
    for role, text, interrupted, reasoning in [*system, *sections]:
        heading = _screen_heading if screen else _file_heading
        pieces.append(heading(role, interrupted))
        if reasoning:
            pieces.append(Reasoning(reasoning))
        pieces.append(_escaped(text) + "\n")
    return pieces


def _file_heading(role: str, interrupted: bool) -> str:
    return f"### {role.capitalize()}" + (" (interrupted)" if interrupted else "") + "\n"


def _screen_heading(role: str, interrupted: bool) -> str:
    return f"### {t(f'heading_{role}')}" + (t("heading_interrupted") if interrupted else "") + "\n"


def to_markdown(conversation: Conversation) -> str:
    """The readable form (pictures become `[image]`: only JSON keeps them)."""
    return "\n".join(
        "\n".join([THOUGHT_OPEN, "", _escaped(piece.text), "", THOUGHT_CLOSE, ""])
        if isinstance(piece, Reasoning)
        else piece
        for piece in markdown_pieces(conversation)
    )


def _escaped(text: str) -> str:
    return "\n".join(
        "\\" + line if _MARKER.match(line) else line for line in text.strip("\n").split("\n")
    )


# --- reading ---------------------------------------------------------------------------------


def read(text: str) -> Conversation:
    """Any conversation file chatcli writes or wrote, JSON or Markdown; ValueError says in
    one line what is wrong with it."""
    return from_json(text) if text.lstrip().startswith(("{", "[")) else from_markdown(text)


def from_json(text: str) -> Conversation:
    """`to_json` output, or a JSON `/save` of an earlier release."""
    data = parse_json(text)
    if not isinstance(data, dict) or "messages" not in data:
        raise ValueError(t("rec_no_messages"))
    return validated(data)


def validated(data: dict[str, Any]) -> Conversation:
    """A conversation from a file, checked by the model the store itself uses."""
    try:
        return Conversation.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise ValueError(describe(exc)) from None


def _heading(line: str) -> tuple[str, bool] | None:
    found = _HEADING.match(line)
    if found is None or found.group(1):
        return None
    return found.group(2).lower(), bool(found.group(3))


def _old_heading(line: str) -> tuple[str, bool] | None:
    found = _OLD_HEADING.match(line)
    return (_OLD_ROLES[found.group(1)], False) if found else None


def from_markdown(text: str) -> Conversation:
    """`to_markdown` output, or a Markdown `/save` of an earlier release (with Windows line
    ends too, when an editor wrote every line that way)."""
    if "\r\n" in text and "\n" not in text.replace("\r\n", ""):
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if any(_heading(line) for line in lines):
        return _read_markdown(lines, _heading, current=True)
    if any(_old_heading(line) for line in lines):
        return _read_markdown(lines, _old_heading, current=False)
    raise ValueError(t("rec_no_sections"))


def _read_markdown(lines: list[str], heading: Heading, *, current: bool) -> Conversation:
    """`current`: this release's form (escaped lines, reasoning blocks, the meta line)."""
    header: list[str] = []
    sections: list[tuple[str, bool, list[str]]] = []
    for line in lines:
        found = heading(line)
        if found is not None:
            sections.append((*found, []))
        elif sections:
            sections[-1][2].append(line)
        else:
            header.append(line)
    system: str | None = None
    messages: list[dict[str, Any]] = []
    for role, interrupted, body in sections:
        reasoning = None
        if current and role == "assistant":
            reasoning, body = _split_reasoning(body)
        content = _unescaped(body) if current else "\n".join(body).strip("\n")
        if role == "system":
            system = content or None
        else:
            messages.append(
                {
                    "role": role,
                    "content": content,
                    "interrupted": interrupted,
                    "reasoning": reasoning,
                }
            )
    fields = _header(header) if current else _old_header(header)
    return validated({**fields, "system": system, "messages": messages})


def _header(lines: list[str]) -> dict[str, Any]:
    """Title from the `# ` line; model, times and parameters from the meta line."""
    fields: dict[str, Any] = {}
    for line in lines:
        if line.startswith("# ") and "title" not in fields:
            fields["title"] = line[2:].strip()
        elif found := _META.match(line):
            meta = parse_json(found.group(1))
            if not isinstance(meta, dict):
                raise ValueError(t("rec_meta_not_object"))
            fields.update({k: meta[k] for k in _META_FIELDS if k in meta})
    return fields


def _old_header(lines: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in lines:
        if line.startswith(_OLD_TITLE):
            fields["model"] = line.removeprefix(_OLD_TITLE).strip()
        elif line.startswith(_OLD_PARAMS):
            fields["params"] = _old_params(line.removeprefix(_OLD_PARAMS))
    return fields


def _old_params(text: str) -> dict[str, Any]:
    """`temperature=0.3, stop=['END']` as an earlier /save wrote it (Python literals); a
    value that does not read back as a valid parameter is left out, the text is not."""
    found = list(_OLD_PARAM.finditer(text))
    params: dict[str, Any] = {}
    for match, following in zip(found, [*found[1:], None], strict=True):
        raw = text[match.end() : following.start() if following else len(text)]
        try:
            value: Any = ast.literal_eval(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = raw
        try:
            GenerationParams.model_validate({match.group(1): value})
        except ValidationError:
            continue
        params[match.group(1)] = value
    return params


def _unescaped(lines: list[str]) -> str:
    return "\n".join(
        line[1:] if (found := _MARKER.match(line)) and found.group(1) else line for line in lines
    ).strip("\n")


def _split_reasoning(lines: list[str]) -> tuple[str | None, list[str]]:
    """A reply's `<details>` reasoning block, if its text starts with one, and the rest."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start] != THOUGHT_OPEN or THOUGHT_CLOSE not in lines[start:]:
        return None, lines
    end = lines.index(THOUGHT_CLOSE, start)
    return _unescaped(lines[start + 1 : end]) or None, lines[end + 1 :]
