"""One turn on screen: send through the bot, stream into a renderer, then the status line.

Shared by the REPL and one-shot mode so both report, interrupt and fail the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from rich.console import Console
from rich.text import Text

from chatcli.conversation.bot import (
    ChatBot,
    Content,
    Reply,
    Thought,
    ToolRound,
    ToolsDone,
    Turn,
    TurnEvent,
)
from chatcli.errors import describe, is_api_error, worth_retrying
from chatcli.i18n import t
from chatcli.terminal.pending import Pending
from chatcli.terminal.render import BlockSplitter, MarkdownStream, RawStream, finished_markdown
from chatcli.terminal.sanitize import neutralise
from chatcli.terminal.sink import MASKER, clean


@dataclass
class Outcome:
    reply: Reply | None
    error: str | None = None
    interrupted: bool = False
    unsent: bool = False  # the question is not in the history: /retry sends it again


class Presenter:
    """Owns the consoles: `out` for the reply, `status` for everything about it."""

    def __init__(
        self,
        out: Console,
        status: Console,
        *,
        raw: IO[str] | None = None,
        offers_continue: bool = False,
    ) -> None:
        self.out = out
        self.status = status
        self.raw = raw
        self.offers_continue = offers_continue  # the REPL, where /continue exists
        self._seed = ""  # shown again before a continuation's first word (resume_point)

    def run(self, bot: ChatBot, content: Content) -> Outcome:
        self.hint_language(bot, content)
        return self.play(bot, bot.stream_turn(content), image=has_image(content))

    def go_on(self, bot: ChatBot) -> Outcome:
        """/continue: the cut reply goes on, its unfinished block drawn again so that the
        continuation renders inside it. ValueError (one line) when there is no reply."""
        turn = bot.continue_turn()
        self._seed = resume_point(turn.answer["content"]) if self.raw is None else ""
        try:
            return self.play(bot, turn)
        finally:
            self._seed = ""

    def play(self, bot: ChatBot, turn: Turn, *, image: bool = False) -> Outcome:
        """Stream a turn, report how it ended, and the status line."""
        if turn.plan.dropped:
            self.note(t("context_trimmed", n=turn.plan.dropped))
        events = iter(turn)
        renderer = self._renderer()
        outcome: Outcome
        try:
            # One request after another while the model calls tools: the display of each
            # settles (renderer closed, waiting line gone) before the calls ask for consent.
            while not self._show_request(bot, turn, events, renderer):
                next(events)  # runs the calls: ToolsDone
                renderer = self._renderer()
            assert turn.reply is not None
            if turn.reply.tool_limit_reached:
                self.status.print(
                    Text(t("tool_rounds_limit", n=bot.max_tool_rounds), style="yellow")
                )
            unanswered = turn.reply.unanswered
            error = t("no_answer") if unanswered else None
            outcome = Outcome(turn.reply, error=error, unsent=not turn.kept)
        except KeyboardInterrupt:
            if turn.reply is None:
                reply = self._stop(turn, renderer)
                outcome = Outcome(reply, interrupted=True, unsent=not turn.kept)
            else:  # complete and saved; Ctrl-C stopped only the writing of it
                renderer.abandon()
                self.status.print(Text(t("interrupted"), style="yellow"))
                outcome = Outcome(turn.reply, interrupted=True)
        except Exception as exc:
            if not is_api_error(exc):
                raise
            # A reply cut mid-stream keeps the text shown, as Ctrl-C would: /continue goes on.
            cut = turn.receiving and bool(turn.partial_text.strip())
            kept = self._stop(turn, renderer) if cut else None
            if not cut:
                renderer.close()
            hint = ""
            if self.offers_continue and (cut or turn.receiving or worth_retrying(exc)):
                hint = t("hint_continue_retry" if kept is not None else "hint_retry")
            message = self.fail(exc, bot, mid_stream=turn.receiving, image=image, hint=hint)
            return Outcome(kept, error=message, unsent=not turn.kept)
        text = outcome.reply.text if outcome.reply is not None else ""
        if self.raw is not None and text and not text.endswith("\n"):
            self.raw.write("\n")
        if outcome.reply is not None:
            self.after(bot, outcome.reply)
        return outcome

    @staticmethod
    def _stop(turn: Turn, renderer: RawStream | MarkdownStream) -> Reply:
        """The reply ends before its end: what came is kept, flagged as interrupted, and the
        screen shows all of it (`abandon`), so the history, the store and the screen hold the
        same text."""
        renderer.abandon()
        return turn.interrupt()

    def hint_language(self, bot: ChatBot, content: Content) -> None:
        """Chinese to the English-only bundled model: once a session, say what would answer."""
        run = bot.local
        if run is not None and not run.hinted and run.english_only(content):
            run.hinted = True
            self.note(t("local_english_only"))

    def _renderer(self) -> RawStream | MarkdownStream:
        if self.raw is not None:
            return RawStream(self.raw, neutral=self.raw.isatty())
        return MarkdownStream(self.out)

    def _show_request(
        self,
        bot: ChatBot,
        turn: Turn,
        events: Iterator[TurnEvent],
        renderer: RawStream | MarkdownStream,
    ) -> bool:
        """Stream one request's reply; False when it ended in tool calls, still to run."""
        pending = Pending(
            self.status, bot.params.reasoning, waiting_for=lambda: waiting_for(bot, turn)
        )
        turn.on_retry = lambda plan: pending.note(
            Text(t("context_retry", n=plan.dropped), style="dim")
        )
        bot.on_wait = lambda seconds: pending.note(
            Text(t("server_busy", s=math.ceil(seconds)), style="yellow")
        )
        bot.on_note = lambda text, problem: pending.note(
            Text(clean(text), style="yellow" if problem else "dim"), soft_wrap=True
        )
        shown = 0  # characters of answer on screen, to tell when some of it was thinking
        with renderer:
            if bot.params.n > 1 and self.raw is None:
                self.out.rule(t("choice", k=1), style="dim")
            with pending:
                for event in events:
                    if isinstance(event, ToolRound):
                        return False
                    if event.index != 0 or isinstance(event, ToolsDone):
                        continue
                    if isinstance(event, Thought):
                        pending.add(event.text)
                    else:
                        pending.answer()
                        if self._seed:
                            renderer.feed(self._seed)
                            self._seed = ""
                        renderer.feed(event.text)
                        shown += len(event.text)
                assert turn.reply is not None
                usage = turn.reply.usage
                pending.close(usage.reasoning_tokens if usage is not None else None)
        if shown > len(turn.reply.text):  # `</think>` came with no `<think>` before it
            self.note(t("thought_was_shown"))
        return True

    def note(self, message: str) -> None:
        self.status.print(Text(message, style="dim"))

    def fail(
        self,
        exc: BaseException,
        bot: ChatBot,
        *,
        mid_stream: bool = False,
        image: bool = False,
        hint: str = "",
    ) -> str:
        """Report an API or network failure in one line, with `hint` (what the user can do)
        after it; returns the line (keys masked)."""
        message = describe(
            exc,
            base_url=bot.display_url,
            model=bot.model,
            timeout=bot.timeout,
            retries=bot.max_retries,
            mid_stream=mid_stream,
            image=image,
        )
        message = MASKER.mask(message) + hint
        self.error(message)
        return message

    def error(self, message: str) -> None:
        """One line, even in a log file: the terminal wraps it, rich need not."""
        text = Text(t("error", message=clean(message)), style="bold red")
        self.status.print(text, soft_wrap=True)

    def after(self, bot: ChatBot, reply: Reply) -> None:
        if self.raw is None:
            for k, text in enumerate(reply.choices[1:], start=2):
                self.out.rule(t("choice", k=k), style="dim")
                self.out.print(finished_markdown(text))
            if reply.logprobs:
                self.status.print(logprob_text(reply))
        if reply.interrupted:
            notice = t("interrupted")
            if self.offers_continue:  # the text kept can go on; a question alone is asked again
                notice += t("hint_continue_retry" if reply.text.strip() else "hint_retry")
            self.status.print(Text(notice, style="yellow"))
        elif reply.unanswered:
            self.status.print(Text(t("no_answer"), style="yellow"), soft_wrap=True)
        elif reply.short_attempt is not None and reply.finish_reason == "length":
            # The hint said why; going on would only add noise.
            self.status.print(Text(t("cut_short_attempt", n=reply.short_attempt), style="yellow"))
        elif reply.finish_reason == "length":
            notice = cut_notice(bot, reply)
            # Not when the bundled model's window is full: going on would only cut it again.
            if self.offers_continue and (bot.local is None or cut_by_reply_limit(bot, reply)):
                notice += t("cut_continue")
            self.status.print(Text(notice, style="yellow"))
        if self.raw is None:
            self.status.print(status_line(bot, reply))


