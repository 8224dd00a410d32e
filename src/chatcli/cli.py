"""Entry point: parse flags, build Settings, pick the REPL or one-shot mode, map exit codes.

Only argparse is imported at module level, so `--help` and `--version` stay instant; the
settings model, rich and openai load once they are needed.

Exit codes: 0 success, 1 API or network failure (or stdout could not be written), 2 usage
or configuration error, 130 interrupted by Ctrl-C, 141 stdout closed (`chatcli ... | head`).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from typing import TYPE_CHECKING, NoReturn

from chatcli import __version__

if TYPE_CHECKING:  # imported lazily at run time: --help and --version stay instant
    from chatcli.oneshot import Job
    from chatcli.sessions import Resume
    from chatcli.settings import Settings

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141
EXIT_TOOL_REFUSED = 3

EPILOG = """\
Without PROMPT (and with a terminal on stdin) chatcli starts an interactive chat;
type 退出, exit or quit, or press Ctrl-D, to leave.

One-shot and pipes:
  chatcli "question"                 one reply, then exit
  cat notes.md | chatcli "总结一下"   stdin first, then a --- line, then the prompt
  chatcli - < message.txt            the whole message from stdin
  On a terminal the reply is rendered as markdown; into a pipe or file it is the raw
  text. Status and errors always go to stderr.

Configuration: flags > environment > .env > config file > provider preset > defaults.
  The config file is TOML (see --config-path, --init-config, --show-config);
  CHATCLI_CONFIG names another one. Presets: see --providers.

Exit codes:
  0    success
  1    API or network failure, or stdout could not be written (disk full)
  2    usage or configuration error
  3    a tool call was refused: not approved with --yes-tool and no terminal to ask
  130  interrupted by Ctrl-C
  141  stdout closed before the reply was written (e.g. | head, >&-)
