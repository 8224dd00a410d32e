"""The one tolerant decoder: whatever JSON a server sends becomes typed events or `Malformed`.

Every streamed chunk, whole response and /models listing passes through here, so the rest of
chatcli only ever sees values of the types below. Pure functions, no I/O, no openai: the
decoder can be tested on any JSON value, and a reply that breaks the schema becomes one
`Malformed` line instead of a traceback deep inside the bot. Values a server gets slightly
wrong but whose meaning is plain (`"index": "0"`, `"usage": {"prompt_tokens": "12"}`, content
as a list of text parts) are accepted; a choice index at or above the requested `n` is
refused, so a hostile index can never make the caller allocate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from chatcli.errors import MalformedResponse, NotAChatReply
from chatcli.i18n import t

Part = Literal["delta", "message"]

# A count above this is not a token count: SQLite would refuse it, the status line would lie.
MAX_COUNT = 10**12
# exp() of a log-probability below this is 0.0 in a float anyway; above 0 is not a probability.
MIN_LOGPROB = -1000.0
MAX_NAME = 200  # model names, fingerprints, finish reasons
# One event, line or non-stream body in characters: far above any real chunk, far below what
# would exhaust memory.
MAX_EVENT = 32 * 1024 * 1024
# Tool calls in one reply, and the characters of one call's arguments once assembled: a reply
# past these is not asking for work a user could review.
MAX_TOOL_CALLS = 64
MAX_TOOL_ARGUMENTS = 1024 * 1024


class Malformed(MalformedResponse):
    """The reply does not fit the chat completions schema; `detail` says where."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    reasoning_tokens: int | None = None  # part of completion_tokens, when the server says
    cached_tokens: int | None = None  # part of prompt_tokens served from the provider's cache


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class TextDelta:
    index: int
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """The model's thinking, sent apart from the answer (`reasoning_content`, `reasoning`)."""

    index: int
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of tool call `call` of choice `index`: the id and name arrive once, the
    arguments JSON in fragments that only make sense once joined."""

    index: int
    call: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class Finish:
    index: int
    reason: str


@dataclass(frozen=True)
class UsageEvent:
    usage: Usage


@dataclass(frozen=True)
class Meta:
    model: str | None
    fingerprint: str | None


@dataclass(frozen=True)
class LogprobsEvent:
    index: int
    items: tuple[TokenLogprob, ...]


@dataclass(frozen=True)
class ServerErrorEvent:
    message: str


Event = (
    TextDelta
    | ReasoningDelta
    | ToolCallDelta
    | Finish
    | UsageEvent
    | Meta
    | LogprobsEvent
    | ServerErrorEvent
)


def sse_lines(chunks: Iterable[str], limit: int = MAX_EVENT) -> Iterator[str]:
    """Lines as the SSE spec splits them: at CR, LF or CRLF only.

    (str.splitlines, which httpx's iter_lines uses, also splits at U+2028, U+0085 and other
    separators a JSON string may hold raw, tearing the event in two.) A line longer than
    `limit` characters is refused before it fills memory.
    """
    pending: list[str] = []
    size = 0
    after_cr = False
    for chunk in chunks:
        if after_cr and chunk.startswith("\n"):
            chunk = chunk[1:]
        after_cr = chunk.endswith("\r")
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        *complete, rest = chunk.split("\n")
        if complete:
            pending.append(complete[0])
            yield "".join(pending)
            yield from complete[1:]
            pending, size = [], 0
        if rest:
            size += len(rest)
            if size > limit:
                raise Malformed(t("wire_line_too_long", limit=limit))
            pending.append(rest)
    if pending:
        yield "".join(pending)


def sse_data(lines: Iterable[str], limit: int = MAX_EVENT) -> Iterator[str]:
    """The data of each server-sent event (multi-line data joined, comments skipped); an
    event whose data grows past `limit` characters is refused."""
    data: list[str] = []
    size = 0
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data, size = [], 0
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
            size += len(data[-1]) + 1
            if size > limit:
                raise Malformed(t("wire_event_too_long", limit=limit))
    if data:
        yield "\n".join(data)


def joined(lines: Iterable[str], limit: int = MAX_EVENT) -> str:
    """The lines of a body that is not an event stream, as one text of at most `limit`."""
    parts: list[str] = []
    size = 0
    for line in lines:
        parts.append(line)
        size += len(line) + 1
        if size > limit:
            raise Malformed(t("wire_answer_too_long", limit=limit))
    return "\n".join(parts)


SSE_FIELDS = ("data:", "event:", "id:", "retry:", ":")


def looks_like_sse(line: str) -> bool:
    """Whether the first non-blank line of a body starts a server-sent event stream."""
    return line.startswith(SSE_FIELDS)


def body_json(content_type: str, text: str) -> Any:
    """The JSON of a whole body; anything else (a web page, plain text) becomes
    `NotAChatReply`, which says what came back instead of "empty reply"."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    kind = content_type.split(";")[0].strip().lower()
    page = "html" in kind or text.lstrip()[:1] == "<"
    raise NotAChatReply(page=page, content_type=kind or "no content type", glimpse=text)


