"""ChatBot: the conversation (history + parameters) and the calls to chat.completions.create.

No terminal I/O here: a `Turn` yields answer deltas and thoughts and ends with a `Reply`.
Reasoning, whichever dialect carried it (`reasoning_content`, `reasoning`, inline `<think>`),
is kept on the reply and never enters the history: only the answer is sent back. The history
only changes when a turn completes (or is interrupted with text shown), so a failed request never
leaves a trace — unlike the tutorial's bot, which appended `None`.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from chatcli.config.model_info import default_context_tokens, sees_images
from chatcli.config.prices import Cost, Prices, Tokens, turn_cost
from chatcli.config.settings import DEFAULT_MODEL, INPUT, OPENAI_URL, GenerationParams, Settings
from chatcli.conversation.think import Piece, ThinkSplitter
from chatcli.conversation.wire import (
    MAX_TOOL_ARGUMENTS,
    Event,
    Finish,
    LogprobsEvent,
    Malformed,
    Meta,
    ModelInfo,
    ReasoningDelta,
    ServerErrorEvent,
    TextDelta,
    TokenLogprob,
    ToolCallDelta,
    Usage,
    UsageEvent,
    body_json,
    decode_chunk,
    decode_model_infos,
    joined,
    looks_like_sse,
    parse_json,
    sse_data,
    sse_lines,
)
from chatcli.errors import (
    EmptyReply,
    IncompleteReply,
    MissingApiKey,
    ServerError,
    is_api_error,
    is_context_overflow,
    longest_wait,
    retry_after,
)
from chatcli.i18n import t
from chatcli.tools import Tell, ToolCall, ToolResult, ToolRunner

if TYPE_CHECKING:
    import httpx2
    from openai import OpenAI

    from chatcli.conversation.transport import Deadline
    from chatcli.local.server import Attempt, LocalRun

log = logging.getLogger(__name__)

Message = dict[str, Any]
Content = str | list[dict[str, Any]]
MaxTokensField = Literal["max_tokens", "max_completion_tokens"]
NO_KEY_PLACEHOLDER = "sk-no-key-required"
# After every choice finished, how long to wait for the usage chunk before ending the turn.
FINISH_GRACE = 2.0
MAX_TOOL_ROUNDS = 10
# A rate needs enough tokens over enough time: 3 tokens in a burst after a long wait are no
# speed ("230 tok/s"), nor is a reply a buffering proxy hands over at once.
MIN_RATE_TOKENS = 20
MIN_RATE_SECONDS = 1.0
# What the model is told about calls that were never run.
NOT_RUN_INTERRUPTED = "error: cancelled: the user interrupted the turn"
NO_TOOLS = "error: no tools are available in this chat"

# --- the context window ----------------------------------------------------------------------
# Estimates, not a tokenizer (nothing to download): one token per CJK character, one per four
# other characters, a few per message for the chat template, a flat cost per image. The bot
# scales these by what the server last reported, so in a long chat the estimate tracks the
# model's real tokenizer.

MESSAGE_OVERHEAD = 4
REQUEST_OVERHEAD = 3
IMAGE_TOKENS = 765
REPLY_RESERVE = 4096
# A request that overflows is trimmed down to this share of the budget, so the requests after it
# share one stable start (the provider's prefix cache keeps hitting) until the window fills again.
TRIM_TO = 0.6
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)


def estimate_text(text: str) -> int:
    cjk = 0 if text.isascii() else len(_CJK.findall(text))  # isascii: a 20 MB reply in 2 ms
    return cjk + math.ceil((len(text) - cjk) / 4)


def estimate_message(message: Message) -> int:
    content = message.get("content") or ""
    calls = sum(
        estimate_text(call["function"]["name"] + call["function"]["arguments"])
        for call in message.get("tool_calls") or ()
    )
    if isinstance(content, str):
        return MESSAGE_OVERHEAD + calls + estimate_text(content)
    size = MESSAGE_OVERHEAD + calls
    for part in content:
        size += (
            IMAGE_TOKENS
            if part.get("type") == "image_url"
            else estimate_text(str(part.get("text", "")))
        )
    return size


@dataclass(frozen=True)
class Trimmed:
    """The messages of one request, and how many earlier turns had to stay out of it."""

    messages: list[Message]
    dropped: int
    tokens: int
    first: Message | None = None  # the earliest history message kept, where the next plan starts


def group_turns(history: Sequence[Message]) -> list[list[Message]]:
    """Split the history into turns: each user message with the replies that follow it."""
    turns: list[list[Message]] = []
    for message in history:
        if message.get("role") == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return turns


def turn_view(history: Sequence[Message]) -> list[tuple[Message, list[Message]]]:
    """The questions and answers of the history, each answer with the tool rounds before it
    (the store keeps those on the answer, so a turn is saved, resumed and undone whole)."""
    view: list[tuple[Message, list[Message]]] = []
    rounds: list[Message] = []
    for message in history:
        if message["role"] == "tool" or message.get("tool_calls"):
            rounds.append(message)
        else:
            view.append((message, rounds))
            rounds = []
    return view


def unfold_turns(messages: Iterable[Message]) -> list[Message]:
    """A history again from questions and answers whose answers carry their tool rounds
    (`tools`), as the store and /save keep them."""
    history: list[Message] = []
    for message in messages:
        history.extend(message.get("tools") or ())
        history.append({"role": message["role"], "content": message["content"]})
    return history


def fit_context(
    system: Message | None,
    history: Sequence[Message],
    new: Message,
    budget: int,
    estimate: Callable[[Message], int] = estimate_message,
    *,
    start: Message | None = None,
    trim_to: float = TRIM_TO,
) -> Trimmed:
    """Drop the oldest whole turns until the request's estimate fits `budget`.

    The system message and the new message are always sent, order is kept, and a turn is never
    split (a reply without its question confuses models). Turns before `start` (the previous
    plan's first message, when still in the history) stay out, so that requests keep one prefix;
    when the rest does not fit, turns go until it fits `trim_to` of the budget. When even system
    + new exceed the budget, every earlier turn is dropped and the estimate says by how much.
    """
    turns = group_turns(history)
    sizes = [sum(estimate(m) for m in turn) for turn in turns]
    dropped = next((i for i, turn in enumerate(turns) if turn[0] is start), 0)
    total = REQUEST_OVERHEAD + (estimate(system) if system else 0) + estimate(new)
    total += sum(sizes[dropped:])
    if total > budget:
        while dropped < len(turns) and total > budget * trim_to:
            total -= sizes[dropped]
            dropped += 1
    kept = [m for turn in turns[dropped:] for m in turn]
    return Trimmed(
        [*([system] if system else []), *kept, new], dropped, total, kept[0] if kept else None
    )


@dataclass(frozen=True)
class Delta:
    index: int
    text: str


@dataclass(frozen=True)
class ToolRound:
    """The reply asks for these calls: the display should settle before they run."""

    calls: tuple[ToolCall, ...]
    index: int = 0


@dataclass(frozen=True)
class ToolsDone:
    """The calls of the round have their results; the next request is about to go out."""

    count: int
    index: int = 0


@dataclass(frozen=True)
class Thought:
    """Reasoning text of choice `index`: shown apart, kept on the reply, never sent back."""

    index: int
    text: str


TurnEvent = Delta | Thought | ToolRound | ToolsDone


@dataclass
class Reply:
    """What one request produced; `text` is choice 1, the one that enters the history."""

    choices: list[str]
    finish_reasons: list[str | None]
    usage: Usage | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    logprobs: list[TokenLogprob] = field(default_factory=list)
    interrupted: bool = False
    elapsed: float = 0.0
    first_token_after: float | None = None  # the first output, thinking or answer
    reasoning: str = ""
    reasoning_unclosed: bool = False
    thinking_seconds: float | None = None  # request sent → first answer text (or the end)
    # The tool rounds of the turn: assistant messages with `tool_calls`, each followed by its
    # `tool` results, in the order they were sent (reasoning left out).
    tool_messages: list[Message] = field(default_factory=list)
    tool_limit_reached: bool = False
    # The reply limit of a short attempt (LocalRun.short_attempt), when the turn was one.
    short_attempt: int | None = None

    @property
    def text(self) -> str:
        return self.choices[0] if self.choices else ""

    @property
    def unanswered(self) -> bool:
        """The model thought but the answer never came (token limit, `<think>` unclosed)."""
        return bool(self.reasoning.strip()) and not self.text.strip()

    @property
    def finish_reason(self) -> str | None:
        return self.finish_reasons[0] if self.finish_reasons else None

    @property
    def tokens_per_second(self) -> float | None:
        """Tokens over the span that produced them: the answer's tokens over the answer's
        time when the server says how many were reasoning, else every completion token over
        the whole generation (thinking included). None below MIN_RATE_TOKENS tokens or
        MIN_RATE_SECONDS seconds, where a rate would be noise."""
        if self.usage is None or self.first_token_after is None:
            return None
        tokens, start = self.usage.completion_tokens, self.first_token_after
        if self.reasoning and self.usage.reasoning_tokens:  # 0 from some servers: unknown
            if self.thinking_seconds is None:
                return None
            tokens -= self.usage.reasoning_tokens
            start = self.thinking_seconds
        generating = self.elapsed - start
        if generating < MIN_RATE_SECONDS or tokens < MIN_RATE_TOKENS:
            return None
        return tokens / generating


class Turn:
    """One question in flight: a request, and one more after each round of tool calls.
    Iterate for deltas (and tool rounds); afterwards `reply` holds the result.

    State lives on the object, not in generator locals, so `interrupt()` can still build the
    partial reply after a KeyboardInterrupt tore through the iteration.
    """

    def __init__(self, bot: ChatBot, content: Content) -> None:
        self._begin(bot, {"role": "user", "content": bot.fill(content)})
        # A question the bundled model cannot answer gets a short attempt (its own limits).
        if bot.local is not None:
            self.attempt: Attempt | None = bot.local.short_attempt(content, bot.params.max_tokens)

    def _begin(self, bot: ChatBot, new: Message, earlier: list[Message] | None = None) -> None:
        """`new` goes last in every request, after `earlier` (default: the whole history)."""
        self._bot = bot
        self.user_message: Message = new
        self.earlier = earlier
        self.reply: Reply | None = None
        self._usage: Usage | None = None
        self._spent: Usage | None = None  # the usage of the earlier rounds, summed
        self._model: str | None = None
        self._fingerprint: str | None = None
        self._started = 0.0
        # Seconds the tools held the turn (the user's consent included), and since when a
        # round of calls is holding it: the turn's times count generation only.
        self._held = 0.0
        self._held_since: float | None = None
        self._first_token: float | None = None
        self._response: Any = None
        self.receiving = False
        self.plan = bot.plan(new, earlier=earlier)
        self.on_retry: Callable[[Trimmed], None] | None = None
        self.rounds: list[Message] = []  # this turn's tool calls and results, as sent
        self._unanswered: list[ToolCall] = []
        self.limit_reached = False
        self.max_rounds = bot.max_tool_rounds
        self.kept = False  # the turn entered the history (else /retry sends the question again)
        self.attempt = None
        self._new_request()

    def _new_request(self) -> None:
        """Clean slates for the next request of the turn."""
        self._asked = False  # its text went into the message that made its calls
        self._texts: list[list[str]] = [[]]
        self._thoughts: list[list[str]] = [[]]
        self._splitters: list[ThinkSplitter] = [ThinkSplitter()]
        self._finish: list[str | None] = [None]
        self._logprobs: list[TokenLogprob] = []
        self._first_answer: float | None = None
        self._sent_reasoning: list[str] = []  # a reasoning field's text, to send back
        self._calls: dict[int, list[str]] = {}  # call index → [id, name, arguments]

    @property
    def partial_text(self) -> str:
        return "".join(self._texts[0])

    def __iter__(self) -> Iterator[TurnEvent]:
        self._started = self._clock()
        while True:
            yield from self._request()
            calls = self._assembled()
            if not calls:
                break
            if self._rounds_run() >= self.max_rounds:
                self.limit_reached = True  # these calls are dropped: the text is the answer
                break
            self._held_since = time.monotonic()
            yield ToolRound(tuple(calls))
            self._ask(calls)
            self._run_calls()
            yield ToolsDone(len(calls))
            self._held += time.monotonic() - self._held_since
            self._held_since = None
            self._spent = _add_usage(self._spent, self._usage)
            self._usage = None
            self._new_request()
        text = self.partial_text
        thought = "".join(self._thoughts[0])
        if not text.strip() and not thought.strip() and not self.rounds:
            raise EmptyReply(whitespace_only=bool(text))
        if self._finish[0] is None:
            raise IncompleteReply()
        self._finish_turn(interrupted=False)

    def _request(self) -> Iterator[Delta | Thought]:
        self._response = self._create().http_response
        self.receiving = True
        try:
            yield from self._read()
            yield from self._close_splitters()
        except Exception as exc:
            # After every choice said it is finished only usage can follow: the reply is
            # complete, whatever happens to the connection now.
            if not (self._all_finished() and is_api_error(exc)):
                raise
            log.debug("stream ended after the finish: %s", exc)
        finally:
            self._response.close()  # a stream left before its end must not hold the socket

    def _clock(self) -> float:
        """Seconds of generation: time.monotonic() without the time the tools held the turn."""
        now = time.monotonic()
        return now - self._held - (now - self._held_since if self._held_since is not None else 0.0)

    def _rounds_run(self) -> int:
        return sum(1 for m in self.rounds if m.get("tool_calls"))

    def _assembled(self) -> list[ToolCall]:
        """The calls of choice 1, in index order; a call without an id gets one."""
        return [
            ToolCall(ident or f"call_{len(self.rounds)}_{k}", name, arguments)
            for k, (ident, name, arguments) in sorted(self._calls.items())
        ]

    def _ask(self, calls: list[ToolCall]) -> None:
        """The assistant message that made the calls; DeepSeek wants the reasoning of a
        tool-calling reply back within the turn (it is left out of the history)."""
        self._asked = True
        message: Message = {
            "role": "assistant",
            "content": self.partial_text or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in calls
            ],
        }
        if self._sent_reasoning:
            message["reasoning_content"] = "".join(self._sent_reasoning)
        self.rounds.append(message)
        self._unanswered = list(calls)

    def _run_calls(self) -> None:
        runner = self._bot.tools
        sees = sees_images(self._bot.model)
        shown: list[tuple[ToolCall, ToolResult]] = []
        while self._unanswered:
            call = self._unanswered[0]
            result = runner.run(call, images=sees) if runner is not None else ToolResult(NO_TOOLS)
            self._unanswered.pop(0)
            self.rounds.append({"role": "tool", "tool_call_id": call.id, "content": result.text})
            if result.images:
                shown.append((call, result))
        if shown:
            self.rounds.append(images_message(shown))

    def _answer_unanswered(self, result: str) -> None:
        """Every call gets its result, so the history stays a valid conversation."""
        for call in self._unanswered:
            self.rounds.append({"role": "tool", "tool_call_id": call.id, "content": result})
            if self._bot.tools is not None:
                self._bot.tools.skipped(call, result)
        self._unanswered = []

    def _note_call(self, event: ToolCallDelta) -> None:
        if event.index != 0:
            return  # only choice 1 enters the history, so only its calls are run
        self._first_token = self._first_token or self._clock()  # a call is output too
        call = self._calls.setdefault(event.call, ["", "", ""])
        call[0] = call[0] or (event.id or "")
        call[1] = call[1] or (event.name or "")
        call[2] += event.arguments
        if len(call[2]) > MAX_TOOL_ARGUMENTS:
            raise Malformed(t("wire_tool_arguments_too_long", limit=MAX_TOOL_ARGUMENTS))

    def _create(self) -> Any:
        """Send the request; on "context length exceeded", trim harder and try once more."""
        # The raw response: the SDK still builds, authenticates and retries the request and
        # raises on error statuses, but the body is parsed here with json.loads, 9x cheaper
        # per chunk than the SDK's typed objects (bench/results.md).
        create = self._client().chat.completions.with_raw_response.create
        try:
            response = create(
                **self._bot.request_kwargs(self.plan.messages + self.rounds, self.attempt)
            )
        except Exception as exc:
            smaller = self._bot.shrink(self.plan, self.user_message, self.earlier)
            if smaller is None or not is_context_overflow(exc):
                raise
            self.plan = smaller
            if self.on_retry is not None:
                self.on_retry(smaller)
            response = create(
                **self._bot.request_kwargs(smaller.messages + self.rounds, self.attempt)
            )
            self._bot.learned_budget = smaller.tokens
        self._bot.trim_start = self.plan.first
        return response

    def interrupt(self) -> Reply:
        """Stop the reply now; keep what was received, flagged as interrupted."""
        close = getattr(self._response, "close", None)
        if close is not None:
            close()
        return self._finish_turn(interrupted=True)

    def _slot(self, index: int) -> None:
        while len(self._texts) <= index:
            self._texts.append([])
            self._thoughts.append([])
            self._splitters.append(ThinkSplitter())
            self._finish.append(None)

    def _note_content(self, index: int, text: str) -> Iterator[Delta | Thought]:
        """Content, split by the choice's `<think>` splitter into answer and reasoning."""
        self._slot(index)
        yield from self._pieces(index, self._splitters[index].feed(text))

    def _close_splitters(self) -> Iterator[Delta | Thought]:
        """What the splitters held back at the end of the stream (half a tag that was not)."""
        for index, splitter in enumerate(self._splitters):
            yield from self._pieces(index, splitter.close())

    def _pieces(self, index: int, pieces: list[Piece]) -> Iterator[Delta | Thought]:
        for piece in pieces:
            if piece.kind == "answer":
                yield self._note_answer(index, piece.text)
            elif piece.kind == "reasoning":
                yield self._note_thought(index, piece.text)
            else:  # the answer so far was thinking whose `<think>` was in the prompt
                self._thoughts[index].extend(self._texts[index])
                self._texts[index].clear()
                if index == 0:
                    self._first_answer = None

    def _note_answer(self, index: int, text: str) -> Delta:
        now = self._clock()
        self._first_token = self._first_token or now
        if index == 0 and self._first_answer is None:
            self._first_answer = now
        self._texts[index].append(text)
        return Delta(index, text)

    def _note_thought(self, index: int, text: str) -> Thought:
        self._first_token = self._first_token or self._clock()
        self._slot(index)
        self._thoughts[index].append(text)
        return Thought(index, text)

    def _read(self) -> Iterator[Delta | Thought]:
        """The reply as deltas, whatever shape the body has: an event stream, or (a server that
        ignored `stream`, an error, a web page) a whole body decoded in one piece."""
        response = self._response
        content_type = response.headers.get("content-type", "")
        if not self._bot.stream:
            yield from self._read_whole(body_json(content_type, response.text))
            return
        lines = sse_lines(response.iter_text())
        first = next((line for line in lines if line.strip()), "")
        rest = itertools.chain([first], lines)
        if looks_like_sse(first) or (not first and "event-stream" in content_type):
            yield from self._read_stream(rest)
        else:
            yield from self._read_whole(body_json(content_type, joined(rest)))

    def _read_stream(self, lines: Iterable[str]) -> Iterator[Delta | Thought]:
        """Events until `[DONE]`, the end of the body, or a finished reply.

        Every choice finished and usage received (it comes after the finish chunk with
        `include_usage`) ends the turn at once, so a server that holds the connection open
        without `[DONE]` costs no wait. Finished but no usage yet: the next event ends the
        turn (taking its usage, if any), and the wait for it is cut to `FINISH_GRACE`, the one
        timing guess, needed only by servers that neither send usage nor close.
        """
        n = self._bot.params.n
        for payload in sse_data(lines):
            if payload == "[DONE]":
                return
            finished = self._all_finished()
            try:
                events = list(decode_chunk(parse_json(payload), "delta", n))
            except Malformed as exc:
                if not finished:
                    raise
                log.debug("ignored after the finish: %s", exc)
                return
            if finished:
                self._usage = next(
                    (e.usage for e in events if isinstance(e, UsageEvent)), self._usage
                )
                return
            yield from self._apply(events)
            if self._all_finished():
                if self._usage is not None:
                    return
                self._bot.progress(FINISH_GRACE)

    def _read_whole(self, body: Any) -> Iterator[Delta | Thought]:
        yield from self._apply(decode_chunk(body, "message", self._bot.params.n))

    def _apply(self, events: Iterable[Event]) -> Iterator[Delta | Thought]:
        """Take in decoded events; text comes out as deltas and thoughts, any progress moves
        the deadline."""
        for event in events:
            match event:
                case TextDelta(index=index, text=text):
                    yield from self._note_content(index, text)
                case ReasoningDelta(index=index, text=text):
                    if index == 0:
                        self._sent_reasoning.append(text)
                    yield self._note_thought(index, text)
                case ToolCallDelta():
                    self._note_call(event)
                case Finish(index=index, reason=reason):
                    self._slot(index)
                    self._finish[index] = reason
                case UsageEvent(usage=usage):
                    self._usage = usage
                case LogprobsEvent(index=0, items=items):
                    self._logprobs.extend(items)
                case Meta(model=model, fingerprint=fingerprint):
                    self._model = model or self._model
                    self._fingerprint = fingerprint or self._fingerprint
                    continue
                case ServerErrorEvent(message=message):
                    raise ServerError(message, mid_reply=bool(self.partial_text))
            self._bot.progress()

    def _all_finished(self) -> bool:
        return len(self._finish) == self._bot.params.n and None not in self._finish

    def _finish_turn(self, *, interrupted: bool) -> Reply:
        now = self._clock()
        reasoning = "".join(self._thoughts[0])
        answered = self._first_answer or now
        self._answer_unanswered(NOT_RUN_INTERRUPTED)
        reply = Reply(
            # stopped while its calls were asked about or ran: the text is in that message
            choices=["" if self._asked else "".join(parts) for parts in self._texts],
            finish_reasons=list(self._finish),
            usage=_add_usage(self._spent, self._usage),
            model=self._model,
            system_fingerprint=self._fingerprint,
            logprobs=self._logprobs,
            interrupted=interrupted,
            elapsed=now - self._started if self._started else 0.0,
            first_token_after=(self._first_token - self._started) if self._first_token else None,
            reasoning=reasoning,
            reasoning_unclosed=self._splitters[0].unclosed,
            thinking_seconds=answered - self._started if reasoning and self._started else None,
            tool_messages=[  # the images stay out of the history: their descriptions stay
                {k: v for k, v in m.items() if k != "reasoning_content"}
                for m in self.rounds
                if m["role"] != "user"
            ],
            tool_limit_reached=self.limit_reached,
            short_attempt=self.attempt.max_tokens if self.attempt is not None else None,
        )
        self.reply = reply
        self._bot.unanswered = reply if reply.unanswered else None
        self._keep(reply)
        return reply

    def _client(self) -> OpenAI:
        return self._bot.client

    def _keep(self, reply: Reply) -> None:
        """A reply with an answer (or tool rounds) enters the history."""
        if reply.text.strip() or self.rounds:
            if not self.rounds:
                self._bot.calibrate(self.plan.messages, reply)
            self._bot.record(self.user_message, reply)
            self.kept = True


# What the model is told when its server has no prefix completion (the message is sent once,
# never kept in the history).
GO_ON = (
    "Your previous reply was cut off. Continue exactly where you stopped, from the very "
    "next character: do not repeat anything, do not add a preface."
)


class Continuation(Turn):
    """/continue: the last answer, cut (by the token limit, a dropped connection or Ctrl-C),
    goes on where it stopped.

    With prefix completion (DeepSeek's beta: the cut answer sent last, as an assistant
    message with `"prefix": true`) the model completes that very message; elsewhere an explicit
    instruction follows the answer, and is not kept. Either way the text that comes is joined
    to the answer (`ChatBot.extend`): one message in the history, one in the store.
    """

    def __init__(self, bot: ChatBot) -> None:
        if not bot.history or bot.history[-1]["role"] != "assistant":
            raise ValueError(t("continue_nothing"))
        self.answer = bot.history[-1]
        self.prefix = bot.prefix_url is not None
        if self.prefix:
            prompt = {"role": "assistant", "content": self.answer["content"], "prefix": True}
            self._begin(bot, prompt, bot.history[:-1])
        else:
            self._begin(bot, {"role": "user", "content": GO_ON})
        self.max_rounds = 0  # a continuation only writes: calls it makes are not run

    def _client(self) -> OpenAI:
        return self._bot.prefix_client if self.prefix else self._bot.client

    def _keep(self, reply: Reply) -> None:
        if reply.text:
            self._bot.extend(self.answer, reply)
        self.kept = True  # the answer it continues stays in the history either way


def joined_reply(first: Reply, then: Reply) -> Reply:
    """A cut reply and its continuation as one: what a reply written at once would be."""
    return replace(
        then,
        choices=[first.text + then.text],
        usage=_add_usage(first.usage, then.usage),
        elapsed=first.elapsed + then.elapsed,
        reasoning=first.reasoning + then.reasoning,
        logprobs=[*first.logprobs, *then.logprobs],
        tool_messages=first.tool_messages,
    )


def images_message(shown: list[tuple[ToolCall, ToolResult]]) -> Message:
    """The images of a round's results, as a user message after the `tool` messages (those
    carry text only), the way llm sends a tool's attachments to chat completions."""
    content: list[dict[str, Any]] = []
    for call, result in shown:
        what = f"The image(s) the tool call {call.id} ({call.name}) returned, in order:"
        content.append({"type": "text", "text": what})
        content += [{"type": "image_url", "image_url": {"url": i.url}} for i in result.images]
    return {"role": "user", "content": content}


def _add_usage(a: Usage | None, b: Usage | None) -> Usage | None:
    """What two requests of one turn used together (unknown parts stay unknown)."""
    if a is None or b is None:
        return a or b

    def both(x: int | None, y: int | None) -> int | None:
        return None if x is None or y is None else x + y

    return Usage(
        a.prompt_tokens + b.prompt_tokens,
        a.completion_tokens + b.completion_tokens,
        a.total_tokens + b.total_tokens,
        both(a.reasoning_tokens, b.reasoning_tokens),
        both(a.cached_tokens, b.cached_tokens),
    )


class ChatBot:
    """A conversation with a chat model; usable as a library: `ChatBot()("你好")` returns text."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        system: str | None = None,
        *,
        params: GenerationParams | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        stream: bool = True,
        history_limit: int | None = None,
        context_tokens: int | None = None,
        max_tokens_field: MaxTokensField | None = None,
        prices: Prices | None = None,
        client: OpenAI | None = None,
        tools: ToolRunner | None = None,
        tool_choice: str | None = None,
        max_tool_rounds: int = MAX_TOOL_ROUNDS,
        prefix_url: str | None = None,
    ) -> None:
        self.model = model
        self.system = system
        self.params = params or GenerationParams()
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.stream = stream
        self.history_limit = history_limit
        self.context_tokens = context_tokens
        self.prices = prices  # the user's own; else the price table's, by model and server
        self.tools = tools
        self.tool_choice = tool_choice  # auto, none, required, or a tool's name
        self.max_tool_rounds = max_tool_rounds
        # Where the server offers chat prefix completion (DeepSeek's beta URL), for /continue.
        self.prefix_url = prefix_url
        self.reported_context: dict[str, int] = {}  # model → window, as /models said
        self.learned_budget: int | None = None
        # Where the last request's history began: later plans start there (see fit_context).
        self.trim_start: Message | None = None
        self.trim_to = TRIM_TO
        self.token_scale = 1.0
        self._sizes: dict[int, tuple[Message, Any, int]] = {}
        self.on_record: list[Callable[[Reply], None]] = []
        # Told when a continuation joins an answer: the answer (changed in place), the reply.
        self.on_extend: list[Callable[[Message, Reply], None]] = []
        self.max_tokens_field: MaxTokensField = max_tokens_field or (
            "max_completion_tokens"
            if base_url is None or base_url.startswith(OPENAI_URL)
            else "max_tokens"
        )
        self.history: list[Message] = []
        self.replies: list[Reply] = []
        # The last turn when it ended thinking, with no answer: shown by /think, never sent.
        self.unanswered: Reply | None = None
        self._client = client
        self._deadline: Deadline | None = None
        # Told the seconds before the SDK retries a busy server (the bot never prints).
        self.on_wait: Callable[[float], None] | None = None
        # Told the lines the tools have for the user while a request is prepared (MCP
        # servers still starting, or failed), so the display shows them above its own.
        self.on_note: Tell | None = None
        # Set when chatcli runs the llama.cpp server itself (cli._run_local).
        self.local: LocalRun | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatBot:
        key = settings.api_key.get_secret_value() if settings.api_key else None
        return cls(
            model=settings.model,
            system=settings.system,
            params=settings.params,
            api_key=key,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            stream=settings.stream,
            history_limit=settings.history_limit,
            context_tokens=settings.context_tokens,
            max_tokens_field=settings.max_tokens_field,
            prices=settings.prices,
            tool_choice=settings.tool_choice,
            max_tool_rounds=settings.max_tool_rounds,
            prefix_url=settings.prefix_url,
        )

    def cost(self, reply: Reply) -> Cost | None:
        """What the reply cost, when the usage and a price for the model are known."""
        if reply.usage is None:
            return None
        usage = reply.usage
        counts = Tokens(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens or 0)
        return turn_cost(reply.model or self.model, self.display_url, counts, self.prices)

    @property
    def display_url(self) -> str:
        return self.base_url or OPENAI_URL

    @property
    def client(self) -> OpenAI:
        if self._client is None:
            if not self.api_key and self.base_url is None:
                raise MissingApiKey()
            from openai import OpenAI

            from chatcli.conversation.transport import Deadline, bounded_client

            self._deadline = Deadline(self.timeout)
            self._client = OpenAI(
                api_key=self.api_key or NO_KEY_PLACEHOLDER,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                http_client=bounded_client(
                    self._deadline, self._before_retry, timeout=self.timeout
                ),
            )
        return self._client

    @property
    def prefix_client(self) -> OpenAI:
        """The client, sent to the server's prefix-completion URL."""
        return self.client.with_options(base_url=self.prefix_url)

    def _before_retry(self, response: httpx2.Response) -> None:
        """A busy server's Retry-After: waited (and announced through `on_wait`) when it fits
        in --timeout; longer, the SDK is told not to retry, and the error says how long the
        server asked for (errors.describe)."""
        from chatcli.conversation.transport import pause

        if response.status_code != 429 and response.status_code < 500:
            return
        wait = retry_after(response.headers)
        if wait is None or wait <= 0:
            return
        if wait > longest_wait(self.timeout):
            response.headers["x-should-retry"] = "false"
            return
        taken = response.request.headers.get("x-stainless-retry-count", "0")
        if taken.isdecimal() and int(taken) >= self.max_retries:
            return
        if response.headers.get("x-should-retry") == "false":  # the server said not to
            return
        if self.on_wait is not None:
            self.on_wait(wait)
        # Waited here, in slices: the SDK's one long sleep would not wake for a Ctrl-C that
        # landed just before it began. The SDK then retries at once.
        pause(wait)
        response.headers["retry-after-ms"] = "1"

    def progress(self, seconds: float | None = None) -> None:
        """The reply moved on: the next socket wait may take `seconds` (default --timeout)."""
        if self._deadline is not None:
            self._deadline.restart(None if seconds is None else min(seconds, self.timeout))

    @property
    def context_window(self) -> int:
        """--context-tokens, else what the server's /models said, else the window of the
        model family (it follows /model)."""
        return (
            self.context_tokens
            or self.reported_context.get(self.model)
            or default_context_tokens(self.model)
        )

    @property
    def prompt_budget(self) -> int:
        """The window minus room for the reply (--max-tokens, else a quarter up to 4096)."""
        window = self.context_window
        reserve = self.params.max_tokens or min(REPLY_RESERVE, window // 4)
        budget = max(window - reserve, 0)
        return min(budget, self.learned_budget) if self.learned_budget else budget

    def estimate(self, message: Message) -> int:
        """Scaled estimate; raw sizes are cached because the toolbar asks on every keypress."""
        cached = self._sizes.get(id(message))
        if cached is None or cached[0] is not message or cached[1] is not message.get("content"):
            cached = (message, message.get("content"), estimate_message(message))
            self._sizes[id(message)] = cached
        return math.ceil(cached[2] * self.token_scale)

    def calibrate(self, sent: list[Message], reply: Reply) -> None:
        """Scale the estimates so the last request plus its reply cost what the server said."""
        if reply.usage is None or reply.usage.prompt_tokens <= 0 or len(reply.choices) != 1:
            return
        guessed = REQUEST_OVERHEAD + sum(
            estimate_message(m) for m in [*sent, {"role": "assistant", "content": reply.text}]
        )
        completion = reply.usage.completion_tokens
        if reply.reasoning:  # thinking is paid for but never sent again: not part of the scale
            thinking = reply.usage.reasoning_tokens or estimate_text(reply.reasoning)
            completion = max(completion - thinking, 0)
        actual = reply.usage.prompt_tokens + completion
        self.token_scale = min(max(actual / guessed, 0.25), 4.0)

    def context_size(self) -> int:
        """Estimated tokens of the whole conversation so far, as the next request would carry it."""
        system = [self.system_message] if self.system_message else []
        return REQUEST_OVERHEAD + sum(self.estimate(m) for m in [*system, *self.history])

    @property
    def system_message(self) -> Message | None:
        if not self.system or INPUT in self.system:
            return None
        return {"role": "system", "content": self.system}

    def fill(self, content: Content) -> Content:
        """A system prompt holding `{{input}}` is a template: each message fills it and is
        sent alone (a role such as 中英互译 or shell)."""
        if self.system and INPUT in self.system and isinstance(content, str):
            return self.system.replace(INPUT, content)
        return content

    def plan(
        self, new: Message, budget: int | None = None, earlier: list[Message] | None = None
    ) -> Trimmed:
        earlier = self.history if earlier is None else earlier
        if self.history_limit is not None:
            earlier = earlier[len(earlier) - self.history_limit :] if self.history_limit else []
            while earlier and earlier[0]["role"] != "user":
                earlier = earlier[1:]
        return fit_context(
            self.system_message,
            earlier,
            new,
            self.prompt_budget if budget is None else budget,
            self.estimate,
            start=self.trim_start,
            trim_to=self.trim_to,
        )

    def shrink(
        self, plan: Trimmed, new: Message, earlier: list[Message] | None = None
    ) -> Trimmed | None:
        """A plan with about half the tokens of `plan`, or None when nothing is left to drop."""
        smaller = self.plan(new, budget=plan.tokens // 2, earlier=earlier)
        return smaller if len(smaller.messages) < len(plan.messages) else None

    def request_kwargs(
        self, messages: list[Message], attempt: Attempt | None = None
    ) -> dict[str, Any]:
        """The request's arguments; a short attempt lowers the reply limit and adds its stops
        (where the user set none)."""
        p = self.params
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        for name in (
            "temperature",
            "top_p",
            "seed",
            "frequency_penalty",
            "presence_penalty",
            "logit_bias",
            "stop",
            "reasoning_effort",
        ):
            value = getattr(p, name)
            if value is not None:
                kwargs[name] = value
        if p.n != 1:
            kwargs["n"] = p.n
        if p.max_tokens is not None:
            kwargs[self.max_tokens_field] = p.max_tokens
        if attempt is not None:
            kwargs[self.max_tokens_field] = attempt.max_tokens
            kwargs.setdefault("stop", list(attempt.stop))
        if p.logprobs or p.top_logprobs is not None:
            kwargs["logprobs"] = True
            if p.top_logprobs is not None:
                kwargs["top_logprobs"] = p.top_logprobs
        if p.json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        extra = dict(p.extra_body or {})
        if p.repeat_penalty is not None:
            extra["repeat_penalty"] = p.repeat_penalty
        if extra:
            kwargs["extra_body"] = extra  # the SDK merges it into the JSON body
        if self.stream:
            kwargs["stream"] = True
            kwargs["stream_options"] = {"include_usage": True}
        specs = self.tools.specs(self.on_note) if self.tools is not None else []
        if specs:
            kwargs["tools"] = specs
            if self.tool_choice in ("auto", "none", "required"):
                kwargs["tool_choice"] = self.tool_choice
            elif self.tool_choice:
                kwargs["tool_choice"] = {"type": "function", "function": {"name": self.tool_choice}}
        return kwargs

    def stream_turn(self, content: Content) -> Turn:
        return Turn(self, content)

    def continue_turn(self) -> Continuation:
        """The last answer, going on (ValueError, one line, when the history ends in none)."""
        return Continuation(self)

    def extend(self, answer: Message, reply: Reply) -> None:
        """Join a continuation to the answer it continues, in place (the same message stays
        in the history), then tell the listeners (the store). This run's reply for that answer
        becomes the joined one: the text, the reasoning and the usage of both requests."""
        answer["content"] += reply.text
        if self.replies and self.replies[-1].text + reply.text == answer["content"]:
            self.replies[-1] = joined_reply(self.replies[-1], reply)
        for listener in self.on_extend:
            listener(answer, reply)

    def record(self, user_message: Message, reply: Reply) -> None:
        """Keep a finished (or interrupted) turn, then tell the listeners (the store)."""
        self.history.append(user_message)
        self.history.extend(reply.tool_messages)
        self.history.append({"role": "assistant", "content": reply.text})
        self.replies.append(reply)
        for listener in self.on_record:
            listener(reply)

    def __call__(self, content: Content) -> str:
        turn = self.stream_turn(content)
        for _ in turn:
            pass
        assert turn.reply is not None
        return turn.reply.text

    def _last_question(self) -> int | None:
        """Where the last exchange starts: its question (tool rounds and answer follow)."""
        if len(self.history) < 2:
            return None
        return next(
            (i for i in range(len(self.history) - 1, -1, -1) if self.history[i]["role"] == "user"),
            None,
        )

    @property
    def questions(self) -> int:
        """How many questions the history holds (`/history` numbers them from 1)."""
        return sum(1 for m in self.history if m["role"] == "user")

    def question(self, number: int) -> Content:
        """Question `number` (1-based) of the history."""
        content: Content = [m for m in self.history if m["role"] == "user"][number - 1]["content"]
        return content

    def back_to(self, number: int) -> Content:
        """Forget question `number` (1-based) and everything after it, tool calls included;
        returns its content, to ask again (/edit N)."""
        content = self.question(number)
        starts = [i for i, m in enumerate(self.history) if m["role"] == "user"]
        del self.history[starts[number - 1] :]
        # a resumed conversation has history but no Reply objects: they match its last turns
        del self.replies[max(len(self.replies) - (len(starts) - number + 1), 0) :]
        return content

    def undo(self) -> bool:
        """Forget the last exchange, its tool calls included; False when there is none."""
        if self._last_question() is None:
            return False
        self.back_to(self.questions)
        return True

    def take_back(self) -> Content | None:
        """Remove the last exchange and hand back its question, to ask again."""
        start = self._last_question()
        if start is None:
            return None
        content: Content = self.history[start]["content"]
        self.undo()
        return content

    def pick(self, number: int) -> str:
        """Put choice `number` (1-based) of the last reply into the history instead of choice 1."""
        if not self.replies:
            raise ValueError(t("pick_no_reply"))
        choices = self.replies[-1].choices
        if not 1 <= number <= len(choices):
            raise ValueError(t("pick_range", n=len(choices)))
        self.history[-1] = {"role": "assistant", "content": choices[number - 1]}
        return choices[number - 1]

    def clear(self) -> None:
        self.history.clear()
        self.replies.clear()
        self.unanswered = None
        self._sizes.clear()

    def set_system(self, system: str | None) -> None:
        """A new system prompt starts over: the old turns were written for the old one."""
        self.system = system or None
        self.clear()

    def list_models(self) -> list[str]:
        return [info.id for info in self.model_infos()]

    def model_infos(self) -> list[ModelInfo]:
        """The server's models; the context windows it reports are kept for `context_window`."""
        response = self.client.models.with_raw_response.list().http_response
        infos = decode_model_infos(
            body_json(response.headers.get("content-type", ""), response.text)
        )
        self.reported_context.update(
            {info.id: info.context_length for info in infos if info.context_length}
        )
        return infos