def waiting_for(bot: ChatBot, turn: Turn) -> str:
    """What the wait before the first word is for: the offline model on this machine, a
    server that has not answered yet, or a model that has the request and has not begun."""
    if bot.local is not None:
        return "waiting_local"
    return "waiting_model" if turn.receiving else "waiting_server"


def status_line(bot: ChatBot, reply: Reply) -> Text:
    parts = [neutralise(reply.model or bot.model)]
    if reply.usage is None:
        parts.append(t("tokens_unknown"))
    else:
        tokens = t(
            "tokens", prompt=reply.usage.prompt_tokens, completion=reply.usage.completion_tokens
        )
        if reply.usage.reasoning_tokens:
            tokens += t("reasoning_tokens", n=reply.usage.reasoning_tokens)
        parts.append(tokens)
        cost = bot.cost(reply)
        if cost is not None:
            parts.append(str(cost))
        if reply.usage.cached_tokens is not None and reply.usage.prompt_tokens:
            parts.append(
                t("cache_share", share=reply.usage.cached_tokens / reply.usage.prompt_tokens)
            )
    parts.append(f"{reply.elapsed:.1f} s")
    if reply.thinking_seconds is not None:  # a part of the whole, rounded the same way
        thought = min(reply.thinking_seconds, reply.elapsed)
        parts.append(t("thought_status", s=f"{thought:.1f}"))
    if reply.tokens_per_second:
        parts.append(f"{reply.tokens_per_second:.0f} tok/s")
    if bot.params.seed is not None and reply.system_fingerprint:
        parts.append(t("fingerprint", fp=neutralise(reply.system_fingerprint)))
    parts.append(t("context_status", used=bot.context_size(), window=bot.context_window))
    return Text(" · ".join(parts), style="dim")


