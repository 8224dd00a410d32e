"""Slash commands: each registers with its name, usage and help, so /help is generated."""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError, create_model

from chatcli.attach import Stage
from chatcli.config.paths import write_private
from chatcli.config.settings import GenerationParams, Settings, describe_validation_error
from chatcli.conversation.bot import ChatBot, Content
from chatcli.i18n import follow, language, os_reason, t
from chatcli.images import image_message
from chatcli.store.recorder import Recorder, read_file
from chatcli.store.records import content_text, describe
from chatcli.store.stats import Tally
from chatcli.store.transcript import to_json, to_markdown
from chatcli.terminal.attached import shown
from chatcli.terminal.instant import prompt_text
from chatcli.terminal.render import code_blocks
from chatcli.terminal.sessions import count_turns

# The context window is the bot's own (the budget counts with it), not sent with requests.
WINDOW = "context_tokens"
SETTABLE = [*GenerationParams.model_fields, WINDOW]
_Window = create_model("_Window", context_tokens=(int | None, Settings.model_fields[WINDOW]))
LIST_PARAMS = {"stop", "logit_bias"}
JSON_PARAMS = {"extra_body"}
YES_NO = {"是": "true", "否": "false"}  # /set shows a yes/no setting in these words: it takes them


class Output(Protocol):
    """Where commands speak; the REPL supplies one backed by the terminal."""

    def info(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def thought(self, text: str) -> None: ...


class UI(Protocol):
    """What commands may ask of the interactive terminal."""

    def send(self, content: Content) -> None: ...
    def go_on(self) -> None: ...
    def copy(self, text: str) -> None: ...
    def toggle_multiline(self) -> bool: ...
    def confirm(self, question: str) -> bool: ...
    def edit(self, initial: str) -> str | None: ...
    def remember_models(self, names: list[str]) -> None: ...


class ExitRequested(Exception):
    pass


class CommandError(Exception):
    """A bad argument: shown as one line, nothing changed."""


@dataclass
class Context:
    bot: ChatBot
    out: Output
    ui: UI
    exit_command: str
    failed: Content | None = None
    store: Recorder | None = None  # saved conversations; None when history is off
    stage: Stage = field(default_factory=Stage)  # context for the next message (/file)


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
        raise CommandError(t("model_has_space", name=argument))
    ctx.bot.model = argument
    ctx.out.info(t("model_set", model=argument))


@command("models", "/models", "列出服务器上的模型", "list the server's models")
def _models(ctx: Context, argument: str) -> None:
    infos = ctx.bot.model_infos()
    ctx.ui.remember_models([info.id for info in infos])
    lines = [
        t("model_context", model=info.id, tokens=info.context_length)
        if info.context_length
        else info.id
        for info in infos
    ]
    ctx.out.info("\n".join(lines) if lines else t("no_models"))


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


@command(
    "history",
    "/history",
    "显示对话历史（当前分支），问题带编号",
    "show the conversation so far (the active branch), questions numbered",
)
def _history(ctx: Context, argument: str) -> None:
    if not ctx.bot.history:
        ctx.out.info(t("history_empty"))
        return
    system = [{"role": "system", "content": ctx.bot.system}] if ctx.bot.system else []
    width = len(str(ctx.bot.questions))
    number = 0
    for message in [*system, *ctx.bot.history]:
        thought = recorder(ctx).reasoning_of(message)
        if thought:
            ctx.out.info(t("history_reasoning", n=len(thought)))
        content = message["content"]
        text = content if isinstance(content, str) else "[…]"
        if message["role"] == "user":  # the number /edit N takes
            number += 1
            text = shown(recorder(ctx).stored(message), text)
        elif recorder(ctx).was_interrupted(message):  # Ctrl-C, or a dropped connection
            text += t("history_interrupted")
        label = str(number).rjust(width) if message["role"] == "user" else " " * width
        speaker = t(f"speaker_{message['role']}")
        ctx.out.info(t("history_line", label=label, speaker=speaker, text=text))


def quote_error(command: str, exc: ValueError) -> str:
    """shlex's two complaints, in the interface's language."""
    key = "quote_unclosed" if "quotation" in str(exc) else "quote_backslash"
    return t("quote_error", command=command, reason=t(key))


def _param_name(word: str) -> str:
    name = word.replace("-", "_").lower()
    if name == "json":
        name = "json_mode"
    if name not in SETTABLE:
        close = difflib.get_close_matches(name, SETTABLE, n=1)
        hint = t("did_you_mean", suggestion=close[0]) if close else ""
        raise CommandError(t("unknown_param", name=word) + hint)
    return name


def recorder(ctx: Context) -> Recorder:
    """The conversation's recorder; one with history off where the caller gave none."""
    if ctx.store is None:
        ctx.store = Recorder(ctx.bot, None, ctx.out.error)
    return ctx.store


def value_text(value: object) -> str:
    """A parameter's value in the user's words, not Python's: `是`/`false`, `summary`,
    `["END"]`; one left to the server reads as not set, not `None`."""
    if value is None:
        return t("value_unset")
    if isinstance(value, bool):
        return t("value_yes" if value else "value_no")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _setting(name: str, value: object) -> str:
    """`temperature = 0.2`."""
    return f"{name} = {value_text(value)}"


_ESCAPES = {" ": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_WORD = re.compile(
    r"""(\s+)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(["'])|((?:[^\s"'\\]|\\.|\\$)+)""",
    re.S,
)
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[0]), text)


