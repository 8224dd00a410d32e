"""A real loopback OpenAI-compatible server for tests and benchmarks.

It speaks HTTP/1.1 with chunked SSE like production servers, records every request, and plays
scripted behaviours (faults, slow streams, cut connections) queued with `expect()`.
Run it alone for manual trials: `python tests/fake_server.py --port 8765`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

MODELS = ["gpt-4o", "gpt-4o-mini", "deepseek-chat", "qwen-plus"]
HANG_GUARD = 60.0  # seconds: a test that forgot its gate, or a client that never goes away


class Gate:
    """A stream held mid-reply until the test says go, so a test lands a key or a Ctrl-C in
    the middle of a reply by state, not by timing. `reset()` opens every gate. `after` counts
    text chunks (reasoning too); 0 holds before the first event, right after the headers."""

    def __init__(self, after: int = 1) -> None:
        self.after = after
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def wait(self) -> None:
        if not self._open.wait(HANG_GUARD):
            raise TimeoutError("a held stream was never released")


@dataclass
class Behaviour:
    """What the next request(s) get. Unset fields mean "a normal echo reply"."""

    reply: str | None = None
    chunks: list[str] | None = None
    status: int = 200
    error: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    rate: float = 0.0  # content chunks per second, on a fixed schedule (0: as fast as possible)
    first_delay: float = 0.0
    drop_after: int | None = None
    finish_reason: str = "stop"
    raw_events: list[str] | None = None
    usage: bool = True
    times: int = 1
    hold: Gate | None = None  # stop after `hold.after` text chunks until the test opens it
    # Hostile servers: a whole body served as is (with this content type), whatever was asked
    body: str | None = None
    content_type: str = "application/json"
    # after the events, send this line (": keep-alive", "") every `trickle_every` s forever
    trickle: str | None = None
    trickle_every: float = 0.2
    hold_open: bool = False  # after the events: neither [DONE] nor the end of the body
    header_trickle: bool = False  # the status line, then one header byte at a time, forever
    # A thinking model: this reasoning streams first (token-ish pieces), then the reply. The
    # dialect: a delta field (`reasoning_content` also reports `reasoning_tokens` in the
    # usage, as DeepSeek does; `reasoning` does not, as OpenRouter) or inline `<think>`.
    reasoning: str | None = None
    reasoning_field: Literal["reasoning_content", "reasoning", "think"] = "reasoning_content"
    # A model calling tools: each {"id", "name", "arguments"} (arguments as JSON text), sent
    # after the reply text; the arguments streamed `tool_split` characters a chunk (0: whole),
    # the calls' chunks taken in turn when `tool_interleave`. finish_reason is "tool_calls".
    tool_calls: list[dict[str, str]] | None = None
    tool_split: int = 0
    tool_interleave: bool = False
    # A model that goes on where its cut answer stopped when asked in words: a final user
    # message after an assistant message that begins `reply` gets the rest of `reply`. (A
    # final assistant message with `"prefix": true`, DeepSeek's prefix completion, is always
    # continued; only under a /beta/ path, as DeepSeek serves it.)
    goes_on: bool = False


@dataclass
class Recorded:
    """One request; header names lower-cased."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


def _message_tokens(message: dict[str, Any]) -> int:
    return len(json.dumps(message.get("content"), ensure_ascii=False)) // 4 + 1


