"""Entry point: parse flags, build Settings, pick the REPL or one-shot mode, map exit codes.

Only argparse is imported at module level, so `--help` and `--version` stay instant; the
settings model, rich and openai load once they are needed.

Exit codes: 0 success, 1 API or network failure, 2 usage or configuration error,
130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from typing import Any, NoReturn

from chatcli import __version__

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse that answers an unknown flag with the closest known one, in one line."""

    def error(self, message: str) -> NoReturn:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if unknown:
            options = [o for action in self._actions for o in action.option_strings]
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], options, n=1)
            if close:
                message += f" (did you mean {close[0]}?)"
        self.exit(EXIT_USAGE, f"chatcli: {message}\n")


def build_parser() -> Parser:
    p = Parser(
        prog="chatcli",
        description="Chat with OpenAI-compatible models in the terminal. 在终端里和大模型对话。",
        epilog="Without PROMPT (and with a terminal on stdin) chatcli starts an interactive chat; "
        "type 退出, exit or quit, or press Ctrl-D, to leave. "
        "Exit codes: 0 ok, 1 API/network failure, 2 usage error, 130 interrupted.",
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("prompt", nargs="*", help="send one message and exit; '-' reads it from stdin")
    p.add_argument("-m", "--model", help="model name (default gpt-4o)")
    p.add_argument("-s", "--system", help="system prompt")
    p.add_argument("--base-url", help="API base URL (env OPENAI_BASE_URL)")
    p.add_argument(
        "--api-key", help="API key (prefer OPENAI_API_KEY: flags show in the process list)"
    )
    g = p.add_argument_group("generation parameters")
    g.add_argument("--temperature", metavar="T", help="sampling temperature, 0 to 2")
    g.add_argument("--top-p", metavar="P", help="nucleus sampling, 0 to 1")
    g.add_argument("--max-tokens", metavar="N", help="longest reply in tokens, 1 or more")
    g.add_argument("-n", metavar="N", help="number of choices to generate, 1 or more")
    g.add_argument(
        "--stop", action="append", metavar="TEXT", help="stop sequence (repeatable, at most 4)"
    )
    g.add_argument("--seed", metavar="N", help="seed for best-effort reproducible sampling")
    g.add_argument("--frequency-penalty", metavar="X", help="-2 to 2")
    g.add_argument("--presence-penalty", metavar="X", help="-2 to 2")
    g.add_argument(
        "--logit-bias",
        action="append",
        metavar="TOKEN_ID=BIAS",
        help="bias a token, -100 to 100 (repeatable)",
    )
    g.add_argument(
        "--logprobs", action="store_const", const=True, help="show each token's probability"
    )
    g.add_argument(
        "--top-logprobs", metavar="K", help="also show the K likeliest alternatives, 0 to 20"
    )
    g.add_argument(
        "--json",
        dest="json_mode",
        action="store_const",
        const=True,
        help="ask for a JSON object reply",
    )
    c = p.add_argument_group("conversation and connection")
    c.add_argument("--history-limit", metavar="N", help="send only the last N earlier messages")
    c.add_argument("--timeout", metavar="SECONDS", help="network timeout (default 60)")
    c.add_argument(
        "--max-retries", metavar="N", help="retries on 429/5xx/connection errors (default 2)"
    )
    c.add_argument(
        "--no-stream",
        dest="stream",
        action="store_const",
        const=False,
        help="wait for whole replies",
    )
    c.add_argument("--exit-command", metavar="WORD", help="word that ends the chat (default 退出)")
    c.add_argument("--lang", metavar="zh|en", help="interface language (default: from the locale)")
    c.add_argument(
        "--private",
        action="store_const",
        const=True,
        help="record nothing: no input history, no saved conversation",
    )
    p.add_argument("--version", action="version", version=f"chatcli {__version__}")
    return p


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    sys.stderr.write(f"chatcli: {message}\n")
    return code


def _read_stdin() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"stdin is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from None


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    prompt: list[str] = args.pop("prompt", [])

    from pydantic import ValidationError

    from chatcli.settings import Settings, describe_validation_error

    try:
        settings = Settings(**args)
    except ValidationError as exc:
        return _fail(describe_validation_error(exc, set(args)))
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f".env could not be read: {exc}")
    return _run(settings, prompt, "api_key" in args)


def _run(settings: Any, prompt: list[str], key_on_command_line: bool) -> int:
    from rich.console import Console

    from chatcli import i18n
    from chatcli.bot import ChatBot
    from chatcli.errors import MissingApiKey

    i18n.set_language(i18n.detect(settings.lang))
    if key_on_command_line:
        sys.stderr.write(
            "chatcli: warning: --api-key is visible to other users in the process list; "
            "prefer OPENAI_API_KEY or a .env file\n"
        )
    if settings.api_key is None and settings.base_url is None:
        return _fail(str(MissingApiKey()))
    bot = ChatBot.from_settings(settings)
    stdin_is_tty = sys.stdin.isatty()
    if prompt or not stdin_is_tty:
        try:
            piped = "" if stdin_is_tty and prompt != ["-"] else _read_stdin()
        except ValueError as exc:
            return _fail(str(exc))
        return _one_shot(bot, piped, [] if prompt == ["-"] else prompt)

    from chatcli import repl

    try:
        return repl.run(bot, Console(highlight=False), settings.exit_command)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _one_shot(bot: Any, piped: str, prompt: list[str]) -> int:
    from rich.console import Console

    from chatcli.exchange import Presenter

    question = " ".join(prompt)
    message = "\n\n".join(part for part in (piped.rstrip("\n"), question) if part.strip())
    if not message.strip():
        return _fail("nothing to send: give a prompt or pipe text on stdin")
    status = Console(stderr=True, highlight=False)
    if sys.stdout.isatty():
        presenter = Presenter(Console(highlight=False), status)
    else:
        presenter = Presenter(status, status, raw=sys.stdout)
    try:
        outcome = presenter.run(bot, message)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if outcome.error is None else EXIT_API