def words(text: str) -> list[str]:
    """A `/set` value split into words as a shell splits them (quotes group), reading the
    usual escapes inside quotes and out: \\n, \\t, \\r, \\\\, \\" and \\' (another
    backslash stays as typed). ValueError for a quote left open."""
    found: list[str] = []
    current: str | None = None
    for match in _WORD.finditer(text):
        space, double, single, unclosed, plain = match.groups()
        if unclosed is not None:
            raise ValueError(t("quote_unclosed"))
        if space is not None:
            if current is not None:
                found.append(current)
            current = None
            continue
        piece = next(part for part in (double, single, plain) if part is not None)
        current = (current or "") + _unescape(piece)
    if current is not None:
        found.append(current)
    return found


def _show_params(ctx: Context) -> None:
    changed = ctx.bot.params.differs_from_defaults()
    lines = ["  " + _setting(name, value) for name, value in ctx.bot.params.model_dump().items()]
    lines.append("  " + _setting(WINDOW, ctx.bot.context_tokens))
    ctx.out.info("\n".join(lines))
    if not changed:
        ctx.out.info(t("params_default"))


@command("set", "/set [PARAM VALUE]", "显示或设置生成参数", "show or set a generation parameter")
def _set(ctx: Context, argument: str) -> None:
    if not argument:
        _show_params(ctx)
        return
    head, *tail = argument.split(None, 1)
    rest = tail[0] if tail else ""
    name = _param_name(head)
    if name == WINDOW:
        _set_window(ctx, rest.strip() or None)
        return
    value: object = rest.strip()
    if name not in JSON_PARAMS:  # JSON keeps its quotes: the rest of the line as typed
        try:
            found = words(rest)
        except ValueError as exc:
            raise CommandError(t("quote_error", command="/set", reason=exc)) from None
        value = found if name in LIST_PARAMS else " ".join(found)
        if GenerationParams.model_fields[name].annotation is bool:
            value = YES_NO.get(str(value), value)
    if not value:
        raise CommandError(t("set_usage"))
    try:
        ctx.bot.params = GenerationParams.model_validate(
            {**ctx.bot.params.model_dump(), name: value}
        )
    except ValidationError as exc:
        raise CommandError(describe_validation_error(exc, set(), as_setting=True)) from None
    ctx.out.info(_setting(name, getattr(ctx.bot.params, name)))


