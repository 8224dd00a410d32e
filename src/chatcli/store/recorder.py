"""Conversations that last: the bot's history mirrored into the store, and resume.

The `Recorder` listens to `ChatBot.on_record`, so every path that completes a turn (the REPL,
one-shot mode, /retry) is saved the moment the reply ends, in one transaction. It mirrors the
bot's history rather than only appending: the commands that take turns back (/undo, /retry,
/edit N, /pick) call `sync`, which makes the stored conversation's active branch what the
screen shows at once, the turns taken back kept on a branch (`/branch` brings them back); when
the history was emptied (/clear, /system), the next turn starts a new conversation and the old
one stays as it was. `/load` stores the file's conversation as a new one the moment it is loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chatcli.config import paths
from chatcli.config.settings import GenerationParams
from chatcli.conversation.bot import ChatBot, Content, Message, Reply, turn_view, unfold_turns
from chatcli.i18n import os_reason, t
from chatcli.store.database import (
    Conversation,
    Store,
    StoredMessage,
    StoreError,
    content_text,
)
from chatcli.store.records import AttachmentRecord, typed_text
from chatcli.store.transcript import read

TITLE_CHARS = 40


def title_for(content: Content) -> str:
    """The first user message, on one line and shortened: a title without an API call."""
    text = " ".join(content_text(content).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _common_prefix(saved: Sequence[Message], history: Sequence[Message]) -> int:
    """How many leading messages are the very same objects (identity, not equality: after
    /clear a repeated first question is a new conversation, not the old one)."""
    count = 0
    for old, new in zip(saved, history, strict=False):
        if old is not new:
            break
        count += 1
    return count


class Recorder:
    """Keeps the store in step with one ChatBot; `store` is None when history is off."""

    def __init__(
        self,
        bot: ChatBot,
        store: Store | None,
        warn: Callable[[str], None],
        *,
        private: bool = False,
    ) -> None:
        self.bot = bot
        self.store = store
        self.warn = warn
        self.private = private
        self.conversation_id: int | None = None
        self.title: str | None = None
        self._saved: list[Message] = []
        self._ids: list[int] = []
        # id(message) -> (message, what the store keeps of it: a reply's model, tokens and
        # reasoning), for messages still in the history. Holding the message keeps its id
        # from naming another one; the history itself stays role and content only.
        self._kept: dict[int, tuple[Message, StoredMessage]] = {}
        # The content of a message about to be sent with staged context, and its records.
        self._expected: tuple[Content, tuple[AttachmentRecord, ...]] | None = None
        bot.on_record.append(self._on_record)
        bot.on_extend.append(self._on_extend)

    @classmethod
    def open(
        cls, bot: ChatBot, warn: Callable[[str], None], *, private: bool, resuming: bool
    ) -> Recorder:
        """With --private nothing is written; the database is only read, to resume from it."""
        store = None
        if not private or resuming:
            try:
                store = Store(write=not private)
            except StoreError as exc:
                warn(t("store_off", error=exc))
        return cls(bot, store, warn, private=private)

    def fail(self, exc: StoreError) -> None:
        """A database error: say so once, then carry on chatting without history."""
        self.warn(t("store_off", error=exc))
        self.store = None

    def start_new(self) -> None:
        self.conversation_id = None
        self.title = None
        self._saved, self._ids = [], []

    def follow(self) -> None:
        """Leave the saved conversation when the history no longer continues it (/clear and
        /system emptied it): what is on screen is a new conversation."""
        if self._saved and _common_prefix(self._saved, _answers(self.bot.history)) == 0:
            self.start_new()

    def stored(self, message: Message, tools: list[Message] | None = None) -> StoredMessage:
        """What the store keeps of a message in the history: with its reply's details when
        known (a reply of this run, a resumed or a loaded one), else role and content; an
        answer carries its turn's tool rounds (`turn_view`)."""
        held = self._kept.get(id(message))
        found = held[1] if held else StoredMessage(message["role"], message["content"])
        return found.model_copy(update={"tools": tools}) if tools else found

    def reasoning_of(self, message: Message) -> str:
        """What the model thought before this answer in the history ("" for none), whether
        it came in this run or with a resumed conversation; kept with history off too."""
        held = self._kept.get(id(message))
        return (held[1].reasoning or "") if held else ""

    def was_interrupted(self, message: Message) -> bool:
        """Whether this answer in the history was cut short (Ctrl-C, a dropped connection),
        in this run or before it was resumed."""
        held = self._kept.get(id(message))
        return bool(held and held[1].interrupted)

    def _remember(self, pairs: Sequence[tuple[Message, StoredMessage]]) -> None:
        live = {id(m) for m in self.bot.history}
        kept = {key: held for key, held in self._kept.items() if key in live}
        kept.update({id(m): (m, stored) for m, stored in pairs})
        self._kept = kept

    def expect(self, content: Content, records: tuple[AttachmentRecord, ...]) -> None:
        """The question sent next with this very content carries these attachments (a
        failed send keeps them for the same content sent again)."""
        self._expected = (content, records)

    def _question(self, message: Message) -> StoredMessage:
        held = self._kept.get(id(message))  # asked again (/retry): it keeps its attachments
        attachments = held[1].attachments if held else None
        if self._expected is not None and self._expected[0] == message["content"]:
            attachments, self._expected = self._expected[1], None
        return StoredMessage("user", message["content"], attachments=attachments)

    def _on_record(self, reply: Reply) -> None:
        (question, _), (answer, _) = turn_view(self.bot.history)[-2:]
        self._remember([(question, self._question(question)), (answer, self._reply(answer, reply))])
        self.follow()
        self.sync()

    def sync(self) -> None:
        """Make the stored conversation's active branch what the history is now, in one
        transaction. Nothing stored goes: the turns taken back (/undo, /retry, /edit, /pick)
        stay on a branch of their own, the new ones grow from where the two part. A
        conversation whose every turn was taken back stays, and the next turn goes into it."""
        view = turn_view(self.bot.history)
        answers = [message for message, _ in view]
        keep = _common_prefix(self._saved, answers)
        if self.store is None or self.private or keep == len(self._saved) == len(answers):
            return
        try:
            saved = self.store.save_turn(
                self.conversation_id,
                [self.stored(m, rounds) for m, rounds in view[keep:]],
                model=self.bot.model,
                system=self.bot.system,
                params=self.bot.params.differs_from_defaults(),
                title=self._title(),
                parent=self._ids[keep - 1] if keep else None,
            )
        except StoreError as exc:
            self.fail(exc)
            return
        self.conversation_id = saved.conversation_id
        self._saved = answers
        self._ids = self._ids[:keep] + saved.message_ids

    @property
    def branching(self) -> bool:
        """Whether old branches are kept: a store is written (not --private, not off)."""
        return self.store is not None and not self.private

    def tree(self) -> Conversation | None:
        """The conversation on screen with all its branches; None before it is saved.
        Raises StoreError."""
        self.follow()
        if self.store is None or self.conversation_id is None:
            return None
        return self.store.load(self.conversation_id)

    def switch(self, leaf: int) -> Conversation:
        """Make the branch ending at `leaf` the active one, in the store and in the bot.
        Only call it while `tree()` gave a conversation. Raises StoreError."""
        assert self.store is not None and self.conversation_id is not None
        self.store.set_active(self.conversation_id, leaf)
        conversation = self.store.load(self.conversation_id)
        self._enter(conversation)
        return conversation

    def _reply(self, message: Message, reply: Reply) -> StoredMessage:
        usage = reply.usage
        cost = self.bot.cost(reply)
        return StoredMessage(
            "assistant",
            message["content"],
            model=reply.model or self.bot.model,
            tokens=usage.completion_tokens if usage else None,
            prompt_tokens=usage.prompt_tokens if usage else None,
            cached_tokens=usage.cached_tokens if usage else None,
            cost=cost.amount if cost else None,
            currency=cost.currency if cost else None,
            finish_reason=reply.finish_reason,
            interrupted=reply.interrupted,
            reasoning=reply.reasoning,
        )

    def _on_extend(self, answer: Message, reply: Reply) -> None:
        """A continuation joined `answer`: the store keeps one answer, its whole text and what
        both requests used and cost, in the same row."""
        joined = joined_answer(self.stored(answer), self._reply(answer, reply))
        self._remember([(answer, joined)])
        saved = next((k for k, m in enumerate(self._saved) if m is answer), None)
        if self.store is None or self.private or saved is None:
            return
        try:
            self.store.update_answer(self._ids[saved], joined)
        except StoreError as exc:
            self.fail(exc)

    def name(self, title: str) -> int | None:
        """Title the conversation on screen; returns its id, None while it is not saved yet
        (the title is kept for its first save). Raises StoreError."""
        self.follow()
        self.title = title
        if self.conversation_id is not None and self.store is not None:
            self.store.rename(self.conversation_id, title)
        return self.conversation_id

    def current_title(self) -> str | None:
        """The title of the conversation on screen, None while it has none."""
        self.follow()
        if self.title is not None or self.conversation_id is None or self.store is None:
            return self.title
        return self.store.load(self.conversation_id).title

    def _title(self) -> str:
        """The title given, else the first question as typed (not the files it carried)."""
        first = next((m for m in self.bot.history if m["role"] == "user"), None)
        if self.title or first is None:
            return self.title or ""
        return title_for(typed_text(self.stored(first)) or first["content"])

    def conversation(self) -> Conversation:
        """The conversation on screen as the store keeps it, its other branches too (from
        the store, when it has them): what /save writes."""
        bot = self.bot
        messages = tuple(self.stored(m, rounds) for m, rounds in turn_view(bot.history))
        try:
            whole = self.tree() if self.branching else None
        except StoreError as exc:
            self.fail(exc)
            whole = None
        branches = whole.branches if whole is not None else ()
        if branches:  # the active branch is the stored one (`sync`): its ids name the parents
            messages = tuple(
                m.model_copy(update={"id": i}) for m, i in zip(messages, self._ids, strict=True)
            )
        return Conversation(
            id=self.conversation_id or 0,
            title=self._title(),
            model=bot.model,
            system=bot.system,
            params=bot.params.differs_from_defaults(),
            messages=messages,
            branches=branches,
        )

    def adopt(self, conversation: Conversation) -> int | None:
        """Put a conversation read from a file into the bot (model, system prompt and
        parameters are the caller's) and store it at once as a new conversation; the one on
        screen before stays as it was. Returns the new id, None when history is off."""
        self._take(conversation)
        self.start_new()
        if self.store is None or self.private:
            return None
        now = time.time()
        copy = titled(conversation).model_copy(
            update={
                "created": now,
                "updated": now,
                "model": self.bot.model,
                "system": self.bot.system,
                "params": self.bot.params.differs_from_defaults(),
            }
        )
        try:
            new_id = self.store.import_conversation(copy)
            ids = [m.id for m in self.store.load(new_id).messages if m.id is not None]
        except StoreError as exc:
            self.fail(exc)
            return None
        self.conversation_id = new_id
        self._saved = _answers(self.bot.history)
        self._ids = ids
        return new_id

    def _take(self, conversation: Conversation) -> None:
        """The conversation's messages become the bot's history, with their details."""
        self.bot.clear()
        self.bot.history.extend(
            unfold_turns(
                {"role": m.role, "content": m.content, "tools": m.tools}
                for m in conversation.messages
            )
        )
        self._kept = {}
        answers = _answers(self.bot.history)
        self._remember(list(zip(answers, conversation.messages, strict=True)))

    def resume(
        self, conversation_id: int | None, given: set[str] | None = None
    ) -> Conversation | None:
        """Load a conversation (the latest when None; None if there is none) into the bot.

        Model, system prompt and parameters come back from the store, except those in `given`
        (flags on this command line), which keep the bot's current value. Raises StoreError or
        UnknownConversation. Only call it while `store` is not None.
        """
        assert self.store is not None
        given = given or set()
        found = self.store.latest() if conversation_id is None else conversation_id
        if found is None:
            return None
        conversation = self.store.load(found)
        bot = self.bot
        if "model" not in given and conversation.model:
            bot.model = conversation.model
        if "system" not in given:
            bot.system = conversation.system
        bot.params = _merged_params(conversation.params, bot.params, given)
        self._enter(conversation)
        self.title = None
        return conversation

    def _enter(self, conversation: Conversation) -> None:
        """The stored conversation's active branch becomes the history, in step with it."""
        self._take(conversation)
        self.conversation_id = conversation.id
        self._saved = _answers(self.bot.history)
        self._ids = [m.id for m in conversation.messages if m.id is not None]