def prefix_of(body: dict[str, Any]) -> str | None:
    """The text of a final assistant message marked `"prefix": true`, which the reply
    continues (DeepSeek's chat prefix completion)."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") == "assistant" and last.get("prefix") is True:
        return str(last.get("content") or "")
    return None


def said_before(body: dict[str, Any], reply: str) -> str:
    """What of `reply` the model already said, for a model that goes on when asked: the
    assistant message just before the final user message, when it is a cut `reply`."""
    messages = body.get("messages") or []
    if len(messages) < 2 or messages[-1].get("role") != "user":
        return ""
    before = messages[-2]
    text = before.get("content")
    cut = isinstance(text, str) and text != reply and reply.startswith(text)
    if before.get("role") == "assistant" and cut:
        return str(text)
    return ""


def echo_reply(body: dict[str, Any]) -> str:
    messages = [m for m in body.get("messages") or [] if not m.get("prefix")]
    last = messages[-1]["content"] if messages else ""
    if isinstance(last, list):
        last = " ".join(part.get("text", "[image]") for part in last if isinstance(part, dict))
    return f"Echo: {last}"


def split_tokens(text: str) -> list[str]:
    """Word-ish pieces, like a tokenizer would produce (CJK one character each)."""
    return re.findall(
        r"\s*[\u3000-\u9fff\uff00-\uffef]|\s*[^\s\u3000-\u9fff\uff00-\uffef]+|\s+", text
    )


class FakeOpenAI:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Behaviour] = []
        self.models = list(MODELS)
        self.models_payload: Any = None  # served as /models instead of `models` when set
        self.models_served = threading.Event()  # set once a /models answer has been written
        self.api_key: str | None = None
        self.first_content_sent: list[float] = []  # time.monotonic() per stream, for benchmarks
        # Plain web pages (path -> status, headers, body), for what /file and -f fetch.
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        # A provider's prefix cache: the usage reports as cached the longest run of leading
        # messages any earlier request shared, as OpenAI ("openai") or DeepSeek ("deepseek") do.
        self.prefix_cache: Literal["openai", "deepseek"] | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread: threading.Thread | None = None
        self._live: dict[socket.socket, threading.Thread] = {}  # connections being served
        self._gates: list[Gate] = []  # holds of streams in flight
        self._cut = threading.Event()  # set while reset() ends leftover streams

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def expect(self, *behaviours: Behaviour) -> None:
        """Queue copies: `times` counts down on the queued one, so a Behaviour kept in a
        module-level table plays the same in every test that queues it."""
        with self._lock:
            self.script.extend(replace(b) for b in behaviours)

    def reset(self) -> None:
        """A clean server for the next test: connections left over from the previous one are
        cut and their handlers joined first, so no stale stream can record a request, take a
        queued behaviour or write after this returns."""
        self._end_leftovers()
        with self._lock:
            self.script.clear()
            self.requests.clear()
            self.first_content_sent.clear()
            self.api_key = None
            self.models = list(MODELS)
            self.models_payload = None
            self.models_served.clear()
            self.prefix_cache = None
            self.pages.clear()

    def _end_leftovers(self) -> None:
        self._cut.set()
        with self._lock:
            live = list(self._live.items())
            gates, self._gates = self._gates, []
        for connection, _ in live:  # cut first: an opened gate must not let a stream finish
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for gate in gates:
            gate.open()
        try:
            for _, thread in live:
                thread.join(HANG_GUARD)
                if thread.is_alive():
                    raise AssertionError("a leftover request handler did not end")
        finally:
            self._cut.clear()

    def _serving(self, connection: socket.socket, serving: bool) -> None:
        with self._lock:
            if serving:
                self._live[connection] = threading.current_thread()
            else:
                self._live.pop(connection, None)

    def _pause(self, seconds: float) -> None:
        """A scripted delay that `reset()` cuts short."""
        self._cut.wait(seconds)

    def _hold(self, gate: Gate) -> None:
        with self._lock:
            self._gates.append(gate)
        if not self._cut.is_set():
            gate.wait()

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def shared_prefix(self, messages: list[Any]) -> int:
        """How many leading messages the longest-sharing earlier chat request had in common."""
        earlier = self.chat_requests[:-1]  # the request being answered is recorded already
        best = 0
        for sent in earlier:
            same = 0
            for a, b in zip(sent.get("messages", []), messages, strict=False):
                if a != b:
                    break
                same += 1
            best = max(best, same)
        return best

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            if not self.script:
                return Behaviour()
            current = self.script[0]
            current.times -= 1
            if current.times <= 0:
                self.script.pop(0)
            return current


def _make_handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            server._serving(self.request, True)
            super().setup()

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                server._serving(self.request, False)

        def _authorised(self) -> bool:
            if server.api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                return True
            self._json(
                401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}
            )
            return False

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            server.requests.append(Recorded(self.path, {}, _lower(self.headers)))
            if self.path in server.pages:
                status, headers, body = server.pages[self.path]
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)
                return
            if not self._authorised():
                return
            if self.path.rstrip("/").endswith("/models") and server.models_payload is not None:
                self._json(200, server.models_payload)
            elif self.path.rstrip("/").endswith("/models"):
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in server.models
                ]
                self._json(200, {"object": "list", "data": data})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            server.models_served.set()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(Recorded(self.path, body, _lower(self.headers)))
            if not self._authorised():
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            behaviour = server.next_behaviour()
            if behaviour.first_delay:
                server._pause(behaviour.first_delay)
            if behaviour.header_trickle:
                self._trickle_headers()
                return
            if behaviour.body is not None:
                self._raw_body(behaviour)
                return
            if behaviour.status != 200:
                error = behaviour.error or {"message": f"injected status {behaviour.status}"}
                self._json(behaviour.status, {"error": error}, behaviour.headers)
                return
            if prefix_of(body) is not None and "/beta/" not in self.path:
                message = "prefix completion is only available with base_url .../beta"
                self._json(400, {"error": {"message": message, "code": "invalid_request_error"}})
                return
            if body.get("stream"):
                self._stream(body, behaviour)
            else:
                self._whole(body, behaviour)

        def _script(
            self, body: dict[str, Any], behaviour: Behaviour
        ) -> tuple[list[tuple[str, str]], str]:
            """(delta field, text) pieces: the reasoning in its dialect, then the reply; cut
            at the request's token limit like a real server, thinking included."""
            full = behaviour.reply if behaviour.reply is not None else echo_reply(body)
            prefix = prefix_of(body)
            if prefix is not None and full.startswith(prefix):
                full = full[len(prefix) :]
            elif behaviour.goes_on:
                full = full[len(said_before(body, full)) :]
            answer = behaviour.chunks or split_tokens(full)
            thinking = split_tokens(behaviour.reasoning or "")
            field = behaviour.reasoning_field
            pieces = (
                [
                    ("content", "<think>"),
                    *(("content", p) for p in thinking),
                    ("content", "</think>\n\n"),
                ]
                if field == "think" and behaviour.reasoning is not None
                else [(field, p) for p in thinking]
            )
            pieces += [("content", p) for p in answer]
            limit = body.get("max_tokens") or body.get("max_completion_tokens")
            if limit and len(pieces) > limit:
                return pieces[:limit], "length"
            if behaviour.tool_calls and behaviour.finish_reason == "stop":
                return pieces, "tool_calls"
            return pieces, behaviour.finish_reason

        def _usage(
            self, body: dict[str, Any], completion: int, reasoning: int | None = None
        ) -> dict[str, Any]:
            sizes = [_message_tokens(m) for m in body["messages"]]
            prompt = sum(sizes)
            n = body.get("n") or 1
            usage: dict[str, Any] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion * n,
                "total_tokens": prompt + completion * n,
            }
            if server.prefix_cache:
                cached = sum(sizes[: server.shared_prefix(body["messages"])])
                if server.prefix_cache == "openai":
                    usage["prompt_tokens_details"] = {"cached_tokens": cached}
                else:
                    usage["prompt_cache_hit_tokens"] = cached
                    usage["prompt_cache_miss_tokens"] = prompt - cached
            if reasoning is not None:
                usage["completion_tokens_details"] = {"reasoning_tokens": reasoning * n}
            return usage

        def _reasoning_count(self, script: list[tuple[str, str]]) -> int | None:
            """Reasoning tokens as DeepSeek reports them (only its dialect reports them)."""
            if not any(name == "reasoning_content" for name, _ in script):
                return None
            return sum(name == "reasoning_content" for name, _ in script)

        def _whole(self, body: dict[str, Any], behaviour: Behaviour) -> None:
            script, finish = self._script(body, behaviour)
            pieces = [text for name, text in script if name == "content"]
            text = "".join(pieces)
            message: dict[str, Any] = {"role": "assistant"}
            for name, piece in script:
                if name != "content":
                    message[name] = message.get(name, "") + piece
            if behaviour.tool_calls:
                message["tool_calls"] = [_whole_call(call) for call in behaviour.tool_calls]
            choices = [
                {
                    "index": i,
                    "finish_reason": finish,
                    "message": {**message, "content": _variant(text, i)},
                    "logprobs": _logprob_block(pieces, body) if body.get("logprobs") else None,
                }
                for i in range(body.get("n") or 1)
            ]
            self._json(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model"),
                    "system_fingerprint": "fp_test",
                    "choices": choices,
                    "usage": self._usage(body, len(script), self._reasoning_count(script)),
                },
            )

        def _raw_body(self, behaviour: Behaviour) -> None:
            data = behaviour.body.encode() if behaviour.body is not None else b""
            self.send_response(behaviour.status)
            self.send_header("Content-Type", behaviour.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle_headers(self) -> None:
            """A header that never ends: one byte every 0.2 s until the client gives up."""
            self.close_connection = True
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(600):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    server._pause(0.2)
                    if server._cut.is_set():
                        return
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

        def _after_events(self, behaviour: Behaviour) -> None:
            """Keep the stream open without ending it, until the client hangs up (or 2 min)."""
            self.close_connection = True
            if behaviour.trickle is not None:
                for _ in range(int(120 / behaviour.trickle_every)):
                    self._write_chunk((behaviour.trickle + "\n").encode())
                    server._pause(behaviour.trickle_every)
                    if server._cut.is_set():
                        return
            else:
                self.connection.settimeout(120)
                self.connection.recv(1)

        def _write_chunk(self, data: bytes) -> None:
            if server._cut.is_set():  # reset() is ending this leftover stream: not a byte more
                raise BrokenPipeError
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _events(self, body: dict[str, Any], behaviour: Behaviour) -> Iterator[str]:
            if behaviour.raw_events is not None:
                yield from behaviour.raw_events
                return
            script, finish = self._script(body, behaviour)
            n = body.get("n") or 1
            base = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model"),
                "system_fingerprint": "fp_test",
            }
            yield json.dumps(
                {
                    **base,
                    "choices": [
                        {
                            "index": i,
                            "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None,
                        }
                        for i in range(n)
                    ],
                }
            )
            first = next((k for k, (name, _) in enumerate(script) if name == "content"), -1)
            for k, (name, piece) in enumerate(script):
                for i in range(n):
                    choice: dict[str, Any] = {
                        "index": i,
                        "delta": {name: _variant(piece, i) if k == first else piece},
                        "finish_reason": None,
                    }
                    if body.get("logprobs"):
                        choice["logprobs"] = _logprob_block([piece], body)
                    yield json.dumps({**base, "choices": [choice]}, ensure_ascii=False)
            for fragment in _tool_fragments(behaviour):
                delta = {"tool_calls": [fragment]}
                choice = {"index": 0, "delta": delta, "finish_reason": None}
                yield json.dumps({**base, "choices": [choice]}, ensure_ascii=False)
            yield json.dumps(
                {
                    **base,
                    "choices": [
                        {"index": i, "delta": {}, "finish_reason": finish} for i in range(n)
                    ],
                }
            )
            if behaviour.usage and (body.get("stream_options") or {}).get("include_usage"):
                usage = self._usage(body, len(script), self._reasoning_count(script))
                yield json.dumps({**base, "choices": [], "usage": usage})
            yield "[DONE]"

        def _stream(self, body: dict[str, Any], behaviour: Behaviour) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            start, texts = time.monotonic(), 0
            if behaviour.hold is not None and behaviour.hold.after == 0:
                self.wfile.flush()
                server._hold(behaviour.hold)
            try:
                for count, event in enumerate(self._events(body, behaviour)):
                    if behaviour.drop_after is not None and count >= behaviour.drop_after:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if behaviour.delay and count:
                        server._pause(behaviour.delay)
                    if behaviour.rate and count:
                        server._pause(start + count / behaviour.rate - time.monotonic())
                    line = (
                        event
                        if event.startswith((":", "data:", "event:")) or event == ""
                        else f"data: {event}"
                    )
                    self._write_chunk((line + "\n\n").encode())
                    if _carries_text(event):
                        texts += 1
                        if texts == 1:
                            server.first_content_sent.append(time.monotonic())
                        if behaviour.hold is not None and texts == behaviour.hold.after:
                            server._hold(behaviour.hold)
                if behaviour.hold_open or behaviour.trickle is not None:
                    self._after_events(behaviour)
                    return
                self._write_chunk(b"")
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                self.close_connection = True

    return Handler


