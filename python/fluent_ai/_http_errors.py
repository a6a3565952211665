"""Maps a failed provider response or transport exception to a :mod:`fluent_ai.errors` class.

Shared by the catalog refresh and the clients. It reads the error shapes of
../shared/spec/providers.md: OpenAI-style ``{"error": {"message", "type", "code"}}`` (§2.5,
also Mistral, OpenRouter and the compatible servers), Anthropic's ``{"type": "error", "error":
{...}, "request_id"}`` (§4.4), Google's ``google.rpc.Status`` possibly wrapped in a one-element
array (§5.5), Bedrock's ``{"message"}`` with ``x-amzn-ErrorType`` (§6.6), Cohere's
``{"id", "message"}`` (§7.3) and Ollama's ``{"error": "..."}``. Every secret passed in is
replaced by ``[REDACTED]`` in the message, so an API key echoed by a provider never ends up in
an exception.

It does no I/O and does not import httpx: anything with ``status_code``, ``headers`` and
``content`` works (a read ``httpx.Response``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from . import errors
from ._json_text import loads_bounded

__all__ = [
    "ResponseLike",
    "error_from_response",
    "error_from_transport",
    "is_context_overflow",
    "redact",
    "request_id_from",
    "retry_after_from",
    "scrub",
]

# Longest provider message kept; error bodies can be whole HTML pages.
_MAX_MESSAGE = 1000

# Header names carrying a request id, most specific first [providers.md §2, §4.4, §6.6, §11].
_REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-goog-request-id",
    "x-generation-id",
    "cf-ray",
)

# Phrases that providers use when the prompt does not fit the context window (checked on 400,
# 413 and 422 only, so Bedrock's 429 "Too many tokens" stays a rate limit).
_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length[_ ]exceeded|maximum context length|context window|context_window"
    r"|prompt is too long|input is too long|too many (?:input )?tokens|reduce the length"
    r"|exceeds the maximum number of tokens|input token count.*exceeds|maximum context"
    r"|request_too_large|too large for model|exceeds? (?:the )?context limit"
    # Ollama (nano-step/nano-brain#208), LM Studio (lmstudio-ai/examples#29), llama.cpp's
    # server (exceed_context_size_error), Moonshot, DashScope:
    r"|exceeds? (?:the )?context length|exceeds the available context size"
    r"|exceed_context_size|exceeded model token limit|range of input length should be",
    re.IGNORECASE | re.DOTALL,
)

# What a 401 from a provider whose keys belong to one region or platform most likely means.
_AUTH_HINTS = {
    "zai": "a Z.ai key is valid only on api.z.ai; a key made on open.bigmodel.cn (which "
    "Zhipu's docs also put in ZAI_API_KEY) belongs to the 'zhipuai' provider, or set "
    "region='cn'",
    "zhipuai": "a BigModel key is valid only on open.bigmodel.cn; a key made on z.ai belongs "
    "to the 'zai' provider, or set region='global'",
    "dashscope": "DashScope keys are valid in the region they were made in only: set "
    "providers={'dashscope': {'region': ...}} (cn, intl, us, hk) or FLUENT_AI_DASHSCOPE_REGION",
    "moonshot": "Moonshot keys of platform.moonshot.cn work only on api.moonshot.cn: set "
    "region='cn' (or 'global' for platform.moonshot.ai)",
    "minimax": "MiniMax keys of the China console work only on api.minimaxi.com: set "
    "region='cn' (or 'global' for api.minimax.io)",
}


class ResponseLike(Protocol):
    """What the mapper needs from a response (an ``httpx.Response`` that has been read)."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every non-empty secret (and ``key=<secret>`` URL parameters) removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    return re.sub(r"([?&]key=)[^&\s\"']+", r"\1[REDACTED]", text)


def error_from_response(
    response: ResponseLike,
    *,
    provider: str,
    secrets: Iterable[str | None] = (),
    now: float | None = None,
) -> errors.APIError:
    """The exception for a response with an error status (>= 400).

    ``secrets`` (API keys, tokens) are redacted from the message; ``now`` (epoch seconds) is
    only for tests of HTTP-date ``retry-after`` values.
    """
    status = response.status_code
    body = _json_body(response.content)
    message = _message(body, response.content, status)
    # Bedrock names the error in a header: "ValidationException:http://internal..." (§6.6).
    amazon_type = response.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    if amazon_type and amazon_type not in message:
        message = f"{amazon_type}: {message}"
    message = redact(message, secrets)
    request_id = request_id_from(response.headers, body)
    kwargs: dict[str, Any] = {
        "provider": provider,
        "status_code": status,
        "request_id": request_id,
        "retry_after": retry_after_from(response.headers, body, now=now),
    }
    if status == 429:
        return errors.RateLimitError(message, **kwargs)
    if status in (400, 413, 422):
        if _CONTEXT_PATTERNS.search(message) or _code(body) == "context_length_exceeded":
            return errors.ContextWindowExceededError(message, **kwargs)
        return errors.BadRequestError(message, **kwargs)
    cls: type[errors.APIError]
    if status in (401, 498):
        cls = errors.AuthenticationError
        if provider in _AUTH_HINTS:
            message += f" (hint: {_AUTH_HINTS[provider]})"
    elif status == 403:
        cls = errors.PermissionDeniedError
    elif status == 404:
        cls = errors.NotFoundError
    elif status == 408:
        cls = errors.TimeoutError
    elif status >= 500:
        cls = errors.ServerError
    else:
        cls = errors.APIError
    return cls(message, **kwargs)