def joined_answer(first: StoredMessage, then: StoredMessage) -> StoredMessage:
    """A cut answer and its continuation as one stored answer: `then`'s text is the whole
    text; counts add up, unknown when either is unknown; a cost only when both are known in
    one currency (never a guess)."""

    def plus(a: int | None, b: int | None) -> int | None:
        return None if a is None or b is None else a + b

    cost = None
    if first.cost is not None and then.cost is not None and first.currency == then.currency:
        cost = first.cost + then.cost
    return first.model_copy(
        update={
            "content": then.content,
            "tokens": plus(first.tokens, then.tokens),
            "prompt_tokens": plus(first.prompt_tokens, then.prompt_tokens),
            "cached_tokens": plus(first.cached_tokens, then.cached_tokens),
            "cost": cost,
            "currency": first.currency if cost is not None else None,
            "finish_reason": then.finish_reason,
            "interrupted": then.interrupted,
            "reasoning": (first.reasoning or "") + (then.reasoning or "") or None,
        }
    )


def _answers(history: list[Message]) -> list[Message]:
    """The history as the store keeps it: questions and answers, a turn's tool rounds on its
    answer (`turn_view`)."""
    return [message for message, _ in turn_view(history)]


def _merged_params(
    stored: dict[str, Any], current: GenerationParams, given: set[str]
) -> GenerationParams:
    fields = GenerationParams.model_fields
    merged = {k: v for k, v in stored.items() if k in fields}
    merged.update({k: getattr(current, k) for k in given if k in fields})
    try:
        return GenerationParams.model_validate(merged)
    except ValidationError:
        return current


