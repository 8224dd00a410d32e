"""The shape of a saved conversation, checked in one place.

The store reads and writes these models, and every conversation that comes from a file (one
that `/save` or `chatcli sessions export` wrote, read by `/load` or `chatcli sessions import`)
is validated by them before it reaches the bot or the database: a file that does not fit is
refused in one line that names the first problem, never half-loaded.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Content = str | list[dict[str, Any]]


def _is_part(part: Any) -> bool:
    """A text part or an image part as the chat API takes them (extra keys are kept)."""
    if not isinstance(part, dict):
        return False
    if part.get("type") == "text":
        return isinstance(part.get("text"), str)
    if part.get("type") == "image_url":
        image = part.get("image_url")
        return isinstance(image, dict) and isinstance(image.get("url"), str)
    return False


def check_content(value: Any) -> Content:
    """Text, or a list of text and image parts: what the bot can send back to a server."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(_is_part(part) for part in value):
        return value
    raise ValueError("must be text or a list of text and image_url parts")


LAST_STAMP = 253402300799.0  # 9999-12-31 23:59:59 UTC, the last moment a date can show


def _moment(value: float) -> float:
    if not 0 <= value <= LAST_STAMP:
        raise ValueError("must be a time in seconds between 1970 and 9999")
    return value


Stamp = Annotated[float, AfterValidator(_moment)]


class AttachmentRecord(BaseModel):
    """One attachment a user message carried (`/file`, `/run`, `/paste`, `-f`): where it came
    from, how many bytes it read, and the SHA-256 of the `chars` characters it put at its
    place at the start of the message, so listings show one line for it, not the text."""

    model_config = ConfigDict(frozen=True)

    source: str  # a path as named (`src/`, `*.py`), a URL, `$ command`, the clipboard
    files: int = Field(1, ge=0)
    size: int = Field(0, ge=0)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    chars: int = Field(0, ge=0)  # 0 for an image (an image part, not text)


class StoredMessage(BaseModel):
    """One message of a conversation, with what the server said about the reply.

    `reasoning` is what a reasoning model thought before its answer: kept beside the content,
    never part of it, so it is shown and exported but never sent back to a server."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    content: Content
    model: str | None = None
    tokens: int | None = Field(None, ge=0)
    prompt_tokens: int | None = Field(None, ge=0)
    finish_reason: str | None = None
    created: Stamp = Field(default_factory=time.time)
    interrupted: bool = False
    reasoning: str | None = None
    # The turn's tool rounds before this answer, as sent: assistant messages with
    # `tool_calls`, each followed by its `tool` results.
    tools: list[dict[str, Any]] | None = None
    attachments: tuple[AttachmentRecord, ...] | None = None
    id: int | None = None

    def __init__(
        self, role: str | None = None, content: Content | None = None, /, **fields: Any
    ) -> None:
        """`StoredMessage("user", "hi")`, as the store's callers write it; validation from a
        dict passes every field by name."""
        if role is not None:
            fields["role"] = role
        if content is not None:
            fields["content"] = content
        super().__init__(**fields)

    @field_validator("content", mode="before")
    @classmethod
    def _content(cls, value: Any) -> Content:
        return check_content(value)

    @field_validator("tools")
    @classmethod
    def _tool_rounds(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """Only what a tool round holds: calls, then one result per call, in order."""
        expected: list[str] = []
        for message in value or ():
            if message.get("role") == "assistant" and not expected:
                calls = message.get("tool_calls")
                if not isinstance(calls, list) or not calls:
                    raise ValueError("tools: an assistant message without tool_calls")
                expected = [str(call.get("id")) for call in calls if isinstance(call, dict)]
            elif message.get("role") == "tool" and expected:
                if message.get("tool_call_id") != expected.pop(0):
                    raise ValueError("tools: a result answers no call")
                if not isinstance(message.get("content"), str):
                    raise ValueError("tools: a result is not text")
            else:
                raise ValueError("tools: not calls each followed by their results")
        if expected:
            raise ValueError("tools: a call has no result")
        return value or None

    @field_validator("reasoning")
    @classmethod
    def _reasoning(cls, value: str | None) -> str | None:
        """No reasoning and an empty one are the same: none."""
        return value or None

    @field_validator("attachments")
    @classmethod
    def _attachments(
        cls, value: tuple[AttachmentRecord, ...] | None
    ) -> tuple[AttachmentRecord, ...] | None:
        return value or None

    @model_validator(mode="after")
    def _only_replies_think(self) -> StoredMessage:
        if self.reasoning is not None and self.role != "assistant":
            raise ValueError("reasoning: only an assistant message has reasoning")
        if self.tools and self.role != "assistant":
            raise ValueError("tools: only an assistant message has tool rounds")
        if self.attachments and self.role != "user":
            raise ValueError("attachments: only a user message has attachments")
        return self

    @property
    def text(self) -> str:
        return content_text(self.content)


def content_text(content: Content) -> str:
    """The searchable, printable text of a message (text parts of multi-part content)."""
    if isinstance(content, str):
        return content
    texts = [str(p.get("text", "")) for p in content if p.get("type") == "text"]
    images = sum(1 for p in content if p.get("type") == "image_url")
    return "\n".join([*texts, *(["[image]"] * images)])


def typed_text(message: StoredMessage) -> str | None:
    """The message as typed, after its attachments' texts (each must match its hash, where
    the staging put it: in order, a blank line after each); None when they do not."""
    text, at = message.text, 0
    for record in message.attachments or ():
        if record.chars:
            piece = text[at : at + record.chars]
            if hashlib.sha256(piece.encode()).hexdigest() != record.sha256:
                return None
            at += record.chars + 2
    return text[at:]


def _alternating(messages: tuple[StoredMessage, ...]) -> tuple[StoredMessage, ...]:
    """User, assistant, user, assistant…: the only history a chat server accepts back."""
    for number, message in enumerate(messages, start=1):
        expected = "user" if number % 2 else "assistant"
        if message.role != expected:
            raise ValueError(f"must alternate user, assistant (message {number} is {message.role})")
    if len(messages) % 2:
        raise ValueError(f"must alternate user, assistant (message {len(messages)} has no reply)")
    return messages


Turns = Annotated[tuple[StoredMessage, ...], AfterValidator(_alternating)]


class Conversation(BaseModel):
    """A whole conversation, as stored and as exported."""

    model_config = ConfigDict(frozen=True)

    id: int = 0
    title: str = ""
    created: Stamp = Field(default_factory=time.time)
    updated: Stamp = Field(default_factory=time.time)
    model: str = ""
    system: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    messages: Turns

    @property
    def turns(self) -> int:
        return sum(1 for m in self.messages if m.role == "user")


def describe(error: ValidationError) -> str:
    """The first problem in one line, messages counted from 1: `message 2: content: …`."""
    first = error.errors()[0]
    words: list[str] = []
    for part in first["loc"]:
        if isinstance(part, int) and words and words[-1] == "messages":
            words[-1] = f"message {part + 1}"
        else:
            words.append(str(part))
    reason = first["msg"].removeprefix("Value error, ")
    return f"{': '.join(words)}: {reason}" if words else reason


def parse_json(text: str) -> Any:
    """JSON from a file; ValueError (one line) for anything that is not, or nests absurdly."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
