"""One client call without the I/O: settings, retries, breakers, metrics, error mapping.

``Client`` and ``AsyncClient`` drive the same objects; only sending, reading and sleeping differ
between them (``_sync.py``, ``_async.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar

from . import _http, _http_errors
from ._backend import core
from ._call_arguments import check_model
from ._json_text import loads_bounded
from ._release import collect_abandoned
from .errors import APIError, ConnectionError, MissingCredentialsError, TimeoutError
from .providers.base import Adapter, Auth, HttpRequest
from .providers.registry import ResolvedProvider, resolve
from .resilience import Breakers, Deadline, RateLimiters, RetryPolicy, should_retry
from .telemetry import _hook as _telemetry
from .types import Timeout

if TYPE_CHECKING:
    from ._http import httpx

__all__ = ["Answer", "Call", "Failure", "Settings", "is_json", "merge_headers", "whole_answer"]

logger = logging.getLogger("fluent_ai.client")

_Result = TypeVar("_Result")

_TIMEOUT_TEXT = {
    "pool": "no connection of the client's pool became free within {:g}s",
    "first_event": "no event arrived within {:g}s of sending the request",
    "idle": "no event arrived for {:g}s",
    "total": "the call did not finish within its total time of {:g}s",
}


class Failure(Exception):
    """An attempt failed with ``error`` (caused by ``cause``, an httpx exception for
    instance); ``retryable`` says whether another attempt may follow."""

    def __init__(
        self,
        error: Exception,
        retryable: bool,
        cause: BaseException | None = None,
        *,
        reauth: bool = False,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable
        # The transport exception loses its request (whose headers hold the key) before it
        # is chained to what the caller sees.
        self.cause = None if cause is None else _http_errors.scrub(cause)
        # The auth hook dropped the credentials the server refused: one immediate attempt
        # with fresh ones, outside the retry budget.
        self.reauth = reauth

    def raise_error(self) -> NoReturn:
        # Raised inside an ``except Failure``: the chain must end at this Failure, whose own
        # context is the raw transport exception (scrubbed, but an internal object).
        self.__context__ = None
        # Its frames (the attempt's) hold the answer's body in their locals, which may echo
        # the key: a debugger or an error reporter that shows locals must not find it.
        self.__traceback__ = None
        raise self.error from self.cause


class Answer(NamedTuple):
    """A read response, as the error mapper wants it."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


class Settings:
    """What one client shares between its calls (thread-safe): provider overrides and the
    providers resolved from them, timeouts, retry, breaker and rate-limit state, metrics."""

    def __init__(
        self,
        *,
        providers: Mapping[str, Mapping[str, Any]] | None,
        timeout: Timeout,
        retry: RetryPolicy,
        breakers: Breakers,
        limiters: RateLimiters,
        metrics: Any,
    ) -> None:
        self.overrides = {name: dict(value) for name, value in (providers or {}).items()}
        self.timeout = timeout
        self.retry = retry
        self.breakers = breakers
        self.limiters = limiters
        self.metrics = metrics
        self._lock = threading.Lock()
        self._providers: dict[str, tuple[ResolvedProvider, Adapter, Auth]] = {}

    def provider(self, name: str) -> tuple[ResolvedProvider, Adapter, Auth]:
        """The provider, its adapter and its auth hook (resolved once per client, so tokens
        that auth hooks cache live as long as the client)."""
        found = self._providers.get(name)
        if found is None:
            resolved = resolve(name, self.overrides)
            # Here, not at import: the adapters (and what Vertex's auth needs) load on the
            # first call, so ``from fluent_ai import Client`` stays fast.
            from .providers.adapters import adapter_for  # noqa: PLC0415

            adapter = adapter_for(resolved)
            with self._lock:
                found = self._providers.setdefault(name, (resolved, adapter, adapter.auth()))
        return found

    def split(self, model: str) -> tuple[str, str]:
        """``"provider/model"`` -> ``(provider, model)`` (``InvalidArgumentError`` naming
        ``model`` for anything else)."""
        provider, _, model_id = check_model(model).partition("/")
        return provider, model_id


