"""Turn SDK and network exceptions into one short line a user can act on.

The openai and httpx modules are looked up lazily so importing this module costs nothing.
"""

from __future__ import annotations

import email.utils
import importlib
import logging
import math
import sys
import time
from typing import Any

from chatcli.i18n import t

log = logging.getLogger(__name__)
SERVER_TEXT_LIMIT = 200
# The openai SDK honours a Retry-After up to this many seconds and does not retry beyond it
# (openai._constants.MAX_RETRY_AFTER_DELAY).
SDK_RETRY_AFTER_CAP = 120.0


def server_text(text: str, limit: int = SERVER_TEXT_LIMIT) -> str:
    """Text the server wrote, fit for one line: whitespace runs folded, cut with an ellipsis.

    The whole text goes to the --debug log when anything was lost.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit and flat == text:
        return flat
    log.debug("full server message (%d characters): %s", len(text), text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ChatcliError(Exception):
    """An error whose message is already fit for the user."""


class MissingApiKey(ChatcliError):
    def __init__(self) -> None:
        super().__init__(t("err_no_key"))


class MalformedResponse(ChatcliError):
    def __init__(self, detail: str) -> None:
        super().__init__(t("err_malformed", detail=server_text(detail)))


class ServerError(ChatcliError):
    """An error the server reported inside a 200 response (an SSE error event, or the body)."""

    def __init__(self, detail: str, *, mid_reply: bool = True) -> None:
        key = "err_server_event" if mid_reply else "err_server_body"
        super().__init__(t(key, detail=server_text(detail)))


class NotAChatReply(ChatcliError):
    """A 200 whose body is neither JSON nor an event stream: say what it was."""

    def __init__(self, *, page: bool, content_type: str, glimpse: str) -> None:
        key = "err_html_body" if page else "err_other_body"
        shown = server_text(glimpse, 80) or t("empty_body")
        super().__init__(t(key, content_type=content_type, glimpse=shown))


class IncompleteReply(ChatcliError):
    """The stream ended cleanly but no choice said it was finished: treat as a cut."""

    def __init__(self) -> None:
        super().__init__(t("err_incomplete"))


class EmptyReply(ChatcliError):
    def __init__(self, whitespace_only: bool) -> None:
        super().__init__(t("err_whitespace_reply" if whitespace_only else "err_empty_reply"))


def is_api_error(exc: BaseException) -> bool:
    """True for failures of the request or the network, which the REPL survives."""
    if isinstance(exc, ChatcliError):
        return True
    # A module still being imported (openai loads in the background) may not have its
    # classes yet: what is not there cannot have raised this.
    kinds = (
        getattr(sys.modules.get("openai"), "OpenAIError", None),
        getattr(sys.modules.get("httpx2") or sys.modules.get("httpx"), "HTTPError", None),
    )
    return any(isinstance(kind, type) and isinstance(exc, kind) for kind in kinds)


def worth_retrying(exc: BaseException) -> bool:
    """Whether asking again may well work: the network, a busy server or a reply that broke
    off failed, not the request itself (a rejected key or an unknown model would fail again)."""
    if isinstance(exc, ServerError | IncompleteReply | EmptyReply):
        return True
    openai = sys.modules.get("openai")
    httpx = sys.modules.get("httpx2") or sys.modules.get("httpx")
    if openai is not None and isinstance(exc, openai.APIStatusError):
        return bool(exc.status_code == 429 or exc.status_code >= 500)
    return bool(
        (openai is not None and isinstance(exc, openai.APIConnectionError))
        or (httpx is not None and isinstance(exc, httpx.TransportError))
    )


def _http_module() -> Any:
    """The HTTP library the installed openai SDK uses (httpx, or httpx2 in openai 3.x)."""
    for name in ("httpx2", "httpx"):
        if name in sys.modules:
            return sys.modules[name]
    return importlib.import_module("httpx")


def _server_message(exc: Any) -> str:
    return server_text(_full_server_message(exc))


def _full_server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked to wait (Retry-After as seconds or a date, or retry-after-ms)."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) else None
    try:
        moment = email.utils.parsedate_tz(headers.get("retry-after") or "")
        return None if moment is None else email.utils.mktime_tz(moment) - time.time()
    except (TypeError, ValueError, OverflowError):
        return None


def _retries_taken(exc: Any, configured: int) -> int:
    """How often the SDK retried before giving up (it numbers its attempts in a header);
    `configured` when the request does not say."""
    request = getattr(getattr(exc, "response", None), "request", None)
    value = request.headers.get("x-stainless-retry-count", "") if request is not None else ""
    return int(value) if value.isdecimal() else configured


def _duration(seconds: float) -> str:
    if seconds < 90:
        return t("duration_s", n=math.ceil(seconds))
    if seconds < 3600:
        return t("duration_min", n=round(seconds / 60))
    if seconds < 48 * 3600:
        return t("duration_h", n=f"{round(seconds / 3600, 1):g}")
    return t("duration_d", n=f"{round(seconds / 86400, 1):g}")


def longest_wait(timeout: float) -> float:
    """The longest Retry-After waited for: what the SDK honours, and never past --timeout."""
    return min(SDK_RETRY_AFTER_CAP, timeout)


def _refused_with_wait(exc: Any, timeout: float) -> str | None:
    """429/5xx with a Retry-After longer than chatcli waits: it did not retry, say so."""
    response = getattr(exc, "response", None)
    wait = retry_after(response.headers) if response is not None else None
    if wait is None or wait <= longest_wait(timeout):
        return None
    return t(
        "err_retry_after", status=exc.status_code, wait=_duration(wait), server=_server_message(exc)
    )


def _looks_like_context_overflow(exc: Any) -> bool:
    text = (_full_server_message(exc) + " " + str(getattr(exc, "code", "") or "")).lower()
    return any(
        marker in text
        for marker in ("context_length_exceeded", "context length", "maximum context", "too long")
    )


def is_context_overflow(exc: BaseException) -> bool:
    """The server refused the request because the prompt is longer than its context window."""
    openai = sys.modules.get("openai")
    return (
        openai is not None
        and isinstance(exc, openai.BadRequestError)
        and _looks_like_context_overflow(exc)
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# Statuses servers answer an image with when their model reads text only.
IMAGE_REFUSALS = frozenset({400, 415, 422, 500})


def describe(
    exc: BaseException,
    *,
    base_url: str,
    model: str,
    timeout: float,
    retries: int,
    mid_stream: bool = False,
    image: bool = False,
) -> str:
    """The one- or two-line message for an API or network failure.

    `mid_stream`: the reply had started, so a timeout or connection error is a cut, not a
    failure to connect. `image`: the message held an image, which a text-only model answers
    with nothing or a refusal: say so, after what the server said.
    """
    message = _describe(
        exc, base_url=base_url, model=model, timeout=timeout, retries=retries, mid_stream=mid_stream
    )
    status = getattr(exc, "status_code", None)
    if image and (isinstance(exc, EmptyReply) or status in IMAGE_REFUSALS):
        message += t("image_refused", model=model)
    return message


def _describe(
    exc: BaseException,
    *,
    base_url: str,
    model: str,
    timeout: float,
    retries: int,
    mid_stream: bool,
) -> str:
    if isinstance(exc, ChatcliError):
        return str(exc)
    import openai

    httpx = _http_module()

    if isinstance(exc, openai.AuthenticationError):
        return t("err_401", server=_server_message(exc))
    if isinstance(exc, openai.PermissionDeniedError):
        return t("err_403", server=_server_message(exc))
    if isinstance(exc, openai.NotFoundError):
        return t("err_404", model=model, base_url=base_url, server=_server_message(exc))
    if isinstance(exc, openai.BadRequestError) and _looks_like_context_overflow(exc):
        return t("err_context", server=_server_message(exc))
    if isinstance(exc, openai.APIStatusError):
        retryable = exc.status_code == 429 or exc.status_code >= 500
        if retryable and (asked := _refused_with_wait(exc, timeout)):
            return asked
        taken = _retries_taken(exc, retries)
        if exc.status_code == 429:
            key = "err_429" if taken else "err_429_once"
            return t(key, retries=taken, server=_server_message(exc))
        if exc.status_code >= 500:
            key = "err_5xx" if taken else "err_5xx_once"
            return t(key, status=exc.status_code, retries=taken, server=_server_message(exc))
        return t("err_status", status=exc.status_code, server=_server_message(exc))
    chain = _chain(exc)
    timed_out = isinstance(exc, openai.APITimeoutError) or any(
        isinstance(e, httpx.TimeoutException) for e in chain
    )
    if timed_out:
        return t(
            "err_read_timeout" if mid_stream else "err_timeout", base_url=base_url, timeout=timeout
        )
    if mid_stream and (
        isinstance(exc, openai.APIConnectionError)
        or any(isinstance(e, httpx.TransportError) for e in chain)
    ):
        return t("err_cut", base_url=base_url)
    if isinstance(exc, openai.APIConnectionError) or any(
        isinstance(e, httpx.ConnectError) for e in chain
    ):
        detail = " ".join(str(e) for e in chain).lower()
        if "name or service" in detail or "nodename" in detail or "name resolution" in detail:
            return t("err_dns", base_url=base_url)
        if "refused" in detail:
            return t("err_refused", base_url=base_url)
        return t("err_connect", base_url=base_url, detail=str(chain[-1]))
    if isinstance(exc, openai.APIResponseValidationError):
        return t("err_malformed", detail=server_text(str(exc)))
    return t("err_other", detail=server_text(str(exc) or type(exc).__name__))