def _carries_text(event: str) -> bool:
    """Whether an SSE payload holds reply or reasoning text (the role-only first chunk does
    not)."""
    return ('"content": "' in event and '"content": ""' not in event) or any(
        f'"{name}": "' in event for name in ("reasoning_content", "reasoning")
    )


def _whole_call(call: dict[str, str]) -> dict[str, Any]:
    return {
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": call["arguments"]},
    }


def _tool_fragments(behaviour: Behaviour) -> list[dict[str, Any]]:
    """The streamed pieces of the calls: id and name first, then the arguments in pieces."""
    per_call: list[list[dict[str, Any]]] = []
    for k, call in enumerate(behaviour.tool_calls or []):
        head = {**_whole_call(call), "index": k}
        head["function"] = {"name": call["name"], "arguments": ""}
        text, step = call["arguments"], behaviour.tool_split or len(call["arguments"]) or 1
        rest = [
            {"index": k, "function": {"arguments": text[i : i + step]}}
            for i in range(0, len(text), step)
        ]
        per_call.append([head, *rest])
    if not behaviour.tool_interleave:
        return [piece for pieces in per_call for piece in pieces]
    longest = max((len(pieces) for pieces in per_call), default=0)
    return [pieces[i] for i in range(longest) for pieces in per_call if i < len(pieces)]


