"""The exceptions of fluent-ai, defined once and raised by both backends.

Every decoding error carries the byte ``position`` in the whole stream where the input went
wrong and a short ``excerpt`` of the bytes around it, so a bad stream can be diagnosed from
the exception alone. They also inherit from :class:`ValueError`, so code that already catches
``ValueError`` around JSON parsing keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._core import PartialToolCall, ToolCallDone

__all__ = [
    "EventStreamError",
    "FluentAIError",
    "JsonStreamError",
    "LimitExceeded",
    "StreamDecodeError",
    "StreamTruncated",
]


class FluentAIError(Exception):
    """Base class of every exception fluent-ai raises on purpose."""


class StreamDecodeError(FluentAIError, ValueError):
    """A byte stream (SSE, NDJSON, event-stream, JSON) could not be decoded.

    ``position`` is the offset, in bytes from the start of the stream, of the first byte that
    made the input invalid (for input that ended too early: the number of bytes received).
    ``excerpt`` shows up to 16 bytes on each side of it, decoded with replacement characters.
    ``completed`` holds the items the failing call had completed before the error, in order;
    they are not returned any other way (``[]`` for a call that completed none, and for every
    call after the first failure).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.excerpt = excerpt
        self.completed: list[object] = [] if completed is None else list(completed)

    def __str__(self) -> str:
        if self.excerpt:
            return f"{self.message} (at byte {self.position}, near {self.excerpt!r})"
        return f"{self.message} (at byte {self.position})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keep keyword-only fields when an error crosses a process boundary.
        return (_rebuild, (type(self), self.message, self.__dict__))


class JsonStreamError(StreamDecodeError):
    """Invalid JSON: a syntax error, invalid UTF-8, or input that ended before the value."""


class EventStreamError(StreamDecodeError):
    """An AWS event-stream message is corrupt.

    ``kind`` says which check failed: ``"prelude_crc"``, ``"message_crc"``, ``"length"``
    (impossible or truncated lengths) or ``"header"`` (a malformed header block).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        kind: str,
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, position=position, excerpt=excerpt, completed=completed)
        self.kind = kind


class LimitExceeded(StreamDecodeError):
    """A configured limit (size, depth, length) was crossed; ``limit`` is its value."""

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        limit: int,
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, position=position, excerpt=excerpt, completed=completed)
        self.limit = limit


class StreamTruncated(StreamDecodeError):
    """A provider stream ended before its end marker (a dropped connection, a proxy timeout).

    Nothing received is lost: ``partial_text`` is the text of every ``TextDelta`` so far and
    ``partial_tool_calls`` the calls that had not finished, as ``PartialToolCall`` events
    (``raw`` text and the ``partial`` value of the arguments). Calls that finished were
    already returned as ``ToolCallDone``.
    """

    def __init__(
        self,
        message: str,
        *,
        position: int,
        excerpt: str = "",
        partial_text: str = "",
        partial_tool_calls: Sequence[Any] | None = None,
        completed: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message, position=position, excerpt=excerpt, completed=completed)
        self.partial_text = partial_text
        # The active backend's PartialToolCall (hence Any in the parameter).
        self.partial_tool_calls: list[PartialToolCall] = list(partial_tool_calls or ())


def _rebuild(cls: type[StreamDecodeError], message: str, state: dict[str, object]) -> object:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


# --- Provider HTTP errors (clients and catalog refresh) ------------------------------------
# Raised by everything that talks to a provider over HTTP. fluent_ai._http_errors maps an
# httpx response or transport exception to the right class. Messages never contain API keys:
# the mapper redacts every secret it is given before building one.

import builtins  # noqa: E402  (kept next to the classes that need the builtin names)

__all__ += [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CircuitOpenError",
    "ConfigurationError",
    "ConnectionError",
    "ContextWindowExceededError",
    "MissingCredentialsError",
    "ModelNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "UnknownProviderError",
]


class APIError(FluentAIError):
    """A request to a provider failed.

    ``provider`` names the provider (``"openai"``), ``status_code`` is the HTTP status (``None``
    when no response arrived), ``request_id`` the provider's request id when it sent one, and
    ``message`` the provider's own error message (secrets redacted). ``retry_after`` is how
    many seconds the provider (or a circuit breaker) asked to wait before trying again, when it
    said. Statuses without a more specific class (409, 402, 424, ...) raise this class itself.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        context = [
            part
            for part in (
                self.provider,
                None if self.status_code is None else f"HTTP {self.status_code}",
                None if self.request_id is None else f"request id {self.request_id}",
            )
            if part
        ]
        return f"{self.message} ({', '.join(context)})" if context else self.message

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_api_error, (type(self), self.message, self.__dict__))