def parse_json(payload: str) -> Any:
    """json.loads that fails as `Malformed` (NaN and Infinity are read as floats)."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise Malformed(t("wire_not_json", payload=payload)) from exc


def decode_chunk(obj: Any, part: Part = "delta", n: int = 1) -> Iterator[Event]:
    """The events of one streamed chunk (`part` "delta") or one whole response ("message").

    `null` carries nothing (some servers send it as a keep-alive); any other non-object, or an
    object that breaks the schema where its meaning is not plain, raises `Malformed`.
    """
    if obj is None and part == "delta":
        return
    if not isinstance(obj, dict):
        raise Malformed(t("wire_not_object", kind=_kind(obj)))
    error = obj.get("error")
    if error:
        yield ServerErrorEvent(error_message(error))
        return
    model, fingerprint = _name(obj.get("model")), _name(obj.get("system_fingerprint"))
    if model or fingerprint:
        yield Meta(model, fingerprint)
    usage = decode_usage(obj.get("usage"))
    for choice in _choices(obj.get("choices")):
        yield from _decode_choice(choice, part, n)
    if usage is not None:
        yield UsageEvent(usage)


@dataclass(frozen=True)
class ModelInfo:
    """One entry of a /models answer: the id, and the context window when the server says
    it (vLLM `max_model_len`, OpenRouter `context_length`, others `context_window`)."""

    id: str
    context_length: int | None = None


CONTEXT_KEYS = ("context_length", "max_model_len", "context_window")
MAX_CONTEXT = 100_000_000  # past any real model: a larger number is not believed


def decode_model_infos(obj: Any) -> list[ModelInfo]:
    """The models of a /models answer, sorted by id, one per id; entries that are not objects
    with a string id are skipped (a listing is a convenience, one odd entry should not hide
    the rest), and a context window that is not a plausible count is left unknown."""
    data = obj.get("data") if isinstance(obj, dict) else obj
    if not isinstance(data, list):
        raise Malformed(t("wire_model_list", kind=_kind(data)))
    found: dict[str, ModelInfo] = {}
    for entry in data:
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)):
            continue
        if not entry["id"].strip():
            continue
        windows = (_integer(entry.get(key)) for key in CONTEXT_KEYS)
        window = next((n for n in windows if n is not None and 0 < n <= MAX_CONTEXT), None)
        if window is not None or entry["id"] not in found:
            found[entry["id"]] = ModelInfo(entry["id"], window)
    return [found[name] for name in sorted(found)]


def decode_models(obj: Any) -> list[str]:
    """The model ids of a /models answer (see decode_model_infos)."""
    return [info.id for info in decode_model_infos(obj)]


def decode_usage(raw: Any) -> Usage | None:
    """Token counts; numbers sent as strings are read, anything that is not a plausible count
    makes the usage unknown (None) rather than failing the reply."""
    if not isinstance(raw, dict):
        return None
    prompt = _count(raw.get("prompt_tokens"))
    completion = _count(raw.get("completion_tokens"))
    if prompt is None or completion is None:
        return None
    total = _count(raw.get("total_tokens"))
    details = raw.get("completion_tokens_details")
    reasoning = _count(details.get("reasoning_tokens")) if isinstance(details, dict) else None
    if reasoning is not None and reasoning > completion:
        reasoning = None  # more thinking than output: not a count to compute a speed from
    total = prompt + completion if total is None else total
    return Usage(prompt, completion, total, reasoning, _cached(raw, prompt))


def _cached(raw: dict[str, Any], prompt: int) -> int | None:
    """Prompt tokens the provider's prefix cache served: OpenAI's (and Qwen's, Moonshot's)
    `prompt_tokens_details.cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`."""
    details = raw.get("prompt_tokens_details")
    cached = _count(details.get("cached_tokens")) if isinstance(details, dict) else None
    if cached is None:
        cached = _count(raw.get("prompt_cache_hit_tokens"))
    return cached if cached is not None and cached <= prompt else None


def error_message(error: Any) -> str:
    """The text of an `error` member: its `message` when it has one, else the JSON itself."""
    if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"]:
        return str(error["message"])
    if isinstance(error, str):
        return error
    try:
        return json.dumps(error, ensure_ascii=False)
    except (ValueError, RecursionError):
        return _kind(error)


def _choices(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [raw]
    if not isinstance(raw, list):
        raise Malformed(t("wire_field_is", field="choices", kind=_kind(raw)))
    return [choice for choice in raw if choice is not None]


def _decode_choice(choice: Any, part: Part, n: int) -> Iterator[Event]:
    if not isinstance(choice, dict):
        raise Malformed(t("wire_choice_is", kind=_kind(choice)))
    index = _index(choice.get("index"), n)
    logprobs = _logprobs(choice.get("logprobs"))
    if logprobs:
        yield LogprobsEvent(index, logprobs)
    body = choice.get(part)
    if body is not None:
        if not isinstance(body, dict):
            raise Malformed(t("wire_field_is", field=part, kind=_kind(body)))
        thought = _reasoning(body)
        if thought:
            yield ReasoningDelta(index, thought)
        text = _content(body.get("content"))
        if text:
            yield TextDelta(index, text)
        yield from _tool_calls(index, body.get("tool_calls"), part)
    reason = choice.get("finish_reason")
    if reason is not None and reason != "":
        if not isinstance(reason, str):
            raise Malformed(t("wire_field_is", field="finish_reason", kind=_kind(reason)))
        yield Finish(index, reason[:MAX_NAME])


def _index(raw: Any, n: int) -> int:
    """The choice index: missing means 0, `"1"` and `1.0` mean 1; refused outside 0..n-1."""
    if raw is None:
        return 0
    value = _integer(raw)
    if value is None or not 0 <= value < n:
        raise Malformed(t("wire_index", index=_glimpse(raw), last=n - 1))
    return value


def _content(raw: Any) -> str:
    """Message text: a string, or a list of parts whose text parts are joined."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        texts: list[str] = []
        for item in raw:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                texts.append(item["text"])
            elif not isinstance(item, dict) or item.get("type") in (None, "text"):
                raise Malformed(t("wire_content_part_is", kind=_kind(item)))
            # other part types (audio, images) carry no text to show
        return "".join(texts)
    raise Malformed(t("wire_field_is", field="content", kind=_kind(raw)))


