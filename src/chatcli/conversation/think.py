"""Inline reasoning: `<think>…</think>` at the start of a reply's content, split from the answer.

QwQ, the R1 distills and Qwen3 behind older servers put their thinking inline instead of in a
`reasoning_content` field. The split has to work on a stream cut at any byte, so a tag that
arrives in pieces is held back until it can be told apart from text; nothing is ever held
longer than the longest tag. Three shapes are handled:

- `<think>…</think>answer` (leading whitespace allowed before the tag);
- `…</think>answer` with no opening tag, because the chat template put `<think>` in the prompt:
  the text before the closing tag was reasoning after all, which a `Retract` says;
- an opening tag never closed (the token limit cut the thinking): all of it is reasoning and
  `unclosed` says the answer never came.

A `</think>` after a literal `<think>` in an ordinary answer (a model explaining the format)
is left alone: only a closing tag that comes first counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OPEN, CLOSE = "<think>", "</think>"

State = Literal["start", "inside", "lead", "plain", "answer"]


@dataclass(frozen=True)
class Piece:
    """Reasoning or answer text; `retract`: every answer piece so far was reasoning."""

    kind: Literal["reasoning", "answer", "retract"]
    text: str = ""


def _held_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    """Feed content deltas, get `Piece`s; `close()` at the end of the reply."""

    def __init__(self, *, starts_inside: bool = False) -> None:
        self._state: State = "inside" if starts_inside else "start"
        self._held = ""
        self.unclosed = False

    @property
    def thinking(self) -> bool:
        """Inside the reasoning now (what a live display shows as thinking)."""
        return self._state == "inside"

    def feed(self, text: str) -> list[Piece]:
        pieces: list[Piece] = []
        buffer, self._held = self._held + text, ""
        while buffer:
            buffer = self._step(buffer, pieces)
        return pieces

    def close(self) -> list[Piece]:
        """Whatever was held back, and whether the reasoning was left open."""
        held, self._held = self._held, ""
        pieces: list[Piece] = []
        if self._state == "inside":
            self.unclosed = True
            if held:
                pieces.append(Piece("reasoning", held))
        elif held and self._state != "lead":
            pieces.append(Piece("answer", held))
        return pieces

    def _step(self, buffer: str, out: list[Piece]) -> str:
        """Consume a prefix of `buffer`; return the rest (empty when done or held)."""
        state = self._state
        if state == "start":
            stripped = buffer.lstrip()
            if stripped.startswith(OPEN):
                self._state = "inside"
                return stripped[len(OPEN) :]
            if not stripped or OPEN.startswith(stripped):
                self._held = buffer
                return ""
            self._state = "plain"
            return buffer
        if state == "inside":
            end = buffer.find(CLOSE)
            if end >= 0:
                _emit(out, "reasoning", buffer[:end])
                self._state = "lead"
                return buffer[end + len(CLOSE) :]
            return self._hold(buffer, out, "reasoning", CLOSE)
        if state == "lead":  # the blank lines between the reasoning and the answer
            stripped = buffer.lstrip()
            if stripped:
                self._state = "answer"
            return stripped
        if state == "plain":
            close, opened = buffer.find(CLOSE), buffer.find(OPEN)
            if opened >= 0 and (close < 0 or opened < close):
                self._state = "answer"
                return buffer
            if close >= 0:
                _emit(out, "answer", buffer[:close])
                out.append(Piece("retract"))
                self._state = "lead"
                return buffer[close + len(CLOSE) :]
            return self._hold(buffer, out, "answer", CLOSE, OPEN)
        _emit(out, "answer", buffer)
        return ""

    def _hold(
        self, buffer: str, out: list[Piece], kind: Literal["reasoning", "answer"], *tags: str
    ) -> str:
        keep = max(_held_suffix(buffer, tag) for tag in tags)
        _emit(out, kind, buffer[: len(buffer) - keep])
        self._held = buffer[len(buffer) - keep :]
        return ""


def _emit(out: list[Piece], kind: Literal["reasoning", "answer"], text: str) -> None:
    if text:
        out.append(Piece(kind, text))


def split(pieces: list[Piece]) -> tuple[str, str]:
    """The reasoning and the answer that a list of pieces adds up to."""
    reasoning: list[str] = []
    answer: list[str] = []
    for piece in pieces:
        if piece.kind == "reasoning":
            reasoning.append(piece.text)
        elif piece.kind == "answer":
            answer.append(piece.text)
        else:
            reasoning.extend(answer)
            answer.clear()
    return "".join(reasoning), "".join(answer)