class BadRequestError(APIError):
    """The provider rejected the request as invalid (HTTP 400, 413, 422)."""


class ContextWindowExceededError(BadRequestError):
    """The prompt (plus the requested output) does not fit the model's context window."""


class AuthenticationError(APIError):
    """The API key or token is missing, invalid or expired (HTTP 401; Cohere's 498)."""


class PermissionDeniedError(APIError):
    """The credentials are valid but not allowed to do this (HTTP 403)."""


class NotFoundError(APIError):
    """The model, deployment or endpoint does not exist (HTTP 404)."""


class RateLimitError(APIError):
    """Too many requests or tokens (HTTP 429).

    ``retry_after`` is how many seconds the provider asked to wait (from ``retry-after-ms``,
    ``retry-after`` or a Google ``RetryInfo``), or ``None`` when it did not say.
    """


class ServerError(APIError):
    """The provider failed or is overloaded (HTTP 5xx, Anthropic's 529)."""


class TimeoutError(APIError, builtins.TimeoutError):
    """A request or stream took too long (also a :class:`builtins.TimeoutError`).

    Raised for client-side timeouts (``status_code`` is ``None``) and for HTTP 408.
    """


class ConnectionError(APIError, builtins.ConnectionError):
    """No response: the connection could not be made or broke (also a
    :class:`builtins.ConnectionError`)."""


class CircuitOpenError(APIError):
    """The circuit breaker of this provider endpoint is open: the request was not sent.

    ``retry_after`` is the number of seconds until the breaker lets a trial request through,
    when known.
    """


class _UnknownNameError(FluentAIError, KeyError):
    """An unknown name; ``str()`` is the sentence in ``message`` (``KeyError`` would show the
    repr of its argument)."""

    message: str

    def __str__(self) -> str:
        return self.message


class ModelNotFoundError(_UnknownNameError):
    """A model name is not in the catalog; ``suggestions`` lists close matches (best first)."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions: list[str] = list(suggestions)
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if suggestions else ""
        self.message = f"unknown model {name!r}{hint}"
        super().__init__(self.message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.name, self.suggestions))


class UnknownProviderError(_UnknownNameError):
    """A provider name is not registered; ``known`` lists the registered names."""

    def __init__(self, provider: str, known: list[str] | tuple[str, ...] = ()) -> None:
        self.provider = provider
        self.known: list[str] = list(known)
        #: Close matches among ``known`` (``difflib``), best first.
        self.suggestions = difflib.get_close_matches(str(provider), self.known, n=3, cutoff=0.6)
        hint = (
            f"; did you mean {', '.join(map(repr, self.suggestions))}?" if self.suggestions else ""
        )
        listed = f"; known providers: {', '.join(self.known)}" if known else ""
        self.message = f"unknown provider {provider!r}{hint}{listed}"
        super().__init__(self.message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.provider, self.known))


class ConfigurationError(FluentAIError, ValueError):
    """A provider setting is missing or invalid (for example no region for Bedrock)."""


# --- Arguments of the public API (checked before anything is sent) -------------------------

__all__ += ["ClientClosedError"]


class ClientClosedError(FluentAIError, RuntimeError):
    """The client (or the ``httpx`` client it was given) is closed: ``close()`` ran, or its
    ``with`` block ended. Nothing was sent; make a new client."""


__all__ += ["ArgumentTypeError", "InvalidArgumentError", "UnknownSettingError"]


class InvalidArgumentError(FluentAIError, ValueError):
    """An argument of the public API has a wrong value; nothing was sent.

    ``argument`` names it as the caller wrote it (``"messages[2].role"``, ``"timeout"``,
    ``"providers['openai']['base_url']"``) and ``expected`` says what it must be. The message
    shows the value only when it cannot be a secret (a number, a short string of an argument
    that holds no credential); credentials are described by their type alone.
    """

    def __init__(self, message: str, *, argument: str, expected: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.argument = argument
        self.expected = expected

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_argument_error, (type(self), self.message, self.__dict__))


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of the public API has a wrong type (also a :class:`TypeError`, and an
    :class:`InvalidArgumentError`, so one ``except`` clause catches every bad argument).
    ``bool`` is not accepted where a number or a count is expected."""


