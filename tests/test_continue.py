"""/continue: a reply cut by the token limit goes on, joined to the same answer, against the
loopback server with both strategies (DeepSeek's prefix completion, and an explicit
instruction that never enters the history), in the store (one answer) and in a real PTY."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from chatcli.config.providers import PRESETS
from chatcli.config.settings import GenerationParams, Settings
from chatcli.conversation.bot import GO_ON, ChatBot, Reply
from chatcli.local.server import LocalRun
from chatcli.store.database import Store
from chatcli.store.recorder import Recorder
from chatcli.terminal.exchange import Presenter, resume_point
from tests.conftest import KEY, Terminal, make_bot
from tests.fake_server import Behaviour, FakeOpenAI, split_tokens

Start = Callable[..., Terminal]
FULL = (
    "The quick brown fox jumps over the lazy dog, then runs into the forest and "
    "sleeps under an old oak tree until the morning comes."
)
LIMIT = 6  # tokens per reply: the fake server cuts there with finish_reason "length"


def cut_bot(server: FakeOpenAI, *, prefix: bool, store: Store | None) -> tuple[ChatBot, Recorder]:
    bot = make_bot(
        server,
        params=GenerationParams(max_tokens=LIMIT),
        prefix_url=f"http://127.0.0.1:{server.port}/beta" if prefix else None,
    )
    return bot, Recorder(bot, store, lambda line: None)


def ask(bot: ChatBot, question: str) -> Reply:
    turn = bot.stream_turn(question)
    for _ in turn:
        pass
    assert turn.reply is not None
    return turn.reply


def go_on_until_done(bot: ChatBot) -> list[Reply]:
    """/continue until the reply ends by itself; each continuation's own reply."""
    replies = []
    while bot.replies[-1].finish_reason == "length":
        turn = bot.continue_turn()
        for _ in turn:
            pass
        assert turn.reply is not None
        replies.append(turn.reply)
    return replies


def prompt_tokens(replies: list[Reply]) -> int:
    return sum(r.usage.prompt_tokens for r in replies if r.usage is not None)


def stored_answers(store: Store) -> list[tuple[str, int, int]]:
    conversation = store.load(store.latest() or 0)
    return [
        (m.text, m.tokens or 0, m.prompt_tokens or 0)
        for m in conversation.messages
        if m.role == "assistant"
    ]


