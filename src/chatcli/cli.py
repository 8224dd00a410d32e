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
from typing import TYPE_CHECKING, Any, NoReturn

from chatcli import __version__

if TYPE_CHECKING:  # imported lazily at run time: --help and --version stay instant
    from chatcli.config.settings import Settings
    from chatcli.local.server import LocalRun
    from chatcli.oneshot import Job
    from chatcli.store.recorder import Resume
    from chatcli.tools.config import ToolCache
    from chatcli.tools.runner import Toolbox

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141
EXIT_TOOL_REFUSED = 3

PROVIDER_NAMES = (
    "openai, deepseek, qwen, moonshot, zhipu, siliconflow, anthropic, gemini, openrouter, groq, "
    "mistral, xai, together, doubao, minimax, stepfun, baichuan, hunyuan, qianfan, ollama, local"
)


class Parser(argparse.ArgumentParser):
    """argparse in the interface's language, answering an unknown flag with the closest known
    one, in one line."""

    def __init__(self, **kwargs: Any) -> None:
        from chatcli.i18n import argparse_in_language

        argparse_in_language()  # before the groups are named
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        from chatcli.i18n import t

        unknown = re.search(r"(?:unrecognized arguments|不认识的参数)[:：] ?(\S+)", message)
        if unknown:
            options = [o for action in self._actions for o in action.option_strings]
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], options, n=1)
            if close:
                message += t("did_you_mean_flag", suggestion=close[0])
        _say(message)
        self.exit(EXIT_USAGE)