def _set_window(ctx: Context, value: str | None) -> None:
    """What --context-tokens sets, in the chat: the window the budget counts with (the
    context-length error line names it); validated like the flag."""
    if value is None:
        raise CommandError(t("set_usage"))
    try:
        window: int | None = getattr(_Window.model_validate({WINDOW: value}), WINDOW)
    except ValidationError as exc:
        raise CommandError(describe_validation_error(exc, set(), as_setting=True)) from None
    ctx.bot.context_tokens = window
    ctx.bot.learned_budget = None  # a budget learned from the server's refusal was for the old
    ctx.out.info(_setting(WINDOW, window))


@command("unset", "/unset PARAM", "把参数恢复为默认值", "reset a parameter to its default")
def _unset(ctx: Context, argument: str) -> None:
    if not argument:
        raise CommandError(t("usage", usage="/unset PARAM"))
    name = _param_name(argument.strip())
    if name == WINDOW:  # back to what the model's name or the server says
        ctx.bot.context_tokens = None
        ctx.out.info(_setting(WINDOW, None))
        return
    default = GenerationParams.model_fields[name].default
    setattr(ctx.bot.params, name, default)
    ctx.out.info(_setting(name, default))


@command("undo", "/undo", "撤销上一轮问答", "drop the last question and reply")
def _undo(ctx: Context, argument: str) -> None:
    if not ctx.bot.undo():
        raise CommandError(t("nothing_to_undo"))
    kept = recorder(ctx)
    kept.sync()
    ctx.out.info(follow(t("undone"), t("branch_kept") if kept.branching else ""))


@command(
    "retry",
    "/retry",
    "重新生成上一条回复（旧回复留在另一个分支），或重发失败的消息",
    "regenerate the last reply (the old one stays on a branch), or resend a failed message",
)
def _retry(ctx: Context, argument: str) -> None:
    resend = ctx.failed is not None
    content = ctx.failed if ctx.failed is not None else ctx.bot.take_back()
    if content is None:
        raise CommandError(t("nothing_to_retry"))
    kept = recorder(ctx)
    kept.sync()  # the reply taken back leaves the active branch now, as it left the screen
    if kept.branching and not resend:
        ctx.out.info(t("branch_kept"))
    ctx.ui.send(content)


@command(
    "edit",
    "/edit [N [TEXT]]",
    "用 $EDITOR 编写下一条消息；给出 N 时改写第 N 个问题（/history 的编号），在新分支上重新提问",
    "write the next message in $EDITOR; with N, rewrite question N (numbered as /history "
    "shows them) and ask again on a new branch",
)
def _edit(ctx: Context, argument: str) -> None:
    head, _, inline = argument.partition(" ")
    if head.isdigit():
        _edit_question(ctx, int(head), inline.strip())
        return
    text = ctx.ui.edit(argument)
    if text is None or not text.strip():
        ctx.out.info(t("edit_empty"))
        return
    message = text.strip("\n")
    ctx.out.info(as_typed(ctx.bot.model, message))
    ctx.ui.send(message)


def _edit_question(ctx: Context, number: int, inline: str) -> None:
    """Ask question `number` again, rewritten, from where it was asked: the turns after it
    stay in the store on their own branch. Nothing changes when the new text is empty."""
    bot = ctx.bot
    if not 1 <= number <= bot.questions:
        raise CommandError(t("edit_range", n=number, count=bot.questions))
    old = bot.question(number)
    text = inline or ctx.ui.edit(content_text(old))
    if text is None or not text.strip():
        ctx.out.info(t("edit_empty"))
        return
    message = text.strip("\n")
    bot.back_to(number)
    kept = recorder(ctx)
    kept.sync()
    ctx.out.info(t("branch_kept" if kept.branching else "branch_not_kept"))
    if not inline:
        ctx.out.info(as_typed(bot.model, message))
    ctx.ui.send(_with_text(old, message))


def _with_text(content: Content, text: str) -> Content:
    """A question's new text, keeping the pictures it carried."""
    if isinstance(content, str):
        return text
    return [{"type": "text", "text": text}, *(p for p in content if p.get("type") != "text")]


def as_typed(model: str, message: str) -> str:
    """A message written elsewhere ($EDITOR) as it would stand had it been typed at the
    prompt, so the transcript shows it before its reply."""
    prompt = prompt_text(model)
    first, *rest = message.split("\n")
    return "\n".join([prompt + first, *("." * (len(prompt) - 1) + " " + line for line in rest)])