class Call:
    """One logical call (``chat``, a stream, ``embed``, ...) and its attempts."""

    def __init__(
        self,
        settings: Settings,
        provider: str,
        operation: str,
        timeout: Any = None,
        *,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        # Per-call ``max_retries`` replaces the client's count, keeping its backoff.
        self.retry = (
            settings.retry
            if max_retries is None
            else dataclasses.replace(settings.retry, max_retries=max_retries)
        )
        # Per-call headers go on last, over the dialect's and the auth hook's (see ``build``).
        self.headers = dict(headers or {})
        self.name = provider
        self.operation = operation
        self.provider, self.adapter, self.auth = settings.provider(provider)
        _require_credentials(self.provider, self.auth, operation)
        self.timeout = settings.timeout.merged(timeout)
        self.deadline = Deadline(self.timeout.total)
        self.attempt = 0
        self.attempt_started = self.deadline.started
        # When the attempt's request was on the wire (see ``on_wire``): the phase limits of a
        # stream count from here, not from the wait for a pool connection.
        self.sent_at = self.attempt_started
        self._pool_wait: tuple[str, float] = ("connect", 0.0)  # (limit, seconds) of the last
        self.breaker = settings.breakers.get(self.adapter.endpoint())
        self._signed: HttpRequest | None = None
        self._reauthorized = False
        self._labels = {"provider": provider, "operation": operation}
        self._started = False
        self._finished = False
        self._open_attempt = False
        self._status: int | None = None
        # Telemetry (``fluent_ai.telemetry``): what was asked, and the call's observer, made
        # when the first attempt starts.
        self.model: str | None = None
        self.params: Any = None
        self.observer: _telemetry.CallObserver | None = None

    def describe(self, model: str, params: Any = None) -> None:
        """The model id and the chat parameters, for telemetry."""
        self.model = model
        self.params = params

    def result(self, value: _Result) -> _Result:
        """``value``, the answer of ``embed`` or ``rerank``, told to telemetry."""
        if self.observer is not None:
            self.observer.result(value)
        return value
        # The structured output asked for (``fluent_ai.structured.OutputFormat``), set by
        # the client for chat calls.
        self.output: Any = None

    # Before and around each attempt -----------------------------------------------------------

    def before_attempt(self) -> float:
        """Checks the breaker and takes a rate-limit token: the seconds to wait before sending.
        Raises ``CircuitOpenError``, or ``TimeoutError`` when the wait would pass the deadline."""
        metrics = self.settings.metrics
        if self.breaker is not None:
            try:
                self.breaker.check(self.name)
            except APIError:
                metrics.inc("fluent_ai_circuit_rejections", provider=self.name)
                raise
        wait = self.settings.limiters.reserve(self.name, self.provider.api_key)
        if wait > 0:
            metrics.observe("fluent_ai_rate_limit_wait_seconds", wait, provider=self.name)
            if not self.deadline.allows(wait):
                raise self.timeout_error("total")
        return wait

    @property
    def secrets(self) -> tuple[str, ...]:
        """What to redact, asked of the auth hook each time (tokens it fetches change), plus
        the credentials of the provider's settings (base-URL credentials included)."""
        return (*self.auth.secrets(), *self.provider.secrets(), *_header_secrets(self.headers))

    def prepare(self, request: HttpRequest) -> HttpRequest:
        """A copy of ``request`` for this attempt, for the auth hook to sign (the call keeps
        it: after a 401 the hook learns which credentials were refused)."""
        signed = HttpRequest(request.method, request.url, dict(request.headers), request.body)
        signed.stream = request.stream
        self._signed = signed
        return signed

    def auth_failure(self, error: APIError) -> Failure:
        """The auth hook's own request failed (a token endpoint): retried like an answer with
        that status (a connection failure when it has none)."""
        if error.status_code is None:
            retryable = not isinstance(error, TimeoutError)
        else:
            retryable = should_retry(error.status_code)
        return Failure(error, retryable, error.__cause__)

    def start_attempt(self) -> None:
        self.attempt_started = self.sent_at = time.monotonic()
        self._open_attempt = True
        self._status = None
        if not self._started:
            self._started = True
            self.settings.metrics.gauge_add("fluent_ai_requests_in_flight", 1, provider=self.name)
            self.observer = _telemetry.start(self)

    def httpx_timeout(
        self, *, stream: bool
    ) -> tuple[float | None, float | None, float | None, float | None]:
        """httpx's limits for one attempt: the read limit covers the wait for the response
        headers (the first event's limit for a stream): (connect, read, write, pool), the form
        both httpx2 and httpx clients take."""
        left = self.deadline.remaining()
        read = self.deadline.cap(self.timeout.first_event) if stream else left
        # The wait for a free pool connection is bounded like making a new one.
        connect = self.deadline.cap(self.timeout.connect)
        if connect is not None:
            limited_by_connect = connect == self.timeout.connect
            self._pool_wait = ("connect" if limited_by_connect else "total", connect)
        return (connect, read, left, connect)

    def on_wire(self, name: str, _info: Any) -> None:
        """httpcore's trace hook: the request is being sent (headers), then sent (body)."""
        if name.endswith(_SENDING):
            self.sent_at = time.monotonic()

    async def on_wire_async(self, name: str, info: Any) -> None:
        self.on_wire(name, info)

    def header_timeout_reason(self, *, stream: bool) -> str:
        """Which limit an httpx read timeout before the response headers was."""
        first = self.timeout.first_event
        if stream and first is not None and self.sent_at + first < self.deadline.end:
            return "first_event"
        return "total"

    # Outcomes -----------------------------------------------------------------------------------

    def answered(self, status: int) -> None:
        """The attempt's response headers arrived."""
        self._status = status

    def succeeded(self, status: int) -> None:
        """The attempt got an answer the caller will use."""
        self._open_attempt = False
        if self.breaker is not None:
            self.breaker.success()
        self._count_attempt(str(status))

    def retry_delay(self, failure: Failure) -> float | None:
        """Records a failed attempt; returns the wait before the next one, or ``None`` when
        the failure is final."""
        self._open_attempt = False
        error = failure.error
        status = error.status_code if isinstance(error, APIError) else None
        if self.breaker is not None:
            if status is None or status >= 500:
                self.breaker.failure()
            else:
                self.breaker.success()  # the endpoint answered; the request was at fault
        self._count_attempt("none" if status is None else str(status))
        if failure.reauth and self.deadline.allows(0.0):
            self.settings.metrics.inc("fluent_ai_retries", **self._labels)
            if self.observer is not None:
                self.observer.retry(error, status, 0.0, self.attempt + 1)
            logger.info(
                "retrying %s %s with fresh credentials after: %s",
                self.name,
                self.operation,
                self.redact(str(error)),
            )
            return 0.0
        if not failure.retryable or self.attempt >= self.retry.max_retries:
            return None
        retry_after = error.retry_after if isinstance(error, APIError) else None
        delay = self.retry.delay(self.attempt, retry_after)
        if not self.deadline.allows(delay):
            return None
        self.attempt += 1
        self.settings.metrics.inc("fluent_ai_retries", **self._labels)
        if self.observer is not None:
            self.observer.retry(error, status, delay, self.attempt)
        logger.info(
            "retrying %s %s in %.3fs (retry %d of %d) after: %s",
            self.name,
            self.operation,
            delay,
            self.attempt,
            self.retry.max_retries,
            self.redact(str(error)),
        )
        return delay

    def finish(self, outcome: str) -> None:
        """Records the call's outcome (``ok``, ``closed`` or the exception's class), once."""
        if self._finished:
            return
        self._finished = True
        if self._open_attempt:
            self._abandoned()
        metrics = self.settings.metrics
        if self._started:
            metrics.gauge_add("fluent_ai_requests_in_flight", -1, provider=self.name)
        metrics.inc("fluent_ai_requests", outcome=outcome, **self._labels)
        metrics.observe("fluent_ai_request_seconds", self.deadline.elapsed(), **self._labels)
        observer = self.observer if self._started else _telemetry.start(self)
        if observer is not None:
            observer.finish(outcome, self.deadline.elapsed())

    def _abandoned(self) -> None:
        """The caller left an attempt that had no outcome yet (closed a stream early, was
        cancelled). The breaker still needs one, or a half-open trial would never end."""
        self._open_attempt = False
        if self.breaker is None:
            return
        if self._status is not None and self._status < 500:
            self.breaker.success()  # the endpoint was answering
        elif self.breaker.breaker.state == "half_open":
            self.breaker.failure()

    def _count_attempt(self, status: str) -> None:
        self.settings.metrics.inc("fluent_ai_http_attempts", status=status, **self._labels)

    def __enter__(self) -> Call:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.finish("ok" if kind is None else kind.__name__)

    # Errors -------------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        return _http_errors.redact(text, self.secrets)

    def response_failure(self, answer: Answer) -> Failure:
        error = _http_errors.error_from_response(answer, provider=self.name, secrets=self.secrets)
        if answer.status_code == 401 and self._reauthorize():
            return Failure(error, True, reauth=True)
        return Failure(error, should_retry(answer.status_code, answer.headers))

    def _reauthorize(self) -> bool:
        """After a 401, once per call: an auth hook with ``refused(request)`` (Google OAuth)
        drops the credentials that request carried; true when a new attempt may succeed."""
        refused = getattr(self.auth, "refused", None)
        if self._reauthorized or refused is None or self._signed is None:
            return False
        self._reauthorized = True
        return bool(refused(self._signed))

    def transport_failure(self, error: BaseException, *, stream: bool = False) -> Failure:
        _http_errors.scrub(error, self.secrets)
        if isinstance(error, _http.ERRORS.read_timeout):
            reason = self.header_timeout_reason(stream=stream)
            return Failure(self.timeout_error(reason), False, error)
        if isinstance(error, _http.ERRORS.pool_timeout):
            # Streams a caller dropped inside reference cycles may hold every connection until
            # the collector finds them: collect now, so the retry finds them given back.
            collect_abandoned()
            return Failure(self.timeout_error("pool"), True, error)
        mapped = _http_errors.error_from_transport(error, provider=self.name, secrets=self.secrets)
        return Failure(mapped, isinstance(error, _http.ERRORS.retryable), error)

    def timeout_error(self, reason: str) -> TimeoutError:
        if reason == "pool":
            limit, seconds = self._pool_wait
        else:
            limit, seconds = reason, getattr(self.timeout, reason, None) or 0.0
        text = _TIMEOUT_TEXT.get(reason, "the call timed out").format(seconds)
        return TimeoutError(f"{text} (Timeout.{limit})", provider=self.name)

    def json_body(self, answer: Answer) -> Any:
        """The decoded JSON of a successful answer. A body that is an error object (some
        servers answer errors with status 200) raises the mapped error as a ``Failure``."""
        body = _loads(answer.content)
        if body is _CUT:
            # An empty body, or JSON that ends early: the answer was cut off (retryable).
            text = "empty" if not answer.content.strip() else "cut off"
            failure = ConnectionError(
                f"the answer (HTTP {answer.status_code}) was {text}", provider=self.name
            )
            raise Failure(failure, True)
        if body is _NOT_JSON:
            # Raised outside the except clause: the decoder's error holds the whole body.
            error = APIError(
                f"the answer (HTTP {answer.status_code}) is not JSON",
                provider=self.name,
                status_code=answer.status_code,
                request_id=_http_errors.request_id_from(answer.headers),
            )
            raise Failure(error, False)
        # (A Responses API body has ``error`` beside its ``output``: its replay maps it.)
        if isinstance(body, dict) and body.get("error") and not {"choices", "output"} & set(body):
            raise self.response_failure(Answer(_status_of(body), answer.headers, answer.content))
        return body

    def widen_read_timeout(self, response: httpx.Response) -> None:
        """After the headers the client bounds each wait for an event itself; httpx keeps a
        backstop only (the longest phase limit), which httpcore reads when the body starts."""
        timeout = response.request.extensions.get("timeout")
        if isinstance(timeout, dict):
            first, idle = self.timeout.first_event, self.timeout.idle
            # Later than ours, so that our limit (with its reason) is the one that fires; a
            # phase without a limit of its own is bounded by the total only.
            backstop = None if first is None or idle is None else 2 * max(first, idle) + 1
            timeout["read"] = self.deadline.cap(backstop)

    # Requests -------------------------------------------------------------------------------------

    def build(self, request: HttpRequest, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        trace = self.on_wire_async if isinstance(http, _http.ERRORS.async_clients) else self.on_wire
        return http.build_request(
            request.method,
            request.url,
            content=request.body,
            headers=merge_headers(request.headers, self.headers),
            timeout=self.httpx_timeout(stream=request.stream),
            extensions={"trace": trace},
        )


# httpcore trace events (HTTP/1.1 and HTTP/2) that mark the request going out.
_SENDING = ("send_request_headers.started", "send_request_body.complete")
_NOT_JSON = object()
_CUT = object()

# Auth schemes that send a key the registry's ``key_env`` names.
_KEY_SCHEMES = frozenset({"bearer", "x-api-key", "x-goog-api-key", "api-key"})


def merge_headers(headers: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with ``overrides`` put over them, names compared without case (an override
    replaces the header, it is never sent twice)."""
    if not overrides:
        return dict(headers)
    replaced = {name.lower() for name in overrides}
    merged = {name: value for name, value in headers.items() if name.lower() not in replaced}
    merged.update(overrides)
    return merged


# Per-call headers whose names say they carry a credential (Authorization, x-api-key,
# x-goog-api-key, Cookie, a gateway's x-...-token, ...): their values are redacted like the
# provider's key.
_SECRET_NAME_PARTS = ("auth", "key", "token", "secret", "cookie", "signature", "session")


def _header_secrets(headers: Mapping[str, str]) -> tuple[str, ...]:
    found = []
    for name, value in headers.items():
        lowered = name.lower()
        if value and any(part in lowered for part in _SECRET_NAME_PARTS):
            found.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic"):
                found.append(token)
    return tuple(found)


def _require_credentials(provider: ResolvedProvider, auth: Auth, operation: str) -> None:
    """Raises ``MissingCredentialsError`` before sending when the provider needs a key and
    none is set (the override's ``api_key`` or one of its environment variables)."""
    spec = provider.spec
    if spec.auth not in _KEY_SCHEMES or not spec.key_required:
        return
    if operation == "models" and spec.public_models:
        return
    if auth.secrets() or provider.api_key:
        return
    variables = list(spec.key_env)
    if spec.dialect == "azure-openai":
        variables.append("AZURE_OPENAI_AD_TOKEN")
    named = " or ".join(variables) if variables else "no environment variable"
    raise MissingCredentialsError(
        f"provider {provider.name!r} needs an API key and has none: set {named}, or pass "
        f"providers={{{provider.name!r}: {{'api_key': ...}}}}",
        provider=provider.name,
        env=variables,
    )


def _loads(content: bytes) -> Any:
    try:
        return loads_bounded(content)
    except (ValueError, UnicodeDecodeError):
        return _CUT if _prefix_of_json(content) else _NOT_JSON


def _prefix_of_json(content: bytes) -> bool:
    """Whether ``content`` is empty or the start of a JSON document that ends early."""
    parser = core.JsonStream()
    try:
        return not parser.feed(content)
    except ValueError:  # not JSON (or deeper than a provider's answer ever is)
        return False


def whole_answer(response: httpx.Response, body: bytes | bytearray) -> bool:
    """Whether the connection broke after a successful JSON answer had arrived whole (in the
    end of its chunked encoding, say): the answer is used, not asked for again."""
    if response.status_code >= 300 or not is_json(response):
        return False
    try:
        loads_bounded(bytes(body))
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


def _status_of(body: Mapping[str, Any]) -> int:
    """The HTTP status an error body names (OpenRouter's ``error.code``), else 500."""
    error = body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, int) and 400 <= code <= 599:
        return code
    return 500
