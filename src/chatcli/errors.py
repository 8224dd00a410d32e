"""Turn SDK and network exceptions into one short line a user can act on.

The openai and httpx modules are looked up lazily so importing this module costs nothing.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from chatcli.i18n import t


class ChatcliError(Exception):
    """An error whose message is already fit for the user."""


class MissingApiKey(ChatcliError):
    def __init__(self) -> None:
        super().__init__(t("err_no_key"))


class MalformedResponse(ChatcliError):
    def __init__(self, detail: str) -> None:
        super().__init__(t("err_malformed", detail=detail))


class ServerError(ChatcliError):
    """An error the server reported inside a 200 response (an SSE error event)."""

    def __init__(self, detail: str) -> None:
        super().__init__(t("err_server_event", detail=detail))


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
    openai = sys.modules.get("openai")
    httpx = sys.modules.get("httpx2") or sys.modules.get("httpx")
    return bool(
        (openai is not None and isinstance(exc, openai.OpenAIError))
        or (httpx is not None and isinstance(exc, httpx.HTTPError))
    )


def _http_module() -> Any:
    """The HTTP library the installed openai SDK uses (httpx, or httpx2 in openai 3.x)."""
    for name in ("httpx2", "httpx"):
        if name in sys.modules:
            return sys.modules[name]
    return importlib.import_module("httpx")


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


def _looks_like_context_overflow(exc: Any) -> bool:
    text = (_server_message(exc) + " " + str(getattr(exc, "code", "") or "")).lower()
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


def describe(
    exc: BaseException,
    *,
    base_url: str,
    model: str,
    timeout: float,
    retries: int,
    mid_stream: bool = False,
) -> str:
    """The one- or two-line message for an API or network failure.

    `mid_stream`: the reply had started, so a timeout or connection error is a cut, not a
    failure to connect.
    """
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
    if isinstance(exc, openai.RateLimitError):
        return t("err_429", retries=retries, server=_server_message(exc))
    if isinstance(exc, openai.BadRequestError) and _looks_like_context_overflow(exc):
        return t("err_context", server=_server_message(exc))
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return t(
                "err_5xx", status=exc.status_code, retries=retries, server=_server_message(exc)
            )
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
        return t("err_malformed", detail=str(exc))
    return t("err_other", detail=str(exc) or type(exc).__name__)
