"""An HTTP client whose every socket wait is bounded by one moving deadline.

httpx's timeouts are per operation: a server that trickles a header byte or a `: keep-alive`
comment every few seconds resets them forever. Here every connect, write and read waits at
most until `Deadline.at`, which the client moves when a request is sent (the connect and
header phase get `--timeout` in total) and when its headers arrive; the bot moves it again on
each content event, so `--timeout` bounds the time without progress, whatever the server
trickles. Imported only when the first request is made (it loads httpx2).

A read also wakes every `WAKE_SECONDS`: a Ctrl-C wakes a blocked wait only when it arrives
during the wait, and one that lands just before (or on another thread) would otherwise sit
noted but unacted on until the server sends something, which a held stream never does. A busy
server's Retry-After is waited the same way (`pause`), not by one long sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore2
import httpx2

# The longest socket wait between two looks for a Ctrl-C whose wake-up was lost.
WAKE_SECONDS = 0.25


def pause(seconds: float) -> None:
    """Sleep in `WAKE_SECONDS` slices, so a Ctrl-C whose wake-up was lost ends it within one."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, WAKE_SECONDS))


class Deadline:
    """A point in time (monotonic) after which no socket wait may go on."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def restart(self, seconds: float | None = None) -> None:
        """From now, allow `seconds` (default: the full timeout) until the next progress."""
        self.at = time.monotonic() + (self.seconds if seconds is None else seconds)

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        """`timeout` shortened to what is left, or `error` when nothing is left."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the deadline passed")
        if timeout is None:
            return left if math.isfinite(left) else None
        return min(timeout, left)


class _Stream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Waits in slices; between two, Python runs the SIGINT handler if one is pending."""
        wait = self._deadline.clamp(timeout, httpcore2.ReadTimeout)
        end = time.monotonic() + (math.inf if wait is None else wait)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise httpcore2.ReadTimeout("the deadline passed")
            try:
                return self._inner.read(max_bytes, min(left, WAKE_SECONDS))
            except httpcore2.ReadTimeout:
                if left <= WAKE_SECONDS:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        clamped = self._deadline.clamp(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, clamped), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore2.SyncBackend):
    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        clamped = self._deadline.clamp(timeout, httpcore2.ConnectTimeout)
        stream = super().connect_tcp(host, port, clamped, local_address, socket_options)
        return _Stream(stream, self._deadline)


def bounded_client(
    deadline: Deadline, on_response: Callable[[httpx2.Response], None], **kwargs: Any
) -> httpx2.Client:
    """The openai SDK's default client, with every direct connection under `deadline`;
    `on_response` sees each response's status and headers before the SDK does.

    (Connections through a proxy from the environment keep httpx's per-read timeouts.)
    """
    from openai import DefaultHttpxClient

    transport = httpx2.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore2.ConnectionPool):
        pool._network_backend = _Backend(deadline)
    hooks = {
        "request": [lambda _request: deadline.restart()],
        "response": [lambda _response: deadline.restart(), on_response],
    }
    client: httpx2.Client = DefaultHttpxClient(transport=transport, event_hooks=hooks, **kwargs)
    return client
