"""Conversation files, unit level: one Markdown and one JSON format, each reading back what it
wrote (hypothesis), the forms the previous release wrote still read, and every bad file one
line. Also the /set value splitter and the singular counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatcli import i18n
from chatcli.store.recorder import read_file
from chatcli.store.records import Conversation, StoredMessage
from chatcli.store.transcript import THOUGHT_OPEN, from_markdown, read, to_json, to_markdown
from chatcli.terminal.commands import as_typed, words

# What `/save` of the previous release wrote (chatcli 0.x, before there was one format).
OLD_SAVE_MD = """# chatcli conversation — deepseek-chat

Parameters: temperature=0.3, stop=['END', '\\n\\n'], reasoning=show

## System

你是一个诗人。

## You

写一首诗

## Assistant

秋风起。

## You

再来

## Assistant

落叶飞。
"""
OLD_SAVE_JSON = json.dumps(
    {
        "chatcli_transcript": 1,
        "model": "deepseek-chat",
        "system": "你是一个诗人。",
        "params": {"temperature": 0.3},
        "messages": [
            {"role": "user", "content": "写一首诗"},
            {"role": "assistant", "content": "秋风起。"},
        ],
    },
    ensure_ascii=False,
)

STAMP = st.floats(min_value=0, max_value=4e9, allow_nan=False)
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
# Lines the Markdown form itself uses, so the escaping is exercised
TRICKY = st.sampled_from(
    ["### User", "### Assistant (interrupted)", "\\### System", THOUGHT_OPEN, "</details>", ""]
)
BODY = st.lists(st.one_of(TEXT, TRICKY), max_size=5).map("\n".join)
PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0, 2, allow_nan=False),
        "stop": st.lists(TEXT, min_size=1, max_size=4),
        "seed": st.integers(-(2**40), 2**40),
        "json_mode": st.booleans(),
    },
)


@st.composite
def conversations(draw: st.DrawFn, *, parts: bool) -> Conversation:
    """Any conversation chatcli can hold: pictures only where `parts` (JSON keeps them)."""
    content = st.one_of(
        BODY,
        st.lists(
            st.one_of(
                st.builds(lambda s: {"type": "text", "text": s}, BODY),
                st.builds(
                    lambda u: {"type": "image_url", "image_url": {"url": u}},
                    st.sampled_from(["https://e.example/a.png", "data:image/png;base64,iVBO"]),
                ),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    messages = []
    for _ in range(draw(st.integers(1, 3))):
        messages.append(
            StoredMessage(
                "user",
                draw(content if parts else BODY),
                created=draw(STAMP),
            )
        )
        messages.append(
            StoredMessage(
                "assistant",
                draw(BODY),
                model=draw(st.none() | st.sampled_from(["gpt-4o", "deepseek-reasoner"])),
                tokens=draw(st.none() | st.integers(0, 10**6)),
                prompt_tokens=draw(st.none() | st.integers(0, 10**6)),
                finish_reason=draw(st.none() | st.sampled_from(["stop", "length"])),
                created=draw(STAMP),
                interrupted=draw(st.booleans()),
                reasoning=draw(st.none() | BODY),
            )
        )
    return Conversation(
        id=draw(st.integers(0, 10**6)),
        title=" ".join(draw(TEXT).split()),
        created=draw(STAMP),
        updated=draw(STAMP),
        model=draw(st.sampled_from(["", "gpt-4o", "qwen-plus", "模型"])),
        system=draw(st.none() | BODY) or None,
        params=draw(PARAMS),
        messages=tuple(messages),
    )


def what_markdown_keeps(c: Conversation) -> dict[str, Any]:
    """Markdown keeps the text, its flags and the conversation's fields; not per-message
    details (those are JSON's), nor blank lines around a text."""

    def trim(text: str | None) -> str | None:
        return text.strip("\n") or None if text is not None else None

    return {
        "head": (c.id, c.title, c.created, c.updated, c.model, trim(c.system), c.params),
        "messages": [
            (m.role, m.text.strip("\n"), m.interrupted, trim(m.reasoning)) for m in c.messages
        ],
    }


@settings(max_examples=150, deadline=None)
@given(conversations(parts=True))
def test_json_reads_back_equal(conversation: Conversation) -> None:
    assert read(to_json(conversation)) == conversation


@settings(max_examples=150, deadline=None)
@given(conversations(parts=False))
def test_markdown_reads_back_equal(conversation: Conversation) -> None:
    back = read(to_markdown(conversation))
    assert what_markdown_keeps(back) == what_markdown_keeps(conversation)


def test_the_reasoning_block_survives_the_markdown_round_trip() -> None:
    thought = "先想一想。\n### User\n</details>\n再回答。"
    original = Conversation(
        title="天气",
        messages=(
            StoredMessage("user", "上海？"),
            StoredMessage("assistant", "晴。", reasoning=thought),
        ),
    )
    text = to_markdown(original)
    assert "<details><summary>" in text and "\n\\### User\n" in text
    again = to_markdown(read(text))
    assert again == text
    assert read(text).messages[1].reasoning == thought


def test_the_previous_releases_save_reads_in_both_forms() -> None:
    old_md = from_markdown(OLD_SAVE_MD)
    assert old_md.model == "deepseek-chat" and old_md.system == "你是一个诗人。"
    assert old_md.params == {"temperature": 0.3, "stop": ["END", "\n\n"], "reasoning": "show"}
    assert [m.text for m in old_md.messages] == ["写一首诗", "秋风起。", "再来", "落叶飞。"]
    assert [m.role for m in old_md.messages] == ["user", "assistant"] * 2
    old_json = read(OLD_SAVE_JSON)
    assert old_json.model == "deepseek-chat" and old_json.params == {"temperature": 0.3}
    assert [m.text for m in old_json.messages] == ["写一首诗", "秋风起。"]


def test_a_file_from_a_windows_editor_reads_too(tmp_path: Path) -> None:
    """Line ends rewritten to CRLF and a byte-order mark, as Notepad saves."""
    for name, text in (("old.md", OLD_SAVE_MD), ("old.json", OLD_SAVE_JSON)):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
        conversation = read_file(path)
        assert conversation.messages[1].text == "秋风起。" and conversation.model == "deepseek-chat"


def test_an_old_parameter_that_does_not_read_back_is_left_out_not_the_file() -> None:
    text = OLD_SAVE_MD.replace(
        "Parameters: temperature=0.3, stop=['END', '\\n\\n'], reasoning=show",
        "Parameters: temperature=9, top_p=[[[, seed=7",
    )
    conversation = from_markdown(text)
    assert conversation.params == {"seed": 7} and len(conversation.messages) == 4


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "neither JSON nor Markdown"),
        ("just some notes\n", "neither JSON nor Markdown"),
        ("{", "not JSON (line 1"),
        ("[1, 2]", "not a chatcli conversation (no 'messages')"),
        ('{"messages": [{"role": "user", "content": "a"}]}', "message 1 has no reply"),
        ('{"messages": "no"}', "messages"),
        ("### User\n\nhi\n", "message 1 has no reply"),
        ("<!-- chatcli [1] -->\n### User\n\nq\n### Assistant\n\na\n", "not a JSON object"),
        ('<!-- chatcli {"created": -5} -->\n### User\n\nq\n### Assistant\n\na\n', "created"),
        ("## You\n\nq\n\n## You\n\nagain\n", "must alternate"),
        ('{"messages": []}', "it holds no messages"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_file_is_one_line(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        read_file(path)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_text_or_not_there_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bin.md").write_bytes(b"\xff\xfe### User")
    for path in (tmp_path / "bin.md", tmp_path / "missing.md", tmp_path):
        with pytest.raises(ValueError) as caught:
            read_file(path)
        assert "\n" not in str(caught.value) and str(caught.value)


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ('END "\\n\\n"', ["END", "\n\n"]),
        ("'\\t' x\\ y", ["\t", "x y"]),
        ('"say \\"hi\\"" back\\\\slash', ['say "hi"', "back\\slash"]),
        ("'. ' ok", [". ", "ok"]),
        ("C:\\dir", ["C:\\dir"]),  # an unknown escape stays as typed
    ],
)
def test_set_values_read_the_usual_escapes(typed: str, split: list[str]) -> None:
    assert words(typed) == split