def _lower(headers: Any) -> dict[str, str]:
    """Header names compared case-insensitively, as HTTP says."""
    return {key.lower(): value for key, value in headers.items()}


def _variant(text: str, index: int) -> str:
    return text if index == 0 else f"[{index + 1}] {text}"


def _logprob_block(pieces: list[str], body: dict[str, Any]) -> dict[str, Any]:
    k = body.get("top_logprobs") or 0
    return {
        "content": [
            {
                "token": p,
                "logprob": -0.1 * (j + 1),
                "bytes": None,
                "top_logprobs": [{"token": p, "logprob": -0.1, "bytes": None}] * k,
            }
            for j, p in enumerate(pieces)
        ]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds between chunks")
    parser.add_argument("--reply-file", help="reply with this file's text instead of echoing")
    parser.add_argument(
        "--prefix-cache",
        choices=["openai", "deepseek"],
        help="report cached prompt tokens (a shared prefix of messages) in this usage dialect",
    )
    parser.add_argument(
        "--script",
        help="a JSON list of behaviours (Behaviour's fields, e.g. tool_calls) played in order "
        "before the echo: {} is one echo",
    )
    args = parser.parse_args()
    server = FakeOpenAI(port=args.port)
    server.prefix_cache = args.prefix_cache
    reply = None
    if args.reply_file:
        with open(args.reply_file, encoding="utf-8") as f:
            reply = f.read()
    script = []
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = [Behaviour(**fields) for fields in json.load(f)]
    server.expect(*script, Behaviour(reply=reply, delay=args.delay, times=10**9, goes_on=True))
    print(f"fake OpenAI server on {server.base_url}", flush=True)
    server._httpd.serve_forever()


if __name__ == "__main__":
    main()