class UnknownSettingError(InvalidArgumentError, ConfigurationError):
    """A provider setting name that the provider does not read (``providers={"openai":
    {"base_ur": ...}}``): ``provider`` and ``setting`` name it, ``valid`` lists the names the
    provider reads and ``suggestions`` the close matches (best first)."""

    def __init__(
        self,
        provider: str,
        setting: str,
        valid: Sequence[str],
        suggestions: Sequence[str] = (),
    ) -> None:
        self.provider = provider
        self.setting = setting
        self.valid: list[str] = list(valid)
        self.suggestions: list[str] = list(suggestions)
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if suggestions else ""
        argument = f"providers[{provider!r}][{setting!r}]"
        super().__init__(
            f"unknown setting {argument}{hint} "
            f"(the settings of {provider!r} are: {', '.join(self.valid)})",
            argument=argument,
            expected="one of " + ", ".join(self.valid),
        )


def _rebuild_argument_error(
    cls: type[InvalidArgumentError], message: str, state: dict[str, object]
) -> object:
    error = cls.__new__(cls)
    BaseException.__init__(error, message)
    error.__dict__.update(state)
    return error


__all__ += ["UnsupportedParameterError"]


class UnsupportedParameterError(InvalidArgumentError):
    """A request option the provider has no equivalent for (``seed`` for Anthropic,
    ``presence_penalty`` for Cerebras, ...): nothing was sent. fluent-ai never drops an option
    silently; ``provider`` and ``parameter`` name the two (``argument`` is ``parameter``). A
    ``ValueError`` (and an :class:`InvalidArgumentError`). Send a provider's own field through
    ``extra_body`` when you know better than the table in docs/request-options.md."""

    def __init__(self, provider: str, parameter: str, reason: str = "") -> None:
        message = f"provider {provider!r} has no equivalent of the request option {parameter!r}"
        if reason:
            message += f": {reason}"
        super().__init__(message, argument=parameter, expected="")
        self.provider = provider
        self.parameter = parameter


class MissingCredentialsError(ConfigurationError, AuthenticationError):
    """A provider that needs a key (or other credentials) has none: the request was not sent.

    Raised before anything is sent, so it is a :class:`ConfigurationError` (a ``ValueError``)
    and an :class:`AuthenticationError` with ``status_code`` ``None``. ``env`` lists the
    environment variables the provider reads its key from, in order; the message names them
    and the ``providers={name: {"api_key": ...}}`` setting.
    """

    def __init__(self, message: str, *, provider: str, env: Sequence[str] = ()) -> None:
        AuthenticationError.__init__(self, message, provider=provider)
        self.env: list[str] = list(env)


def _rebuild_api_error(cls: type[APIError], message: str, state: dict[str, object]) -> object:
    error = cls.__new__(cls)
    BaseException.__init__(error, message)
    error.__dict__.update(state)
    return error


# --- Streams that fail after their first event reached the caller (clients) ----------------

__all__ += ["StreamInterrupted"]


