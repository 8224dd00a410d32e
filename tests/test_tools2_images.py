"""Images in MCP results: a model that takes images is shown them as image parts (in a user
message after the `tool` messages, which carry text only); a model that does not gets them
described (type and size); audio and binary resources are described, never dumped; and the
images stay out of the stored history."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from chatcli.config.model_info import sees_images
from tests.conftest import run_chatcli
from tests.fake_server import FakeOpenAI
from tests.mcp_server import BLOB, PIXEL
from tests.test_mcp import calls, mcp_file

PIXEL_URL = "data:image/png;base64," + base64.b64encode(PIXEL).decode()


def last_messages(server: FakeOpenAI) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.chat_requests[-1]["messages"]
    return messages


def image_urls(messages: list[dict[str, Any]]) -> list[str]:
    return [
        part["image_url"]["url"]
        for message in messages
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]


def run(env: dict[str, str], home: Path, tool: str, *flags: str) -> str:
    config = mcp_file(home)
    result = run_chatcli(
        env, "--mcp-config", config, "--mcp", "own", "--yes-tool", tool, *flags, "go"
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_a_vision_model_is_shown_the_image_after_the_tool_message(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("picture"))
    said = run(env, isolated, "picture", "--model", "gpt-4o")
    messages = last_messages(server)
    tool, shown = messages[-2], messages[-1]
    assert tool["role"] == "tool" and tool["tool_call_id"] == "call_1"
    assert tool["content"] == f"[image 1: image/png, {len(PIXEL)} bytes]"
    assert shown["role"] == "user"
    assert "call_1 (picture)" in shown["content"][0]["text"]
    assert image_urls([shown]) == [PIXEL_URL]
    assert "own.picture →" in said and "1 image(s) shown to the model" in said


def test_a_model_without_vision_gets_the_image_described(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    server.expect(calls("picture"))
    run(env, isolated, "picture", "--model", "deepseek-chat")
    messages = last_messages(server)
    assert messages[-1]["role"] == "tool"
    assert messages[-1]["content"] == (
        f"[image 1: image/png, {len(PIXEL)} bytes]\n"
        "[1 image(s) not shown: this model does not take images]"
    )
    assert image_urls(messages) == []
    assert "base64" not in json.dumps(server.chat_requests[-1])


@pytest.mark.parametrize("model", ["gpt-4o", "deepseek-chat"])
def test_audio_and_binary_resources_are_described_never_dumped(
    env: dict[str, str], server: FakeOpenAI, isolated: Path, model: str
) -> None:
    server.expect(calls("media"))
    run(env, isolated, "media", "--model", model)
    sent = json.dumps(server.chat_requests[-1])
    tool = next(m for m in last_messages(server) if m["role"] == "tool")
    lines = tool["content"].splitlines()
    assert lines[:4] == [
        "two things:",
        f"[image 1: image/png, {len(PIXEL)} bytes]",
        "[audio: audio/wav, 1000 bytes, not shown]",
        "[binary resource file:///data.bin: application/octet-stream, 2048 bytes, not shown]",
    ]
    assert BLOB[:40] not in sent and base64.b64encode(b"RIFF").decode()[:4] not in sent
    assert len(image_urls(last_messages(server))) == (1 if model == "gpt-4o" else 0)


def test_the_image_stays_out_of_the_stored_history(
    env: dict[str, str], server: FakeOpenAI, isolated: Path
) -> None:
    """Resumed, the turn comes back with its call and the image's description; the image's
    bytes are neither stored nor sent again."""
    server.expect(calls("picture"))
    run(env, isolated, "picture", "--model", "gpt-4o")
    run_chatcli(env, "-c", "--model", "gpt-4o", "and now?")
    messages = last_messages(server)
    assert any(m.get("tool_calls") for m in messages)
    assert [m["content"] for m in messages if m["role"] == "tool"] == [
        f"[image 1: image/png, {len(PIXEL)} bytes]"
    ]
    assert image_urls(messages) == []
    databases = list(isolated.rglob("*.db")) + list(isolated.rglob("*.sqlite*"))
    assert databases
    for path in databases:
        with sqlite3.connect(path) as db:
            dump = "\n".join(db.iterdump())
        assert base64.b64encode(PIXEL).decode()[:40] not in dump


@pytest.mark.parametrize(
    ("model", "sees"),
    [
        ("gpt-4o-mini", True),
        ("openai/gpt-4.1", True),
        ("o3-mini", False),
        ("Qwen/Qwen2.5-VL-7B-Instruct", True),
        ("qwen-vl-max", True),
        ("llama-3.2-11b-vision-instruct", True),
        ("deepseek-chat", False),
        ("qwen-plus", False),
        ("SmolLM2-360M-Instruct", False),
        ("volvo-v70", False),
    ],
)
def test_which_models_are_shown_images(model: str, sees: bool) -> None:
    assert sees_images(model) is sees