def logprob_text(reply: Reply) -> Text:
    """Each token with its probability, coloured from red (unlikely) to green (certain)."""
    text = Text(t("logprobs_title") + "\n", style="dim")
    for item in reply.logprobs:
        p = math.exp(item.logprob)
        colour = "green" if p >= 0.9 else "yellow" if p >= 0.5 else "red"
        text.append(neutralise(item.token).replace("\n", "⏎"), style=f"underline {colour}")
        text.append(f" {p:.0%}", style="dim")
        if item.top:
            alternatives = ", ".join(
                f"{neutralise(token)!r} {math.exp(lp):.0%}" for token, lp in item.top
            )
            text.append(f" ({alternatives})", style="dim")
            text.append("\n")
        else:
            text.append("  ")
    return text


def cut_notice(bot: ChatBot, reply: Reply) -> str:
    """Which limit ended a reply cut at finish_reason "length": the reply limit chatcli set
    for the bundled model, the user's --max-tokens, or the context window."""
    limit = bot.params.max_tokens
    if limit is not None and cut_by_reply_limit(bot, reply):
        if bot.local is not None and limit == bot.local.default_max_tokens:
            return t("cut_by_default_limit", n=limit)
        return t("cut_by_length", n=limit)
    if bot.local is not None:
        return t("cut_by_local_ctx", n=bot.local.ctx)
    return t("cut_by_window")


def cut_by_reply_limit(bot: ChatBot, reply: Reply) -> bool:
    """Whether the reply limit (--max-tokens, or the bundled model's) ended the reply."""
    limit = bot.params.max_tokens
    used = reply.usage.completion_tokens if reply.usage is not None else None
    return limit is not None and (used is None or used >= limit)


def resume_point(text: str) -> str:
    """Where the screen picks a cut reply up again: its unfinished block, drawn again so
    that the continuation renders inside it (a paragraph whole; in a code block, the opening
    fence and the unfinished line only, the lines before stay as they are)."""
    splitter = BlockSplitter()
    mid_line = not text.endswith("\n")
    finished = splitter.feed(text + "\n" if mid_line else text)  # the cut line is placed too
    if splitter.in_fence:
        lines = splitter.lines
        seed = lines[0] + (lines[-1] if mid_line and len(lines) > 1 else "")
    else:
        seed = splitter.tail or (finished[-1] if mid_line and finished else "")
    return seed[:-1] if mid_line else seed


def has_image(content: Content) -> bool:
    """An /image message: a text-only model's empty reply or refusal gets explained."""
    return not isinstance(content, str) and any(part.get("type") == "image_url" for part in content)