class StreamInterrupted(APIError):
    """A streamed response failed after some of its events had reached the caller.

    Such a stream is never retried: a retry would repeat output the caller already has. What
    arrived stays available: ``partial_text`` (the text of every ``TextDelta`` delivered),
    ``tool_calls`` (the ``ToolCallDone`` events delivered) and ``partial_tool_calls``
    (``PartialToolCall`` events for calls that had not finished, when the stream broke off).
    The failure itself is the ``__cause__``. When it is a more specific :class:`APIError`, the
    exception raised is an instance of both classes (see :func:`stream_interrupted`): a stream
    that stalls after its first event raises something that is a ``StreamInterrupted`` and a
    :class:`TimeoutError`, so either ``except`` clause catches it.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        partial_text: str = "",
        tool_calls: Sequence[Any] | None = None,
        partial_tool_calls: Sequence[Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            status_code=status_code,
            request_id=request_id,
            retry_after=retry_after,
        )
        self.partial_text = partial_text
        # The active backend's events (hence Any in the parameters).
        self.tool_calls: list[ToolCallDone] = list(tool_calls or ())
        self.partial_tool_calls: list[PartialToolCall] = list(partial_tool_calls or ())

    def __reduce__(self) -> tuple[object, ...]:
        kinds = [base for base in type(self).__bases__ if base is not StreamInterrupted]
        return (_rebuild_interrupted, (kinds[0] if kinds else None, self.message, self.__dict__))


_INTERRUPTED: dict[type[APIError], type[StreamInterrupted]] = {}


def stream_interrupted(cause: type[BaseException] | None) -> type[StreamInterrupted]:
    """The class to raise for a stream interrupted by ``cause``.

    :class:`StreamInterrupted` itself, or, when ``cause`` is a subclass of :class:`APIError`
    (``TimeoutError``, ``ConnectionError``, ``ServerError``, ...), a class deriving from both,
    named ``StreamInterrupted[<cause>]`` (created once per cause class).
    """
    if (
        cause is None
        or not issubclass(cause, APIError)
        or cause is APIError
        or issubclass(cause, StreamInterrupted)
    ):
        return StreamInterrupted
    known = _INTERRUPTED.get(cause)
    if known is not None:
        return known
    name = f"StreamInterrupted[{cause.__name__}]"
    namespace = {"__module__": __name__, "__qualname__": name, "__doc__": StreamInterrupted.__doc__}
    combined = type(name, (StreamInterrupted, cause), namespace)
    return _INTERRUPTED.setdefault(cause, combined)


def _rebuild_interrupted(
    cause: type[BaseException] | None, message: str, state: dict[str, object]
) -> object:
    return _rebuild_api_error(stream_interrupted(cause), message, state)


# Record and replay (fluent_ai.recording) ------------------------------------------------------

__all__ += ["CassetteError", "UnrecordedRequestError"]


class CassetteError(FluentAIError):
    """A cassette file could not be read (not JSON, another format version, a field
    missing); the message names the file."""


class UnrecordedRequestError(CassetteError, LookupError):
    """A replaying client was asked for a request its cassette does not hold (or holds fewer
    times than it was asked). ``request`` is the match key (``METHOD /path sha256:...``, see
    ``fluent_ai.recording``), ``cassette`` the directory. Nothing was sent."""

    def __init__(self, message: str, *, request: str = "", cassette: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.cassette = cassette

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_unrecorded,
            (self.message, self.request, self.cassette),
        )


def _rebuild_unrecorded(message: str, request: str, cassette: str) -> UnrecordedRequestError:
    return UnrecordedRequestError(message, request=request, cassette=cassette)


class StructuredOutputError(FluentAIError, ValueError):
    """The answer to a call with a structured ``response_format`` is not what it asked for:
    its text is not one whole JSON value (cut off at ``max_tokens``, prose around it, ...) or
    the value fails the schema or the class's validation. Raised by ``chat()`` and at the end
    of a stream's iteration (after its last event; ``stream.response`` is then set, with
    ``parsed=None``).

    ``text`` is the answer's raw text, ``errors`` each problem found with its JSON path
    (``$.items[2].price: expected number, got string``), ``response`` the whole
    ``ChatResponse`` (usage, finish reason, ...). Nothing of the request is in it.
    """

    def __init__(
        self,
        message: str,
        *,
        text: str,
        errors: Sequence[str] = (),
        response: object = None,
    ) -> None:
        super().__init__(message)
        self.text = text
        self.errors: list[str] = list(errors)
        self.response = response

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_structured,
            (str(self), self.text, self.errors, self.response),
        )


def _rebuild_structured(
    message: str, text: str, errors: list[str], response: object
) -> StructuredOutputError:
    return StructuredOutputError(message, text=text, errors=errors, response=response)


__all__ += ["StructuredOutputError"]
__all__ += ["UnknownArgumentError"]


class UnknownArgumentError(ArgumentTypeError):
    """A keyword argument that the client method or constructor does not take
    (``client.chat(model, messages, temprature=0.5)``): nothing was sent. ``argument`` names
    it, ``valid`` lists the keywords the callable takes and ``suggestions`` the close matches
    (best first, shown as "did you mean ...?"). A :class:`TypeError` (as Python's own
    "unexpected keyword argument" is) and an :class:`InvalidArgumentError`."""

    def __init__(
        self,
        function: str,
        argument: str,
        valid: Sequence[str],
        suggestions: Sequence[str] = (),
    ) -> None:
        self.function = function
        self.valid: list[str] = list(valid)
        self.suggestions: list[str] = list(suggestions)
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if suggestions else ""
        super().__init__(
            f"{function}() got an unexpected keyword argument {argument!r}{hint} "
            f"(it takes: {', '.join(self.valid)})",
            argument=argument,
            expected="one of " + ", ".join(self.valid),
        )
