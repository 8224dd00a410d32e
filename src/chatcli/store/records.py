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
from decimal import Decimal
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

from chatcli.conversation.wire import MAX_COUNT
from chatcli.i18n import NUMBER_REASONS, t

Content = str | list[dict[str, Any]]
# Counts and costs are bounded where they enter (a file, the server, a database): the store
# keeps every count in a 64-bit integer and every cost quantizes to cents exactly.
MAX_COST = Decimal(10**12)


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
    raise ValueError(t("rec_content"))


LAST_STAMP = 253402300799.0  # 9999-12-31 23:59:59 UTC, the last moment a date can show


def _moment(value: float) -> float:
    if not 0 <= value <= LAST_STAMP:
        raise ValueError(t("rec_time"))
    return value


Stamp = Annotated[float, AfterValidator(_moment)]


class AttachmentRecord(BaseModel):
    """One attachment a user message carried (`/file`, `/run`, `/paste`, `-f`): where it came
    from, how many bytes it read, and the SHA-256 of the `chars` characters it put at its
    place at the start of the message, so listings show one line for it, not the text."""

    model_config = ConfigDict(frozen=True)

    source: str  # a path as named (`src/`, `*.py`), a URL, `$ command`, the clipboard
    files: int = Field(1, ge=0, le=MAX_COUNT)
    size: int = Field(0, ge=0, le=MAX_COUNT)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    chars: int = Field(0, ge=0, le=MAX_COUNT)  # 0 for an image (an image part, not text)


class StoredMessage(BaseModel):
    """One message of a conversation, with what the server said about the reply.

    `reasoning` is what a reasoning model thought before its answer: kept beside the content,
    never part of it, so it is shown and exported but never sent back to a server."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    content: Content
    model: str | None = None
    tokens: int | None = Field(None, ge=0, le=MAX_COUNT)
    prompt_tokens: int | None = Field(None, ge=0, le=MAX_COUNT)
    # Of prompt_tokens, those the server's prefix cache served (cheaper), when it said.
    cached_tokens: int | None = Field(None, ge=0, le=MAX_COUNT)
    # What the turn cost, in `currency`, when a price was known (never a guess).
    cost: Decimal | None = Field(None, ge=0, le=MAX_COST, allow_inf_nan=False)
    currency: str | None = Field(None, min_length=1, max_length=3)
    finish_reason: str | None = None
    created: Stamp = Field(default_factory=time.time)
    interrupted: bool = False
    reasoning: str | None = None
    # The turn's tool rounds before this answer, as sent: assistant messages with
    # `tool_calls`, each followed by its `tool` results.
    tools: list[dict[str, Any]] | None = None
    attachments: tuple[AttachmentRecord, ...] | None = None
    id: int | None = None
    # The message this one answers or follows: the conversation is a tree (see Conversation).
    parent: int | None = None

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
                    raise ValueError(t("rec_tools_no_calls"))
                expected = [str(call.get("id")) for call in calls if isinstance(call, dict)]
            elif message.get("role") == "tool" and expected:
                if message.get("tool_call_id") != expected.pop(0):
                    raise ValueError(t("rec_tools_stray_result"))
                if not isinstance(message.get("content"), str):
                    raise ValueError(t("rec_tools_result_not_text"))
            else:
                raise ValueError(t("rec_tools_order"))
        if expected:
            raise ValueError(t("rec_tools_no_result"))
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
            raise ValueError(t("rec_reasoning_role"))
        if self.tools and self.role != "assistant":
            raise ValueError(t("rec_tools_role"))
        if (self.cost is None) != (self.currency is None):
            raise ValueError(t("rec_cost_currency"))
        if self.attachments and self.role != "user":
            raise ValueError(t("rec_attachments_role"))
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
            raise ValueError(t("rec_alternate", number=number, role=message.role))
    if len(messages) % 2:
        raise ValueError(t("rec_no_reply", number=len(messages)))
    return messages


Turns = Annotated[tuple[StoredMessage, ...], AfterValidator(_alternating)]


class Conversation(BaseModel):
    """A whole conversation, as stored and as exported.

    `messages` is the active branch, what the model sees; `branches` the messages on no other
    branch than those left (an /edit, a /retry, an /undo), each naming its `parent` by id. The
    active branch's messages carry ids when there are branches, so they can be named."""

    model_config = ConfigDict(frozen=True)

    id: int = 0
    title: str = ""
    created: Stamp = Field(default_factory=time.time)
    updated: Stamp = Field(default_factory=time.time)
    model: str = ""
    system: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    messages: Turns
    branches: tuple[StoredMessage, ...] = ()

    @model_validator(mode="after")
    def _a_tree(self) -> Conversation:
        """Every branch message grows from an earlier message, alternating roles."""
        if not self.branches:
            return self
        roles: dict[int | None, str] = {None: "assistant"}  # a root is a question
        for number, message in enumerate(self.messages, start=1):
            if message.id is None or message.id in roles:
                raise ValueError(t("rec_tree_id", n=number))
            roles[message.id] = message.role
        for number, message in enumerate(self.branches, start=1):
            if message.id is None or message.id in roles:
                raise ValueError(t("rec_branch_id", n=number))
            if message.parent not in roles:
                raise ValueError(t("rec_branch_parent", n=number))
            if roles[message.parent] == message.role:
                raise ValueError(t("rec_branch_roles", n=number))
            roles[message.id] = message.role
        return self

    @property
    def turns(self) -> int:
        return sum(1 for m in self.messages if m.role == "user")

    def links(self) -> dict[int, int | None]:
        """Every message's id and its parent's, the active branch first (`store.tree`)."""
        found: dict[int, int | None] = {}
        previous: int | None = None
        for message in self.messages:
            if message.id is not None:
                found[message.id] = previous
            previous = message.id
        found.update({m.id: m.parent for m in self.branches if m.id is not None})
        return found