def build_parser() -> Parser:
    """Help in the language set by then (see `_early_language`)."""
    from chatcli.i18n import t

    p = Parser(
        prog="chatcli",
        description=t("help_description"),
        epilog=t("help_epilog"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("prompt", nargs="*", help=t("help_prompt"))
    p.add_argument("-m", "--model", help=t("help_model"))
    p.add_argument(
        "-p", "--provider", metavar="NAME", help=t("help_provider", names=PROVIDER_NAMES)
    )
    p.add_argument("-s", "--system", help=t("help_system"))
    p.add_argument("-r", "--role", metavar="NAME", help=t("help_role"))
    p.add_argument("--base-url", help=t("help_base_url"))
    p.add_argument("--api-key", help=t("help_api_key"))
    g = p.add_argument_group(t("help_group_generation"))
    g.add_argument("--temperature", metavar="T", help=t("help_temperature"))
    g.add_argument("--top-p", metavar="P", help=t("help_top_p"))
    g.add_argument("--max-tokens", metavar="N", help=t("help_max_tokens"))
    g.add_argument("-n", metavar="N", help=t("help_n"))
    g.add_argument("--stop", action="append", metavar="TEXT", help=t("help_stop"))
    g.add_argument("--seed", metavar="N", help=t("help_seed"))
    g.add_argument("--frequency-penalty", metavar="X", help=t("help_penalty"))
    g.add_argument("--presence-penalty", metavar="X", help=t("help_penalty"))
    g.add_argument("--repeat-penalty", metavar="X", help=t("help_repeat_penalty"))
    g.add_argument(
        "--logit-bias", action="append", metavar="TOKEN_ID=BIAS", help=t("help_logit_bias")
    )
    g.add_argument("--logprobs", action="store_const", const=True, help=t("help_logprobs"))
    g.add_argument("--top-logprobs", metavar="K", help=t("help_top_logprobs"))
    g.add_argument(
        "--json", dest="json_mode", action="store_const", const=True, help=t("help_json")
    )
    g.add_argument("--reasoning-effort", metavar="LEVEL", help=t("help_reasoning_effort"))
    g.add_argument("--extra-body", metavar="JSON", type=_json_object, help=t("help_extra_body"))
    g.add_argument("--reasoning", metavar="show|summary|hide", help=t("help_reasoning"))
    c = p.add_argument_group(t("help_group_conversation"))
    c.add_argument("--history-limit", metavar="N", help=t("help_history_limit"))
    c.add_argument("--context-tokens", metavar="N", help=t("help_context_tokens"))
    r = c.add_mutually_exclusive_group()
    r.add_argument(
        "-c",
        "--continue",
        dest="resume_latest",
        action="store_true",
        help=t("help_continue"),
    )
    r.add_argument("--session", metavar="ID", type=int, help=t("help_session"))
    c.add_argument("--timeout", metavar="SECONDS", help=t("help_timeout"))
    c.add_argument("--max-retries", metavar="N", help=t("help_max_retries"))
    c.add_argument(
        "--no-stream", dest="stream", action="store_const", const=False, help=t("help_no_stream")
    )
    c.add_argument("--exit-command", metavar="WORD", help=t("help_exit_command"))
    c.add_argument("--lang", metavar="zh|en", help=t("help_lang"))
    c.add_argument("--private", action="store_const", const=True, help=t("help_private"))
    tl = p.add_argument_group(t("help_group_tools"))
    tl.add_argument(
        "--tools",
        action="append",
        metavar="shell,read",
        help=t("help_tools"),
    )
    tl.add_argument(
        "--yes-tool",
        action="append",
        metavar="[SERVER.]TOOL",
        help=t("help_yes_tool"),
    )
    tl.add_argument(
        "--max-tool-rounds",
        metavar="N",
        help=t("help_max_tool_rounds"),
    )
    tl.add_argument(
        "--tool-choice",
        metavar="auto|none|required|NAME",
        help=t("help_tool_choice"),
    )
    tl.add_argument(
        "--mcp-config",
        metavar="PATH",
        help=t("help_mcp_config"),
    )
    tl.add_argument(
        "--mcp",
        dest="use_mcp",
        action="append",
        metavar="NAME",
        help=t("help_mcp"),
    )
    tl.add_argument("--no-mcp", action="store_const", const=True, help=t("help_no_mcp"))
    o = p.add_argument_group(t("help_group_offline"))
    o.add_argument("--local", action="store_const", const=True, help=t("help_local"))
    o.add_argument("--local-model", metavar="PATH", help=t("help_local_model"))
    o.add_argument("--local-ctx", metavar="N", help=t("help_local_ctx"))
    out = p.add_argument_group(t("help_group_output"))
    out.add_argument("--raw", action="store_true", help=t("help_raw"))
    out.add_argument("--json-output", action="store_true", help=t("help_json_output"))
    out.add_argument("--encoding", metavar="NAME", help=t("help_encoding"))
    out.add_argument(
        "-f", "--file", dest="files", metavar="PATH|URL", action="append", help=t("help_file")
    )
    cfg = p.add_argument_group(t("help_group_configuration"))
    cfg.add_argument("--config-path", action="store_true", help=t("help_config_path"))
    cfg.add_argument("--init-config", action="store_true", help=t("help_init_config"))
    cfg.add_argument("--init-role", metavar="NAME", help=t("help_init_role"))
    cfg.add_argument("--providers", action="store_true", help=t("help_providers"))
    cfg.add_argument("--show-config", action="store_true", help=t("help_show_config"))
    p.add_argument("--debug", action="store_const", const=True, help=t("help_debug"))
    p.add_argument(
        "--version", action="version", version=f"chatcli {__version__}", help=t("help_version")
    )
    return p


def _early_language(argv: list[str]) -> str | None:
    """--lang as given on the command line, read before the parser exists (its help is
    written in that language)."""
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word.startswith("--lang="):
            return word.partition("=")[2]
        if word == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
    return None


def _after_language(argv: list[str]) -> list[str]:
    """The words after a leading `--lang X`: `chatcli --lang zh sessions …` is the subcommand
    in Chinese, not a prompt."""
    if argv[:1] == ["--lang"]:
        return argv[2:]
    return argv[1:] if argv[:1] and argv[0].startswith("--lang=") else argv


def _json_object(text: str) -> dict[str, object]:
    """--extra-body arrives parsed, so the provider table's extra_body merges under it."""
    from chatcli.config.providers import parse_json_object

    try:
        return parse_json_object(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    _say(message)
    return code


def _say(message: str) -> None:
    """`chatcli: message` on stderr, through the sink (neutralised, keys masked)."""
    from chatcli.terminal.sink import err

    err(message)


ACTIONS = ("config_path", "init_config", "init_role", "providers", "show_config")
OUTPUT = ("raw", "json_output", "encoding", "files")


def main(argv: list[str] | None = None) -> int:
    """Run chatcli; Ctrl-C anywhere (even while stdin is read) and a closed stdout end quietly,
    a stdout that cannot be written (closed from the start, a full disk) in one line."""
    from chatcli.terminal import stdio

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
    from chatcli import i18n

    i18n.set_language(i18n.detect(_early_language(argv) or os.environ.get("CHATCLI_LANG")))
    subcommand = _after_language(argv)
    if subcommand[:1] == ["sessions"]:  # before the main parser, whose PROMPT would swallow it
        from chatcli.terminal import sessions

        return sessions.main(subcommand[1:])
    if subcommand[:1] == ["models"]:
        from chatcli.terminal import models

        return models.main(subcommand[1:])
    args = vars(build_parser().parse_args(argv))
    prompt: list[str] = args.pop("prompt", [])
    resume_latest, session = args.pop("resume_latest", False), args.pop("session", None)
    actions = {name: args.pop(name, False) for name in ACTIONS}
    output = {name: args.pop(name, None) for name in OUTPUT}

    from chatcli.config import file as config
    from chatcli.terminal import stdio

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

    from chatcli.config.settings import Settings, describe_validation_error

    role_name = args.pop("role", None)
    if actions["init_role"] or role_name:
        from chatcli.config import roles  # only when asked for
    if actions["init_role"]:
        try:
            written = roles.init_role(actions["init_role"])
        except roles.RoleError as exc:
            return _fail(str(exc))
        _say(i18n.t("role_written", path=written))
        return EXIT_OK
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
    except OSError as exc:
        return _fail(i18n.t("dotenv_bad", reason=i18n.os_reason(exc)))
    except UnicodeDecodeError:
        return _fail(i18n.t("dotenv_bad", reason=i18n.t("not_utf8")))
    i18n.set_language(i18n.detect(settings.lang))
    if actions["providers"] or actions["show_config"]:
        from chatcli.terminal import config_commands

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
        from chatcli.store.recorder import Resume

        resume = Resume(session, frozenset(args))
        refusal = resume.refusal()
        if refusal is not None:
            return _fail(refusal)
    return _run(settings, job, "api_key" in args, resume)


def uses_local(settings: Settings) -> bool:
    """The offline model answers: asked for, or nothing online configured (no key, no URL)."""
    return (
        settings.local
        or settings.local_model is not None
        or (settings.api_key is None and settings.base_url is None)
    )


def wants_local(argv: list[str]) -> bool:
    """Whether `chatcli ARGV` would start the offline model, so `make chat` builds it only
    then: not with any provider's key at hand, nor for whatever stops before (a bad flag,
    --help, sessions, a config error)."""
    if _after_language(argv)[:1] in (["sessions"], ["models"]):
        return False
    try:
        args = vars(build_parser().parse_args(argv))
    except SystemExit:
        return False
    if any(args.get(name) for name in ACTIONS):
        return False
    for name in ("prompt", "resume_latest", "session", *ACTIONS, *OUTPUT):
        args.pop(name, None)
    from pydantic import ValidationError

    from chatcli.config.file import ConfigError
    from chatcli.config.providers import PRESETS
    from chatcli.config.settings import Settings, dotenv_variables, find_variable

    try:
        settings = Settings(**args)
        if settings.local or settings.local_model is not None:
            return True
        dotenv = dotenv_variables()
        keys = (find_variable(p.api_key_env, dotenv) for p in PRESETS.values())
        return uses_local(settings) and not any(keys)
    except (ValidationError, ConfigError, OSError, UnicodeDecodeError):
        return False


def _run(
    settings: Settings, job: Job | None, key_on_command_line: bool, resume: Resume | None = None
) -> int:
    """`job`: the one-shot message and output form, or None for the interactive chat."""
    from chatcli.i18n import t
    from chatcli.terminal.sink import remember_secrets

    remember_secrets(settings)
    if settings.debug:
        from chatcli.terminal.logs import enable_debug

        enable_debug()
    if key_on_command_line:
        _say(t("api_key_visible"))
    provider = settings.chosen_provider
    if uses_local(settings):
        chosen = settings.local or settings.local_model is not None
        return _run_local(settings, job, fallback=not chosen, resume=resume)
    if (
        settings.api_key is None
        and provider.api_key_env
        and settings.base_url is not None
        and settings.base_url == provider.base_url
    ):
        # The provider's own server, which wants a key: say which variable to set.
        return _fail(t("err_no_key_provider", provider=settings.provider, var=provider.api_key_env))
    from chatcli.config.file import ConfigError
    from chatcli.config.settings import check_trust

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
    The model: --local-model (a file, or a pulled model's name), else the most recently
    pulled one (`chatcli models pull`), else the bundled one.
    """
    from pydantic import SecretStr

    from chatcli.i18n import t
    from chatcli.local import catalogue
    from chatcli.local import server as local
    from chatcli.terminal import sink

    try:
        model = catalogue.resolve(settings.local_model)
        name = local.model_name(model or local.bundled_model())
    except catalogue.CatalogueError as exc:
        return _fail(str(exc))
    except local.LocalUnavailable as exc:
        return _fail(t("err_no_key_no_local") if fallback else str(exc))
    if fallback:
        _say(t("local_notice" if model is None else "local_notice_pulled", model=name))
    local.stop_on_signals()
    try:
        with sink.console(stderr=True).status(t("local_starting", model=name)):
            server = local.start(model, ctx=settings.local_ctx)
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
    run = local.LocalRun(ctx=settings.local_ctx, bundled=model is None)
    if run.bundled:
        update |= {k: v for k, v in local.BUNDLED_DEFAULTS.items() if getattr(settings, k) is None}
        if settings.max_tokens is None:
            run.default_max_tokens = local.BUNDLED_MAX_TOKENS
    sink.MASKER.add(server.api_key)
    with server:
        return _converse(
            settings.model_copy(update=update),
            job,
            resume.keeping("model") if resume is not None else None,
            run,
        )


def _stop_servers_on_signals(tools: Toolbox) -> None:
    """With MCP servers, SIGTERM and SIGHUP end chatcli by its exit handlers (which stop
    them); without, the default end is as good."""
    if tools.hub is not None:
        from chatcli.local import server as local

        local.stop_on_signals()


def _tool_cache(settings: Settings) -> ToolCache:
    """The store, where the MCP servers' tool lists are remembered (read only with
    --private); read only when servers are configured."""
    from chatcli.store.tool_cache import StoredToolCache

    return StoredToolCache(write=not settings.private)


def _converse(
    settings: Settings,
    job: Job | None,
    resume: Resume | None = None,
    local_run: LocalRun | None = None,
) -> int:
    """`resume`: a sessions.Resume from --continue/--session, or None; `local_run`: what
    chatcli chose for the llama.cpp server it runs."""
    from chatcli.conversation.bot import ChatBot
    from chatcli.terminal import sessions, sink

    bot = ChatBot.from_settings(settings)
    bot.local = local_run
    console = sink.console()
    from chatcli.terminal.consent import TerminalToolUI
    from chatcli.tools.config import McpConfigError
    from chatcli.tools.setup import toolbox

    ui = (
        TerminalToolUI(console)
        if job is None
        else TerminalToolUI(sink.console(stderr=True), on_stderr=True)
    )
    try:
        tools = toolbox(settings, ui, _tool_cache(settings))
    except McpConfigError as exc:
        return _fail(str(exc))
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
    tools.recall(bot.history)  # a resumed conversation's calls: `/tool N` shows them
    if job is not None:
        from chatcli import oneshot

        if tools.hub is not None:
            tools.hub.warm()  # a server never seen: the question waits for its tools
        _stop_servers_on_signals(tools)
        try:
            outcome = oneshot.run(bot, job, recorder)
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

    from chatcli.terminal import instant

    note = ""
    if settings.origin("provider").kind == "model":
        from chatcli.i18n import t

        var = settings.chosen_provider.api_key_env
        note = t("welcome_inferred", provider=settings.provider, var=var)
    # The prompt goes up now; the line editor (0.1 s to import) takes over when ready.
    painted = instant.paint(console, bot.model, settings.exit_command, note)
    _stop_servers_on_signals(tools)  # after the paint: it costs an import, the servers start later
    from chatcli.terminal import (  # noqa: F401 (register commands)
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
            welcome_note=note,
        )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