@command(
    "usage",
    "/usage",
    "本次对话每轮和合计的 token、费用与缓存命中",
    "tokens, cost and cache share per turn and in total",
)
def _usage(ctx: Context, argument: str) -> None:
    """Every reply in the history, whether it came in this run, resumed or loaded."""
    kept = recorder(ctx)
    answers = [kept.stored(m) for m in ctx.bot.history if m["role"] == "assistant"]
    if not answers:
        ctx.out.info(t("history_empty"))
        return
    total = Tally()
    for i, answer in enumerate(answers, start=1):
        turn = Tally()
        for tally in (turn, total):
            tally.add(
                answer.prompt_tokens,
                answer.tokens,
                answer.cached_tokens,
                answer.cost,
                answer.currency,
            )
        if turn.unknown_tokens:
            ctx.out.info(f"  {i}. {t('tokens_unknown')}")
        else:
            tokens = t("tokens", prompt=turn.prompt, completion=turn.completion)
            ctx.out.info(f"  {i}. " + " · ".join([tokens, *usage_extras(turn)]))
    if total.unknown_tokens:
        ctx.out.info(t("usage_unknown_part", n=total.unknown_tokens))
    if total.unpriced and total.costs:
        ctx.out.info(t("usage_unpriced_part", n=total.unpriced))
    line = t(
        "usage_total",
        prompt=total.prompt,
        completion=total.completion,
        total=total.prompt + total.completion,
    )
    ctx.out.info(" · ".join([line, *usage_extras(total)]))


def usage_extras(tally: Tally) -> list[str]:
    """The cost and the cache share of a tally, those that are known."""
    extras = [tally.cost_text()] if tally.costs else []
    share = tally.cache_share
    if share is not None:
        extras.append(t("cache_share", share=share))
    return extras


@command(
    "continue",
    "/continue",
    "让被截断的回复（token 上限、连接断开、Ctrl-C）接着写下去（接在同一条回复后面）",
    "let a reply cut short (token limit, dropped connection, Ctrl-C) go on, joined to it",
)
def _continue(ctx: Context, argument: str) -> None:
    history = ctx.bot.history
    if not history or history[-1]["role"] != "assistant":
        raise CommandError(t("continue_nothing"))
    last = recorder(ctx).stored(history[-1])
    if last.finish_reason != "length" and not last.interrupted:
        raise CommandError(t("continue_not_cut"))
    ctx.ui.go_on()


@command(
    "copy",
    "/copy [N]",
    "复制上一条回复（或其第 N 个代码块）到剪贴板",
    "copy the last reply, or its N-th code block, to the clipboard",
)
def _copy(ctx: Context, argument: str) -> None:
    if not ctx.bot.history:  # a resumed conversation has no Reply objects, only history
        raise CommandError(t("nothing_to_copy"))
    reply = ctx.bot.history[-1]["content"]
    if not argument:
        ctx.ui.copy(reply)
        ctx.out.info(t("copied_reply", n=len(reply)))
        return
    blocks = code_blocks(reply)
    if not argument.isdigit() or not 1 <= int(argument) <= len(blocks):
        raise CommandError(t("no_such_block", n=argument, count=len(blocks)))
    block = blocks[int(argument) - 1]
    ctx.ui.copy(block)
    ctx.out.info(t("copied_block", k=argument, n=block.count("\n") + 1))