"""


class Parser(argparse.ArgumentParser):
    """argparse that answers an unknown flag with the closest known one, in one line."""

    def error(self, message: str) -> NoReturn:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if unknown:
            options = [o for action in self._actions for o in action.option_strings]
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], options, n=1)
            if close:
                message += f" (did you mean {close[0]}?)"
        _say(message)
        self.exit(EXIT_USAGE)


def build_parser() -> Parser:
    p = Parser(
        prog="chatcli",
        description="Chat with OpenAI-compatible models in the terminal. 在终端里和大模型对话。",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("prompt", nargs="*", help="send one message and exit; '-' reads it from stdin")
    p.add_argument("-m", "--model", help="model name (default: the provider's)")
    p.add_argument(
        "-p",
        "--provider",
        metavar="NAME",
        help="openai, deepseek, qwen, moonshot, zhipu, siliconflow, anthropic, gemini, "
        "openrouter, groq, mistral, xai, together, doubao, minimax, stepfun, baichuan, "
        "hunyuan, qianfan, ollama, local, or one from the config file "
        "(env CHATCLI_PROVIDER; see --providers)",
    )
    p.add_argument(
        "-s", "--system", help="system prompt ({{input}} in it: a template each message fills)"
    )
    p.add_argument(
        "-r",
        "--role",
        metavar="NAME",
        help="a role: its prompt, model and parameters (flags still win; see /roles)",
    )
    p.add_argument("--base-url", help="API base URL (default: the provider's)")
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
    g.add_argument(
        "--reasoning-effort",
        metavar="LEVEL",
        help="how hard a reasoning model thinks: minimal, low, medium or high",
    )
    g.add_argument(
        "--extra-body",
        metavar="JSON",
        type=_json_object,
        help="a JSON object merged into the request body, e.g. "
        "'{\"enable_thinking\": false}' (over the provider table's extra_body)",
    )
    g.add_argument(
        "--reasoning",
        metavar="show|summary|hide",
        help="a reasoning model's thinking: streamed whole, one collapsed line (default), "
        "or nothing",
    )
    c = p.add_argument_group("conversation and connection")
    c.add_argument("--history-limit", metavar="N", help="send only the last N earlier messages")
    c.add_argument(
        "--context-tokens",
        metavar="N",
        help="the model's context window; the oldest turns are left out of a request that "
        "would not fit (default: what the server's /models says, else by model name, e.g. "
        "gpt-4o 128000, deepseek 128000, qwen-plus 131072; else 8192)",
    )
    r = c.add_mutually_exclusive_group()
    r.add_argument(
        "-c",
        "--continue",
        dest="resume_latest",
        action="store_true",
        help="resume the most recent saved conversation (see also: chatcli sessions)",
    )
    r.add_argument("--session", metavar="ID", type=int, help="resume saved conversation ID")
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
    tl = p.add_argument_group("tools (every call is shown and needs your consent)")
    tl.add_argument(
        "--tools",
        action="append",
        metavar="shell,read",
        help="enable built-in tools: shell (run_command) and read (read_file); off by default",
    )
    tl.add_argument(
        "--yes-tool",
        action="append",
        metavar="NAME",
        help="run this tool without asking (repeatable; there is no approve-all)",
    )
    tl.add_argument(
        "--max-tool-rounds",
        metavar="N",
        help="rounds of tool calls in one turn before chatcli stops them (default 10)",
    )
    tl.add_argument(
        "--tool-choice",
        metavar="auto|none|required|NAME",
        help="sent as tool_choice when tools are enabled (default: the server's)",
    )
    tl.add_argument(
        "--mcp-config",
        metavar="PATH",
        help='MCP servers from a Claude-Desktop-style JSON file ({"mcpServers": {...}})',
    )
    tl.add_argument(
        "--mcp",
        dest="use_mcp",
        action="append",
        metavar="NAME",
        help="use only this configured MCP server (repeatable)",
    )
    tl.add_argument(
        "--no-mcp", action="store_const", const=True, help="start no MCP server this run"
    )
    o = p.add_argument_group("offline model (needs the local extra)")
    o.add_argument(
        "--local",
        action="store_const",
        const=True,
        help="chat with the bundled SmolLM2 model through llama.cpp, no network needed "
        "(the default when no API key and no base URL are set)",
    )
    o.add_argument(
        "--local-model", metavar="PATH", help="serve this GGUF file instead (implies --local)"
    )
    o.add_argument("--local-ctx", metavar="N", help="its context size in tokens (default 4096)")
    out = p.add_argument_group("one-shot output")
    out.add_argument(
        "--raw", action="store_true", help="write the reply as plain text even on a terminal"
    )
    out.add_argument(
        "--json-output",
        action="store_true",
        help="print one JSON object: text, model, usage, finish_reason, reasoning",
    )
    out.add_argument(
        "--encoding", metavar="NAME", help="encoding of piped stdin (default utf-8), e.g. gbk"
    )
    out.add_argument(
        "-f",
        "--file",
        dest="files",
        metavar="PATH|URL",
        action="append",
        help="add a file, folder, glob or URL to the message (repeatable)",
    )
    cfg = p.add_argument_group("configuration")
    cfg.add_argument("--config-path", action="store_true", help="print the config file's path")
    cfg.add_argument(
        "--init-config", action="store_true", help="write a commented starter config file"
    )
    cfg.add_argument(
        "--init-role", metavar="NAME", help="write a role file to edit (roles/NAME.md)"
    )
    cfg.add_argument(
        "--providers",
        action="store_true",
        help="list the providers and whether each one's key is available",
    )
    cfg.add_argument(
        "--show-config",
        action="store_true",
        help="print the effective settings and where each one came from",
    )
    p.add_argument(
        "--debug",
        action="store_const",
        const=True,
        help="log HTTP requests and timings to stderr (keys redacted)",
    )
    p.add_argument("--version", action="version", version=f"chatcli {__version__}")
    return p


def _json_object(text: str) -> dict[str, object]:
    """--extra-body arrives parsed, so the provider table's extra_body merges under it."""
    from chatcli.providers import parse_json_object

    try:
        return parse_json_object(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    _say(message)
    return code


def _say(message: str) -> None:
    """`chatcli: message` on stderr, through the sink (neutralised, keys masked)."""
    from chatcli.sink import err

    err(message)


ACTIONS = ("config_path", "init_config", "init_role", "providers", "show_config")
OUTPUT = ("raw", "json_output", "encoding", "files")


def main(argv: list[str] | None = None) -> int:
    """Run chatcli; Ctrl-C anywhere (even while stdin is read) and a closed stdout end quietly,
    a stdout that cannot be written (closed from the start, a full disk) in one line."""
    from chatcli import stdio

    if not stdio.guard():
        from chatcli.i18n import detect, set_language, t

        set_language(detect(os.environ.get("CHATCLI_LANG")))
        return _fail(t("stdout_closed"), EXIT_BROKEN_PIPE)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`).
        stdio.discard_stdout()
        return EXIT_BROKEN_PIPE
    except stdio.OutputFailed as exc:
        stdio.discard_stdout()
        from chatcli.i18n import t

        return _fail(t("stdout_failed", reason=exc), EXIT_API)


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sessions"]:  # before the main parser, whose PROMPT would swallow it
        from chatcli import i18n, sessions

        i18n.set_language(i18n.detect(os.environ.get("CHATCLI_LANG")))
        return sessions.main(argv[1:])
    args = vars(build_parser().parse_args(argv))
    prompt: list[str] = args.pop("prompt", [])
    resume_latest, session = args.pop("resume_latest", False), args.pop("session", None)
    actions = {name: args.pop(name, False) for name in ACTIONS}
    output = {name: args.pop(name, None) for name in OUTPUT}

    from chatcli import config, i18n, stdio

    i18n.set_language(i18n.detect(args.get("lang") or os.environ.get("CHATCLI_LANG")))
    if actions["config_path"]:
        print(config.config_path(), file=stdio.stdout())
        return EXIT_OK
    if actions["init_config"]:
        try:
            config.init_config(config.config_path())
        except config.ConfigError as exc:
            return _fail(str(exc))
        _say(i18n.t("cfg_written", path=config.config_path()))
        return EXIT_OK

    from pydantic import ValidationError

    from chatcli import roles
    from chatcli.settings import Settings, describe_validation_error

    if actions["init_role"]:
        try:
            written = roles.init_role(actions["init_role"])
        except roles.RoleError as exc:
            return _fail(str(exc))
        _say(i18n.t("role_written", path=written))
        return EXIT_OK
    role_name = args.pop("role", None)
    try:
        role = roles.find(role_name) if role_name else None
    except roles.RoleError as exc:
        return _fail(str(exc))
    if role is not None:  # over the environment and the config file, under the flags
        args = {**role.settings, "system": role.prompt, **args}
    try:
        settings = Settings(**args)
    except ValidationError as exc:
        return _fail(describe_validation_error(exc, set(args)))
    except config.ConfigError as exc:
        return _fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f".env could not be read: {exc}")
    i18n.set_language(i18n.detect(settings.lang))
    if actions["providers"] or actions["show_config"]:
        from chatcli import config_commands

        show = (
            config_commands.list_providers if actions["providers"] else config_commands.show_config
        )
        show(settings, stdio.stdout())
        return EXIT_OK

    from chatcli import oneshot

    try:
        message = oneshot.gather(prompt, output["encoding"] or "utf-8", sys.stdin)
    except oneshot.InputError as exc:
        return _fail(str(exc))
    job = None
    if output["files"] and message is None:
        return _fail(i18n.t("attach_needs_message"))
    if message is not None:
        try:
            stage = oneshot.stage_files(output["files"] or [], settings.timeout)
        except oneshot.InputError as exc:
            return _fail(str(exc))
        job = oneshot.Job(
            message,
            raw=bool(output["raw"]),
            json_output=bool(output["json_output"]),
            stage=stage,
        )
    resume = None
    if resume_latest or session is not None:
        from chatcli.sessions import Resume

        resume = Resume(session, frozenset(args))
    return _run(settings, job, "api_key" in args, resume)


def _run(
    settings: Settings, job: Job | None, key_on_command_line: bool, resume: Resume | None = None
) -> int:
    """`job`: the one-shot message and output form, or None for the interactive chat."""
    from chatcli.i18n import t
    from chatcli.sink import remember_secrets

    remember_secrets(settings)
    if settings.debug:
        from chatcli.logs import enable_debug

        enable_debug()
    if key_on_command_line:
        _say(
            "warning: --api-key is visible to other users in the process list; "
            "prefer OPENAI_API_KEY or a .env file"
        )
    provider = settings.chosen_provider
    if settings.local or settings.local_model is not None:
        return _run_local(settings, job, fallback=False, resume=resume)
    if (
        settings.api_key is None
        and provider.api_key_env
        and settings.base_url is not None
        and settings.base_url == provider.base_url
    ):
        # The provider's own server, which wants a key: say which variable to set.
        return _fail(t("err_no_key_provider", provider=settings.provider, var=provider.api_key_env))
    if settings.api_key is None and settings.base_url is None:
        return _run_local(settings, job, fallback=True, resume=resume)
    from chatcli.config import ConfigError
    from chatcli.settings import check_trust

    try:
        check_trust(settings)
    except ConfigError as exc:
        return _fail(str(exc))
    return _converse(settings, job, resume)


def _run_local(
    settings: Settings, job: Job | None, *, fallback: bool, resume: Resume | None = None
) -> int:
    """Start the llama.cpp child and chat with it like with any other server.

    `fallback`: the user configured nothing, so say which model answers and how to go online.
    """
    from pydantic import SecretStr

    from chatcli import local, sink
    from chatcli.i18n import t

    try:
        name = local.model_name(settings.local_model or local.bundled_model())
    except local.LocalUnavailable as exc:
        return _fail(t("err_no_key_no_local") if fallback else str(exc))
    if fallback:
        _say(t("local_notice", model=name))
    local.stop_on_signals()
    try:
        with sink.console(stderr=True).status(t("local_starting", model=name)):
            server = local.start(settings.local_model, ctx=settings.local_ctx)
    except local.LocalModelError as exc:
        return _fail(str(exc), EXIT_USAGE if exc.usage else EXIT_API)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    update = {
        "base_url": server.base_url,
        "api_key": SecretStr(server.api_key),
        "model": server.model,
        "max_tokens_field": "max_tokens",
        "context_tokens": settings.context_tokens or settings.local_ctx,
    }
    if settings.local_model is None:
        update |= {k: v for k, v in local.BUNDLED_DEFAULTS.items() if getattr(settings, k) is None}
    sink.MASKER.add(server.api_key)
    with server:
        return _converse(
            settings.model_copy(update=update),
            job,
            resume.keeping("model") if resume is not None else None,
        )


def _converse(settings: Settings, job: Job | None, resume: Resume | None = None) -> int:
    """`resume`: a sessions.Resume from --continue/--session, or None."""
    from chatcli import sessions, sink
    from chatcli.bot import ChatBot

    bot = ChatBot.from_settings(settings)
    console = sink.console()
    from chatcli.consent import TerminalToolUI
    from chatcli.tools.config import McpConfigError
    from chatcli.tools.setup import toolbox

    ui = (
        TerminalToolUI(console)
        if job is None
        else TerminalToolUI(sink.console(stderr=True), on_stderr=True)
    )
    try:
        tools = toolbox(settings, ui)
    except McpConfigError as exc:
        return _fail(str(exc))
    if tools.hub is not None:
        from chatcli import local

        local.stop_on_signals()  # SIGTERM and SIGHUP end chatcli by its exit handlers
    bot.tools = tools
    recorder = sessions.start(
        bot,
        private=settings.private,
        resume=resume,
        status=sink.console(stderr=True),
        screen=console if job is None else None,
    )
    if recorder is None:
        return EXIT_USAGE
    if job is not None:
        from chatcli import oneshot

        try:
            outcome = oneshot.run(bot, job)
        except oneshot.InputError as exc:
            return _fail(str(exc))
        if outcome.interrupted:
            return EXIT_INTERRUPTED
        if outcome.error is not None:
            return EXIT_API
        if tools.refused:
            from chatcli.i18n import t

            return _fail(t("tool_refused_exit"), EXIT_TOOL_REFUSED)
        return EXIT_OK

    from chatcli import instant

    # The prompt goes up now; the line editor (0.1 s to import) takes over when ready.
    painted = instant.paint(console, bot.model, settings.exit_command)
    from chatcli import (  # noqa: F401 (register commands)
        repl,
        role_commands,
        session_commands,
        tool_commands,
    )

    try:
        return repl.run(
            bot,
            console,
            settings.exit_command,
            private=settings.private,
            store=recorder,
            painted=painted,
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