def test_prefix_completion_continues_the_same_answer_on_the_beta_url(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.expect(Behaviour(reply=FULL, times=100))
    store = Store(tmp_path / "c.db")
    bot, _ = cut_bot(server, prefix=True, store=store)
    first = ask(bot, "tell me a story")
    cut = bot.history[-1]["content"]
    assert first.finish_reason == "length" and FULL.startswith(cut) and cut != FULL

    steps = go_on_until_done(bot)

    assert len(steps) == -(-len(split_tokens(FULL)) // LIMIT) - 1
    assert [m["role"] for m in bot.history] == ["user", "assistant"]
    assert bot.history[-1]["content"] == FULL
    continued = [r for r in server.requests if r.path.endswith("/chat/completions")][1]
    assert continued.path == "/beta/chat/completions"
    assert continued.body["messages"] == [
        {"role": "user", "content": "tell me a story"},
        {"role": "assistant", "content": cut, "prefix": True},
    ]
    # One answer in the store, whole, with what every request used added up.
    (answer,) = stored_answers(store)
    assert answer[0] == FULL
    assert answer[1] == len(split_tokens(FULL))
    assert answer[2] == prompt_tokens([first, *steps])
    # The next question sends the joined answer, once.
    ask(bot, "and then?")
    assert server.chat_requests[-1]["messages"][:2] == [
        {"role": "user", "content": "tell me a story"},
        {"role": "assistant", "content": FULL},
    ]


def test_without_prefix_completion_an_instruction_asks_and_is_not_kept(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.expect(Behaviour(reply=FULL, goes_on=True, times=5))
    store = Store(tmp_path / "c.db")
    bot, _ = cut_bot(server, prefix=False, store=store)
    ask(bot, "tell me a story")
    cut = bot.history[-1]["content"]

    go_on_until_done(bot)

    assert bot.history == [
        {"role": "user", "content": "tell me a story"},
        {"role": "assistant", "content": FULL},
    ]
    continued = server.requests[1]
    assert continued.path == "/v1/chat/completions"
    assert continued.body["messages"][-2:] == [
        {"role": "assistant", "content": cut},
        {"role": "user", "content": GO_ON},
    ]
    assert [text for text, _, _ in stored_answers(store)] == [FULL]
    ask(bot, "and then?")
    sent = [m["content"] for m in server.chat_requests[-1]["messages"]]
    assert GO_ON not in sent and sent == ["tell me a story", FULL, "and then?"]


def test_a_continuation_after_resume_updates_the_stored_answer_in_place(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.expect(Behaviour(reply=FULL, times=100))
    store = Store(tmp_path / "c.db")
    bot, _ = cut_bot(server, prefix=True, store=store)
    ask(bot, "tell me a story")
    (before,) = [m for m in store.load(1).messages if m.role == "assistant"]

    again = make_bot(server, prefix_url=f"http://127.0.0.1:{server.port}/beta")
    recorder = Recorder(again, store, lambda line: None)
    recorder.resume(None)
    assert recorder.stored(again.history[-1]).finish_reason == "length"
    for _ in again.continue_turn():
        pass

    (after,) = [m for m in store.load(1).messages if m.role == "assistant"]
    assert after.id == before.id  # the same row: its place and id stay
    assert after.text.startswith(before.text) and FULL.startswith(after.text)
    assert len(after.text) > len(before.text)
    assert after.tokens == 2 * LIMIT  # the resumed limit (max_tokens) cut it again
    assert len(store.load(1).messages) == 2


def test_prefix_completion_only_on_the_presets_own_server() -> None:
    """The beta URL is DeepSeek's: pointed elsewhere, the key never goes there."""
    assert PRESETS["deepseek"].prefix_url == "https://api.deepseek.com/beta"
    assert Settings(provider="deepseek").prefix_url == "https://api.deepseek.com/beta"
    assert Settings(provider="deepseek", base_url="http://127.0.0.1:9/v1").prefix_url is None
    table = {"deepseek": {"base_url": "http://127.0.0.1:9/v1"}}
    assert Settings(provider="deepseek", providers=table).prefix_url is None
    assert Settings(provider="openai").prefix_url is None


def loop_config(tmp_path: Path, server: FakeOpenAI) -> dict[str, str]:
    """A provider table that knows the loopback server's prefix completion."""
    config = tmp_path / "config.toml"
    config.write_text(
        "[providers.loop]\n"
        f'base_url = "{server.base_url}"\n'
        f'prefix_url = "http://127.0.0.1:{server.port}/beta"\n'
        'api_key_env = "LOOP_API_KEY"\n'
        'model = "deepseek-chat"\n'
    )
    return {"CHATCLI_CONFIG": str(config), "LOOP_API_KEY": KEY}


def test_the_cut_notice_offers_continue_and_the_reply_goes_on_as_one(
    terminal: Start, server: FakeOpenAI, env: dict[str, str], tmp_path: Path
) -> None:
    server.expect(Behaviour(reply=FULL, times=100))
    term = terminal(
        "--provider", "loop", "--max-tokens", "14", extra_env=loop_config(tmp_path, server)
    )
    term.prompt()
    term.send("tell me a story")
    term.expect(r"cut off by the token limit you set \(--max-tokens 14\); /continue lets it go on")
    term.prompt()
    term.send("/continue")
    # The cut paragraph is drawn again, whole, with its continuation.
    term.expect(r"The quick brown fox jumps over the lazy dog, then runs into the forest and")
    term.expect(r"until the\s+morning comes\.")
    term.prompt()
    term.send("/history")
    term.expect("morning comes")
    term.quit()
    assert server.requests[-1].path == "/beta/chat/completions"
    db = sqlite3.connect(Path(env["XDG_DATA_HOME"]) / "chatcli" / "conversations.db")
    try:
        answers = db.execute("SELECT content FROM messages WHERE role = 'assistant'").fetchall()
    finally:
        db.close()
    assert answers == [(FULL,)]


def test_continue_refuses_in_one_line_when_nothing_was_cut(
    terminal: Start, server: FakeOpenAI
) -> None:
    term = terminal()
    term.prompt()
    term.send("/continue")
    term.expect("no reply to continue yet")
    term.chat("hello")
    term.prompt()
    term.send("/continue")
    term.expect("the last reply was not cut off")
    term.quit()
    assert len(server.chat_requests) == 1


def test_the_screen_picks_a_cut_reply_up_at_its_unfinished_block() -> None:
    """A paragraph is drawn again whole with its continuation; in a code block only the
    opening fence (so it renders as code) and the unfinished line, not the lines before."""
    assert resume_point("Intro.\n\nThe quick brown") == "The quick brown"
    code = "Intro.\n\n```python\ndef f():\n    x = 1\n    return fo"
    assert resume_point(code) == "```python\n    return fo"
    assert resume_point("A list:\n\n- one\n- tw") == "- one\n- tw"
    assert resume_point("## Head") == "## Head"  # a heading cut in its line
    assert resume_point("Text.\n\n```pyth") == "```pyth"


def notice(bot: ChatBot, *, repl: bool) -> str:
    screen = io.StringIO()
    console = Console(file=screen, width=400, color_system=None)
    Presenter(console, console, offers_continue=repl).run(bot, "hello")
    return screen.getvalue()


def test_continue_is_offered_in_the_repl_unless_the_local_window_is_full(
    server: FakeOpenAI,
) -> None:
    server.expect(Behaviour(reply="a short reply", finish_reason="length", times=3))
    assert "/continue" in notice(make_bot(server), repl=True)  # the server's longest reply
    assert "/continue" not in notice(make_bot(server), repl=False)  # one-shot: no /continue
    full = make_bot(server, params=GenerationParams(max_tokens=512))
    full.local = LocalRun(ctx=2048, bundled=True, default_max_tokens=512)
    out = notice(full, repl=True)
    assert "--local-ctx 2048" in out and "/continue" not in out