def is_context_overflow(message: str) -> bool:
    """Whether a provider's message says the prompt does not fit the context window."""
    return _CONTEXT_PATTERNS.search(message) is not None


def error_from_transport(
    error: BaseException, *, provider: str, secrets: Iterable[str | None] = ()
) -> errors.APIError:
    """The exception for a request that got no response (an httpx transport exception).

    httpx timeouts become :class:`fluent_ai.errors.TimeoutError`, anything else
    :class:`fluent_ai.errors.ConnectionError`. The original exception should be chained
    (``raise mapped from error``) by the caller.
    """
    text = redact(str(error) or type(error).__name__, secrets)
    # httpx.TimeoutException and its subclasses; checked by name to avoid importing httpx.
    names = {cls.__name__ for cls in type(error).__mro__}
    if "TimeoutException" in names or isinstance(error, TimeoutError):
        return errors.TimeoutError(f"request timed out: {text}", provider=provider)
    return errors.ConnectionError(f"connection failed: {text}", provider=provider)


# Request headers whose value is a credential (httpx masks only Authorization in its repr):
# Authorization, x-api-key, api-key, x-goog-api-key, x-amz-security-token, cookies, and any
# header named like a credential.
_SECRET_HEADER = re.compile(r"auth|key|token|secret|password|credential|cookie", re.IGNORECASE)


def scrub(error: BaseException, secrets: Iterable[str | None] = ()) -> BaseException:
    """``error`` (a transport exception) and its chain made safe to show, in place.

    An httpx exception keeps the request it failed on, and its headers carry the key; httpx
    masks ``Authorization`` in their repr but not ``x-api-key``, ``x-goog-api-key`` or
    ``api-key``. Each exception of the chain gets a copy of its request whose credential
    headers (and any header holding one of ``secrets``) read ``[REDACTED]``, and its messages
    are redacted. Returns ``error``.
    """
    known = [secret for secret in secrets if secret]
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        request = getattr(link, "_request", None)
        if request is not None and not getattr(request, "_fluent_ai_scrubbed", False):
            try:
                link._request = _scrubbed_request(request, known)  # type: ignore[attr-defined]
            except Exception:  # an unexpected request type: drop it rather than keep it
                link._request = None  # type: ignore[attr-defined]
        link.args = tuple(redact(arg, known) if isinstance(arg, str) else arg for arg in link.args)
        link = link.__cause__ or link.__context__
    return error


def _scrubbed_request(request: Any, secrets: list[str]) -> Any:
    headers = [
        (name, "[REDACTED]" if _is_secret_header(name, value, secrets) else value)
        for name, value in request.headers.items()
    ]
    copy = type(request)(request.method, redact(str(request.url), secrets), headers=headers)
    copy._fluent_ai_scrubbed = True
    return copy


def _is_secret_header(name: str, value: str, secrets: list[str]) -> bool:
    return bool(_SECRET_HEADER.search(name)) or any(secret in value for secret in secrets)


def request_id_from(headers: Mapping[str, str], body: object = None) -> str | None:
    """The provider's request id from the response headers or an Anthropic error body."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    if isinstance(body, dict):
        value = body.get("request_id")
        if isinstance(value, str) and value:
            return value
    return None


def retry_after_from(
    headers: Mapping[str, str], body: object = None, *, now: float | None = None
) -> float | None:
    """Seconds to wait before retrying, or ``None`` when the provider does not say.

    Order [providers.md §2.6, §5.5]: ``retry-after-ms`` (milliseconds), ``retry-after``
    (seconds, or an HTTP date), then a Google ``RetryInfo.retryDelay`` (``"33s"``) in the body.
    """
    value = headers.get("retry-after-ms")
    if value:
        seconds = _number(value)
        if seconds is not None:
            return seconds / 1000.0
    value = headers.get("retry-after")
    if value:
        seconds = _number(value)
        if seconds is not None:
            return seconds
        # Imported here: email.utils costs ~13 ms and is needed only for HTTP-date values.
        from email.utils import parsedate_to_datetime  # noqa: PLC0415

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            current = time.time() if now is None else now
            return max(0.0, when.timestamp() - current)
    return _google_retry_delay(body)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _google_retry_delay(body: object) -> float | None:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if not isinstance(details, list):
        return None
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                return _number(delay[:-1])
    return None


def _json_body(content: bytes) -> object:
    try:
        body = loads_bounded(content)
    except (ValueError, UnicodeDecodeError):
        return None
    # Google's JSON-array stream mode wraps the error in a one-element list (§5.5).
    if isinstance(body, list) and len(body) == 1:
        return body[0]
    return body


def _code(body: object) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _message(body: object, content: bytes, status: int) -> str:
    text = _message_from_body(body)
    if text is None:
        text = content.decode("utf-8", "replace").strip()
    if not text:
        text = f"HTTP {status} with an empty body"
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    return text


def _message_from_body(body: object) -> str | None:
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, str):  # Ollama
        return error
    if isinstance(error, dict):  # OpenAI family, Anthropic, Google, OpenRouter
        message = error.get("message")
        kind = error.get("type") or error.get("status")
        if isinstance(message, str):
            return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    for key in ("message", "Message", "detail"):  # Cohere, Mistral, Bedrock, FastAPI servers
        message = body.get(key)
        if isinstance(message, str):
            kind = body.get("__type") or body.get("type")
            return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    return None