def test_an_open_quote_is_refused() -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        words('"open')


@pytest.mark.parametrize(
    ("key", "values", "one", "many"),
    [
        ("saved", {"path": "a.md"}, "saved 1 turn to a.md", "saved 2 turns to a.md"),
        ("resumed_more", {}, "… (1 earlier turn)", "… (2 earlier turns)"),
        (
            "context_trimmed",
            {},
            "(1 earlier turn left out to fit the context window)",
            "(2 earlier turns left out to fit the context window)",
        ),
        ("turns", {}, "1 turn", "2 turns"),
        (
            "thought_collapsed_tokens",
            {"s": 3},
            "▸ thought for 3 s · 1 token (/think to show)",
            "▸ thought for 3 s · 2 tokens (/think to show)",
        ),
        ("copied_block", {"k": 3}, "copied code block 3 (1 line)", "copied code block 3 (2 lines)"),
    ],
)
def test_counts_are_singular_for_one(
    key: str, values: dict[str, object], one: str, many: str
) -> None:
    i18n.set_language("en")
    assert i18n.t(key, n=1, **values) == one
    assert i18n.t(key, n=2, **values) == many
    i18n.set_language("zh")
    try:
        assert i18n.t(key, n=1, **values).replace("1", "2") == i18n.t(key, n=2, **values)
    finally:
        i18n.set_language("en")


def test_a_message_from_the_editor_stands_as_if_typed() -> None:
    assert as_typed("gpt-4o", "one\ntwo") == "gpt-4o> one\n....... two"