def _tool_calls(index: int, raw: Any, part: Part) -> Iterator[ToolCallDelta]:
    """Tool-call pieces. A delta names its call by `index` (a whole message, or a delta
    without one, by position); arguments sent as an object rather than a JSON string are
    taken as that object."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise Malformed(t("wire_field_is", field="tool_calls", kind=_kind(raw)))
    for position, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise Malformed(t("wire_tool_call_is", kind=_kind(entry)))
        given = entry.get("index") if part == "delta" else None
        call = position if given is None else _integer(given)
        if call is None or not 0 <= call < MAX_TOOL_CALLS:
            raise Malformed(
                t("wire_tool_index", index=_glimpse(entry.get("index")), last=MAX_TOOL_CALLS - 1)
            )
        function = entry.get("function")
        if function is None:
            function = {}
        if not isinstance(function, dict):
            raise Malformed(t("wire_tool_field_is", field="function", kind=_kind(function)))
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            arguments = json.dumps(arguments, ensure_ascii=False)
        elif arguments is None:
            arguments = ""
        elif not isinstance(arguments, str):
            raise Malformed(t("wire_tool_arguments_are", kind=_kind(arguments)))
        ident = entry.get("id")
        name = function.get("name")
        for label, value in (("id", ident), ("name", name)):
            if value is not None and not isinstance(value, str):
                raise Malformed(t("wire_tool_field_is", field=label, kind=_kind(value)))
        yield ToolCallDelta(index, call, _name(ident), _name(name), arguments)


def _reasoning(body: dict[str, Any]) -> str:
    """The thinking of a delta or message: `reasoning_content` (DeepSeek, vLLM, SGLang) else
    `reasoning` (OpenRouter, Ollama); a server that sends both sends the same text twice.
    An object there (some servers describe the reasoning settings in it) carries no text."""
    for name in ("reasoning_content", "reasoning"):
        raw = body.get(name)
        text = "" if isinstance(raw, dict) else _content(raw)
        if text:
            return text
    return ""


def _logprobs(raw: Any) -> tuple[TokenLogprob, ...]:
    """Per-token log-probabilities; entries that are not token + number are skipped (they
    only decorate the reply), values are clamped so exp() can neither overflow nor mislead."""
    content = raw.get("content") if isinstance(raw, dict) else None
    if not isinstance(content, list):
        return ()
    items: list[TokenLogprob] = []
    for entry in content:
        pair = _token_pair(entry)
        if pair is None:
            continue
        alternatives = entry.get("top_logprobs")
        top = (
            tuple(p for p in map(_token_pair, alternatives) if p is not None)
            if isinstance(alternatives, list)
            else ()
        )
        items.append(TokenLogprob(pair[0], pair[1], top))
    return tuple(items)


def _token_pair(entry: Any) -> tuple[str, float] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    value = entry.get("logprob")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return entry["token"], min(max(number, MIN_LOGPROB), 0.0)


def _integer(raw: Any) -> int | None:
    """An integer sent as a number, an integral float or a string of digits; else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isdecimal() and len(raw) < 20:
        return int(raw)
    return None


def _count(raw: Any) -> int | None:
    value = _integer(raw)
    return value if value is not None and 0 <= value <= MAX_COUNT else None


def _name(raw: Any) -> str | None:
    return raw[:MAX_NAME] if isinstance(raw, str) and raw else None


def _glimpse(value: Any) -> str:
    """A short JSON rendering of a scalar; containers are only named."""
    if isinstance(value, list | dict):
        return _kind(value)
    return _clip(json.dumps(value[:80] if isinstance(value, str) else value))


def _kind(value: Any) -> str:
    """How a JSON value is named in a message: its type, and the value when it is short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return t("kind_boolean", value=str(value).lower())
    if isinstance(value, int | float):
        return t("kind_number", value=_clip(repr(value)))
    if isinstance(value, str):
        return t("kind_string", value=_clip(json.dumps(value[:80], ensure_ascii=False)))
    if isinstance(value, list):
        return t("kind_list", count=len(value))
    return t("kind_object") if isinstance(value, dict) else type(value).__name__


def _clip(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
