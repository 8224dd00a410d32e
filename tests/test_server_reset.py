"""The session-wide loopback server starts each test clean: a stream left over from the
previous test is cut and its handler joined before `reset()` returns, so it can neither take
the next test's scripted behaviour nor record a request nor write into its stream."""

from __future__ import annotations

import http.client
import json

from tests.fake_server import Behaviour, FakeOpenAI, Gate


def test_reset_cuts_a_leftover_stream_and_joins_its_handler(server: FakeOpenAI) -> None:
    gate = Gate(after=1)
    server.expect(Behaviour(reply="tick " * 50, hold=gate))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    connection.request("POST", "/v1/chat/completions", json.dumps(body))
    response = connection.getresponse()
    received = b""
    while b"tick" not in received:  # the stream is then held after its first text
        chunk = response.read1()
        assert chunk, "the stream ended before its first text"
        received += chunk

    server.reset()

    assert server.requests == [] and server.script == []
    try:
        rest = response.read()
    except http.client.IncompleteRead as cut:
        rest = cut.partial
    assert b"[DONE]" not in rest  # cut, not finished after the reset
    connection.close()