def titled(conversation: Conversation) -> Conversation:
    """A conversation from a file keeps its title; one without (an older /save) is named
    after its first message, as a conversation of this run would be."""
    if conversation.title or not conversation.messages:
        return conversation
    return conversation.model_copy(update={"title": title_for(conversation.messages[0].content)})


def read_file(path: Path) -> Conversation:
    """A conversation file (`read`) with at least one message; ValueError, one line, for a
    file that cannot be read or holds none."""
    try:
        conversation = read(paths.read_regular(path).decode("utf-8-sig"))  # a BOM is no text
    except OSError as exc:
        raise ValueError(os_reason(exc)) from None
    except UnicodeDecodeError:
        raise ValueError(t("not_utf8")) from None
    if not conversation.messages:
        raise ValueError(t("file_empty"))
    return conversation


@dataclass(frozen=True)
class Resume:
    """--continue (conversation_id None: the latest) or --session ID; `given` are the settings
    named on this command line, which win over the stored ones."""

    conversation_id: int | None
    given: frozenset[str] = frozenset()

    def keeping(self, *names: str) -> Resume:
        """The same request, with `names` treated as given (the local model serves one name)."""
        return Resume(self.conversation_id, self.given | set(names))

    def refusal(self) -> str | None:
        """The one line refusing `--session ID` that names no conversation, said before the
        offline model or the network starts; None when it exists, or when the database
        cannot tell (its warning then comes as the chat starts)."""
        if self.conversation_id is None:
            return None
        try:
            store = Store(write=False)
            try:
                found = store.exists(self.conversation_id)
            finally:
                store.close()
        except StoreError:
            return None
        return None if found else t("unknown_conversation", id=self.conversation_id)