@command(
    "save",
    "/save [PATH]",
    "把对话存为 Markdown（.json 结尾则存为 JSON）",
    "save the conversation as Markdown, or JSON if PATH ends in .json",
)
def _save(ctx: Context, argument: str) -> None:
    if not ctx.bot.history:
        raise CommandError(t("save_empty"))
    path = Path(argument or datetime.now().strftime("chatcli-%Y%m%d-%H%M%S.md")).expanduser()
    conversation = recorder(ctx).conversation()
    text = to_json(conversation) if path.suffix.lower() == ".json" else to_markdown(conversation)
    try:
        write_private(path, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise CommandError(t("file_error", path=path, reason=os_reason(exc))) from None
    ctx.out.info(t("saved", path=path, n=conversation.turns))


@command(
    "load",
    "/load PATH",
    "载入保存或导出的对话（Markdown 或 JSON），作为新对话",
    "load a conversation saved or exported (Markdown or JSON) as a new conversation",
)
def _load(ctx: Context, argument: str) -> None:
    if not argument:
        raise CommandError(t("usage", usage="/load PATH"))
    path = Path(argument).expanduser()
    bot = ctx.bot
    try:
        conversation = read_file(path)
        params = GenerationParams.model_validate({**bot.params.model_dump(), **conversation.params})
    except ValidationError as exc:
        raise CommandError(t("load_params", path=path, problem=describe(exc))) from None
    except ValueError as exc:
        raise CommandError(t("file_error", path=path, reason=exc)) from None
    before = bot.model
    bot.set_system(conversation.system)
    bot.model = conversation.model or bot.model
    bot.params = params
    ctx.failed = None  # a message that failed before belongs to the conversation left
    new_id = recorder(ctx).adopt(conversation)
    turns = count_turns(conversation.turns)
    if new_id is None:
        ctx.out.info(t("load_not_stored", path=path, turns=turns))
    else:
        ctx.out.info(t("load_as_new", path=path, turns=turns, id=new_id))
    if bot.model != before:
        ctx.out.info(t("load_model", old=before, new=bot.model))


@command(
    "image",
    "/image PATH|URL [QUESTION]",
    "发送一张图片（可附问题）",
    "send an image, with an optional question",
)
def _image(ctx: Context, argument: str) -> None:
    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise CommandError(quote_error("/image", exc)) from None
    if not words:
        raise CommandError(t("usage", usage="/image PATH|URL [QUESTION]"))
    question = " ".join(words[1:]) or t("image_default_question")
    try:
        content = image_message(words[0], question)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    ctx.ui.send(content)


@command(
    "pick",
    "/pick K",
    "用第 K 个选项替换历史里的回复（-n 大于 1 时）",
    "keep choice K in the history instead of choice 1 (with -n > 1)",
)
def _pick(ctx: Context, argument: str) -> None:
    if not argument.isdigit():
        raise CommandError(t("usage", usage="/pick K"))
    try:
        ctx.bot.pick(int(argument))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    recorder(ctx).sync()
    ctx.out.info(t("picked", k=argument))


@command(
    "think",
    "/think [N]",
    "显示上一条回复（或第 N 条）的完整思考过程",
    "show the last reply's full reasoning (or the N-th reply's)",
)
def _think(ctx: Context, argument: str) -> None:
    # Numbered as the history's answers, so a resumed conversation's replies count too.
    answers = [m for m in ctx.bot.history if m["role"] == "assistant"]
    thought = ""
    if argument:
        if not argument.isdigit() or not 1 <= int(argument) <= len(answers):
            raise CommandError(t("think_usage", n=len(answers)))
        answer = answers[int(argument) - 1]
        thought = ctx.store.reasoning_of(answer) if ctx.store else ""
    elif ctx.bot.unanswered:
        thought = ctx.bot.unanswered.reasoning
    elif answers and ctx.store:
        thought = ctx.store.reasoning_of(answers[-1])
    if not thought.strip():
        raise CommandError(t("no_thought"))
    ctx.out.thought(thought)


@command(
    "multiline",
    "/multiline",
    "切换多行模式：Enter 换行，Alt-Enter 发送",
    "toggle multi-line mode: Enter inserts a newline, Alt-Enter sends",
)
def _multiline(ctx: Context, argument: str) -> None:
    ctx.out.info(t("multiline_on" if ctx.ui.toggle_multiline() else "multiline_off"))


@command("exit", "/exit", "退出", "quit")
def _exit(ctx: Context, argument: str) -> None:
    raise ExitRequested


REGISTRY["quit"] = Command("quit", "/quit", "退出", "quit", _exit)