# pydantic's error types, said in the interface's language (its own English otherwise)
_REASONS = {
    "missing": "rec_missing",
    "string_type": "rec_not_text",
    "dict_type": "rec_not_object",
    "model_type": "rec_not_object",
    "model_attributes_type": "rec_not_object",
    "list_type": "rec_not_list",
    "tuple_type": "rec_not_list",
    **NUMBER_REASONS,
    "bool_type": "reason_not_bool",
    "greater_than_equal": "reason_out_of_range",
    "less_than_equal": "reason_out_of_range",
    "literal_error": "reason_not_choice",
}
SHOWN_INPUT = 40  # characters of a bad value a message repeats


def describe(error: ValidationError) -> str:
    """The first problem in one line, messages counted from 1: `message 2: content: …`."""
    first = error.errors()[0]
    words: list[str] = []
    for part in first["loc"]:
        if isinstance(part, int) and words and words[-1] == "messages":
            words[-1] = t("rec_message", number=part + 1)
        else:
            words.append(str(part))
    reason = _reason(first["type"], first.get("input"), first.get("ctx") or {}, first["msg"])
    return t("rec_separator").join([*words, reason])


def _reason(kind: str, got: Any, context: dict[str, Any], english: str) -> str:
    if kind not in _REASONS:
        return english.removeprefix("Value error, ")
    shown = repr(got)
    if len(shown) > SHOWN_INPUT:
        shown = shown[: SHOWN_INPUT - 1] + "…"
    choices = str(context.get("expected", "")).replace(" or ", t("word_or"))
    return t(_REASONS[kind], got=_Shown(shown), choices=choices)


class _Shown(str):
    """A value already shown as `repr` and clipped: `{got!r}` prints it as it is."""

    def __repr__(self) -> str:
        return str(self)


def bounded_count(value: Any) -> int | None:
    """A stored count as a reader takes it: a whole number in range, else unknown (a
    database written by someone else may hold anything)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT
    return value if ok else None


def bounded_cost(value: Any) -> Decimal | None:
    """A stored cost (exact decimal text) in range, else unknown."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and 0 <= amount <= MAX_COST else None


def parse_json(text: str) -> Any:
    """JSON from a file; ValueError (one line) for anything that is not, or nests absurdly."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(t("rec_not_json", line=exc.lineno, column=exc.colno)) from None
    except RecursionError:
        raise ValueError(t("rec_too_deep")) from None
