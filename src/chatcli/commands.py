"""Slash commands: each registers with its name, usage and help, so /help is generated."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chatcli.bot import ChatBot
from chatcli.i18n import language, t


class Output(Protocol):
    """Where commands speak; the REPL supplies one backed by the terminal."""

    def info(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def markdown(self, text: str) -> None: ...


class ExitRequested(Exception):
    pass


class CommandError(Exception):
    """A bad argument: shown as one line, nothing changed."""


@dataclass
class Context:
    bot: ChatBot
    out: Output
    exit_command: str


Handler = Callable[[Context, str], None]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help_zh: str
    help_en: str
    handler: Handler

    @property
    def help(self) -> str:
        return self.help_zh if language() == "zh" else self.help_en


REGISTRY: dict[str, Command] = {}


def command(name: str, usage: str, zh: str, en: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        REGISTRY[name] = Command(name, usage, zh, en, handler)
        return handler

    return register


def split(line: str) -> tuple[str, str]:
    """'/model  gpt-4o ' → ('model', 'gpt-4o')."""
    head, _, rest = line.strip().removeprefix("/").partition(" ")
    return head.lower(), rest.strip()


def suggest(name: str) -> str | None:
    matches = difflib.get_close_matches(name, REGISTRY, n=1, cutoff=0.5)
    if matches:
        return "/" + matches[0]
    prefixed = [known for known in REGISTRY if known.startswith(name)] if name else []
    return "/" + prefixed[0] if prefixed else None


def dispatch(ctx: Context, line: str) -> None:
    name, argument = split(line)
    found = REGISTRY.get(name)
    if found is None:
        message = t("unknown_command", name="/" + name)
        suggestion = suggest(name)
        if suggestion:
            message += t("did_you_mean", suggestion=suggestion)
        ctx.out.error(message)
        return
    try:
        found.handler(ctx, argument)
    except CommandError as exc:
        ctx.out.error(str(exc))


@command("help", "/help [NAME]", "列出命令，或显示一个命令的说明", "list commands, or explain one")
def _help(ctx: Context, argument: str) -> None:
    if argument:
        name = argument.removeprefix("/")
        if name not in REGISTRY:
            raise CommandError(t("unknown_command", name="/" + name))
        found = REGISTRY[name]
        ctx.out.info(f"{found.usage}\n  {found.help}")
        return
    width = max(len(c.usage) for c in REGISTRY.values())
    lines = [t("help_title")]
    lines += [f"  {c.usage.ljust(width)}  {c.help}" for c in REGISTRY.values()]
    lines.append(t("help_exit", exit=ctx.exit_command))
    ctx.out.info("\n".join(lines))


@command("model", "/model [NAME]", "显示或切换模型", "show or switch the model")
def _model(ctx: Context, argument: str) -> None:
    if not argument:
        ctx.out.info(t("model_now", model=ctx.bot.model))
        return
    if " " in argument:
        raise CommandError("/model NAME: " + argument)
    ctx.bot.model = argument
    ctx.out.info(t("model_set", model=argument))


@command("models", "/models", "列出服务器上的模型", "list the server's models")
def _models(ctx: Context, argument: str) -> None:
    names = ctx.bot.list_models()
    ctx.out.info("\n".join(names) if names else t("no_models"))


@command(
    "system",
    "/system [TEXT]",
    "显示或设置系统提示（设置后对话重新开始）",
    "show or set the system prompt (restarts the conversation)",
)
def _system(ctx: Context, argument: str) -> None:
    if not argument:
        current = ctx.bot.system
        ctx.out.info(t("system_now", system=current) if current else t("system_none"))
        return
    ctx.bot.set_system(argument)
    ctx.out.info(t("system_set"))


@command(
    "clear", "/clear", "清空对话历史，保留系统提示", "forget the history, keep the system prompt"
)
def _clear(ctx: Context, argument: str) -> None:
    ctx.bot.clear()
    ctx.out.info(t("cleared"))


@command("history", "/history", "显示对话历史", "show the conversation so far")
def _history(ctx: Context, argument: str) -> None:
    if not ctx.bot.history:
        ctx.out.info(t("history_empty"))
        return
    system = [{"role": "system", "content": ctx.bot.system}] if ctx.bot.system else []
    for message in [*system, *ctx.bot.history]:
        content = message["content"]
        text = content if isinstance(content, str) else "[…]"
        ctx.out.info(f"{message['role']}: {text}")


@command("exit", "/exit", "退出", "quit")
def _exit(ctx: Context, argument: str) -> None:
    raise ExitRequested


REGISTRY["quit"] = Command("quit", "/quit", "退出", "quit", _exit)
