"""One message in, one reply out, for scripts and pipes.

stdout carries only the reply: markdown on a terminal, the raw text otherwise (or with
--raw), or one JSON object with --json-output (`{"error", "model"}` when the request
fails). Everything else goes to stderr, so `echo hi | chatcli "translate" > out.txt` leaves
a clean file. Gathering the input loads
neither rich nor openai, so the interactive chat does not pay for this module.
"""

from __future__ import annotations

import codecs
import io
import json
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TextIO

from chatcli.i18n import t

if TYPE_CHECKING:
    from chatcli.attach import Stage
    from chatcli.conversation.bot import ChatBot, Content, Reply
    from chatcli.store.recorder import Recorder
    from chatcli.terminal.exchange import Outcome

# Between piped text and the prompt: a rule on its own line, so the model sees where the
# material ends and the instruction starts.
SEPARATOR = "\n\n---\n\n"


@dataclass(frozen=True)
class Job:
    message: str
    raw: bool = False
    json_output: bool = False
    stage: Stage | None = None  # -f: files, folders, URLs read before anything starts


class InputError(Exception):
    """Nothing usable to send (exit code 2); the message is worded for the user."""


def gather(prompt: list[str], encoding: str, stdin: TextIO | None) -> str | None:
    """The message to send, or None when the interactive chat should start instead.

    `chatcli -` reads the whole message from stdin; otherwise piped text comes first and the
    prompt words follow, separated.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(t("unknown_encoding", name=encoding)) from None
    interactive = stdin is None or stdin.isatty()
    if prompt == ["-"]:
        if stdin is not None and interactive:
            from chatcli.terminal.sink import err

            err(t("reading_stdin"))
        message = _read(stdin, codec).rstrip()
    elif not prompt and interactive:
        return None
    else:
        message = compose("" if interactive else _read(stdin, codec), prompt)
    if not message.strip():
        raise InputError(t("nothing_to_send"))
    return message


def compose(piped: str, prompt: list[str]) -> str:
    question = " ".join(prompt).strip()
    piped = piped.rstrip()
    if piped.strip() and question:
        return piped + SEPARATOR + question
    return piped if piped.strip() else question


def _read(stdin: TextIO | None, codec: str) -> str:
    if stdin is None:
        return ""
    data = stdin.buffer.read()
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            t(
                "stdin_bad_encoding",
                encoding=codec,
                offset=exc.start,
                byte=data[exc.start : exc.start + 1],
            )
        ) from None
    return text.removeprefix("\ufeff")


def stage_files(sources: list[str], timeout: float) -> Stage | None:
    """Everything -f names, read now; the first that cannot be read stops the run (a secret
    named on its own is refused: there is no one to ask)."""
    if not sources:
        return None
    from chatcli.attach import Stage, stage_sources

    stage = Stage()
    problems: list[str] = []
    stage_sources(
        stage,
        sources,
        confirm=lambda question: False,
        timeout=timeout,
        say=lambda line: None,
        fail=problems.append,
    )
    if problems:
        raise InputError(problems[0])
    return stage


def run(bot: ChatBot, job: Job, recorder: Recorder | None = None) -> Outcome:
    """Send the message; the reply goes to stdout in the chosen form (the recorder learns
    what -f put in it)."""
    from chatcli.terminal import sink, stdio
    from chatcli.terminal.exchange import Presenter

    status = sink.console(stderr=True)
    stdout = stdio.stdout()
    if job.json_output:
        # The reply streams into a scratch buffer; the JSON object is written once complete.
        presenter = Presenter(status, status, raw=io.StringIO())
    elif job.raw or not sys.stdout.isatty():
        presenter = Presenter(status, status, raw=stdout)
    else:
        presenter = Presenter(sink.console(), status)
    content: Content = job.message
    if job.stage:
        from rich.text import Text

        from chatcli.attach import AttachError, check

        try:
            content, cost = check(bot, job.stage, job.message)
        except AttachError as exc:
            raise InputError(str(exc)) from None
        status.print(Text(cost, style="dim"))
        if recorder is not None:
            recorder.expect(content, job.stage.records())
    outcome = presenter.run(bot, content)
    if job.json_output and not outcome.interrupted:
        # A script reading stdout gets an object either way: the reply, what went wrong, or
        # both (a reply cut mid-stream: the text that came, and why it stopped).
        reply = outcome.reply
        result: dict[str, Any] = as_json(bot, reply) if reply is not None else {"model": bot.model}
        if reply is None or reply.interrupted:
            result["error"] = outcome.error
        stdout.write(sink.MASKER.mask(json.dumps(result, ensure_ascii=False)) + "\n")
        stdout.flush()
    return outcome


def as_json(bot: ChatBot, reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "model": reply.model or bot.model,
        "usage": (
            {k: v for k, v in asdict(reply.usage).items() if v is not None}  # reasoning_tokens
            if reply.usage is not None
            else None
        ),
        "finish_reason": reply.finish_reason,
        "reasoning": reply.reasoning,
    }
