"""A conversation is a tree, as property tests: random sequences of send, /edit N, /retry,
/undo, /pick K (every reply has two choices), /branch K and resume (a new run's `-c`),
through the real commands, against the loopback server and a real SQLite file. After every
step the active branch is a valid alternating conversation, the same in the bot, in the store
and after a resume, and nothing stored is lost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import chatcli.terminal.session_commands  # noqa: F401 (registers /tree, /branch)
from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import ChatBot, Content, turn_view
from chatcli.store import tree
from chatcli.store.database import Store
from chatcli.store.recorder import Recorder
from chatcli.terminal.commands import Context, dispatch
from tests.conftest import make_bot
from tests.fake_server import FakeOpenAI

# Few words, so the same question is often asked again from the same place.
WORDS = st.sampled_from(["晴", "rain", "snow"])


class Screen:
    """The commands' output and UI: a message sent is a real turn on the loopback server."""

    def __init__(self, bot: ChatBot) -> None:
        self.bot = bot
        self.errors: list[str] = []

    def info(self, text: str) -> None:
        pass

    def error(self, text: str) -> None:
        self.errors.append(text)

    def thought(self, text: str) -> None:
        pass

    def send(self, content: Content) -> None:
        self.bot(content)

    def edit(self, initial: str) -> str | None:
        return initial  # /edit N without text: asked again unchanged

    def copy(self, text: str) -> None:
        pass

    def toggle_multiline(self) -> bool:
        return False

    def confirm(self, question: str) -> bool:
        return True

    def remember_models(self, names: list[str]) -> None:
        pass


def contents(bot: ChatBot) -> list[tuple[str, Any]]:
    return [(m["role"], m["content"]) for m in bot.history]


def machine(server: FakeOpenAI) -> type[RuleBasedStateMachine]:
    class Conversations(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.folder = tempfile.TemporaryDirectory()
            self.store = Store(Path(self.folder.name) / "conversations.db")
            self.open_run()
            # every message ever stored: id -> (role, text, parent)
            self.seen: dict[int, tuple[str, str, int | None]] = {}

        def open_run(self) -> None:
            """A new chatcli run on the same database."""
            self.bot = make_bot(server, params=GenerationParams(n=2))
            self.screen = Screen(self.bot)
            self.recorder = Recorder(self.bot, self.store, self.screen.error)
            self.ctx = Context(
                bot=self.bot,
                out=self.screen,
                ui=self.screen,
                exit_command="exit",
                store=self.recorder,
            )

        def teardown(self) -> None:
            self.store.close()
            self.folder.cleanup()

        def command(self, line: str, *, valid: bool) -> None:
            before = contents(self.bot)
            errors = len(self.screen.errors)
            dispatch(self.ctx, line)
            if valid:
                assert len(self.screen.errors) == errors, self.screen.errors
            else:  # a bad argument: one line, nothing changed
                assert len(self.screen.errors) == errors + 1
                assert contents(self.bot) == before

        @rule(text=WORDS)
        def send(self, text: str) -> None:
            self.screen.send(text)

        @rule(number=st.integers(0, 5), text=st.one_of(st.just(""), WORDS))
        def edit(self, number: int, text: str) -> None:
            valid = 1 <= number <= self.bot.questions
            self.command(f"/edit {number} {text}".rstrip(), valid=valid)
            if valid:
                assert [m for m in contents(self.bot) if m[0] == "user"][number - 1][1] == (
                    text or [m for m in self.before_edit if m[0] == "user"][number - 1][1]
                )

        @rule()
        def retry(self) -> None:
            answered = bool(self.bot.history)
            self.command("/retry", valid=answered)

        @rule(number=st.integers(0, 3))
        def pick(self, number: int) -> None:
            """Another choice of the last reply (only one this run received)."""
            self.command(f"/pick {number}", valid=bool(self.bot.replies) and 1 <= number <= 2)

        @rule()
        def undo(self) -> None:
            self.command("/undo", valid=bool(self.bot.history))

        @rule(number=st.integers(0, 6))
        def branch(self, number: int) -> None:
            conversation = self.recorder.tree()
            count = len(tree.leaves(conversation.links())) if conversation else 0
            self.command(f"/branch {number}", valid=1 <= number <= count)
            if conversation is not None and 1 <= number <= count:
                leaf = tree.leaves(conversation.links())[number - 1]
                assert self.recorder.tree().messages[-1].id == leaf  # type: ignore[union-attr]

        @rule()
        def resume(self) -> None:
            """What `chatcli -c` would show: the active branch of the latest conversation."""
            history = contents(self.bot)
            conversation_id = self.recorder.conversation_id
            self.open_run()
            if conversation_id is not None:
                self.recorder.resume(conversation_id)
            assert contents(self.bot) == history

        @invariant()
        def remember_for_edit(self) -> None:
            self.before_edit = contents(self.bot)

        @invariant()
        def the_active_branch_is_a_conversation(self) -> None:
            roles = [role for role, _ in contents(self.bot)]
            assert roles == ["user", "assistant"] * (len(roles) // 2)
            assert [m for m, _ in turn_view(self.bot.history)] == self.bot.history

        @invariant()
        def the_store_holds_what_the_screen_shows(self) -> None:
            conversation = self.recorder.tree()
            if conversation is None:
                assert self.bot.history == []
                return
            assert [(m.role, m.content) for m in conversation.messages] == contents(self.bot)

        @invariant()
        def nothing_stored_is_lost(self) -> None:
            conversation = self.recorder.tree()
            if conversation is None:
                return
            links = conversation.links()
            now = {
                m.id: (m.role, m.text, links[m.id])
                for m in [*conversation.messages, *conversation.branches]
                if m.id is not None
            }
            assert {k: now.get(k) for k in self.seen} == self.seen
            self.seen.update(now)
            # and every stored message is on some branch /branch K reaches
            reached = {i for leaf in tree.leaves(links) for i in tree.path(links, leaf)}
            assert reached == set(now)

    return Conversations


def test_tree_operations_keep_a_valid_active_branch_and_lose_nothing(
    server: FakeOpenAI,
) -> None:
    run_state_machine_as_test(
        machine(server),
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
