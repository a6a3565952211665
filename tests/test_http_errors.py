"""Mapping failed provider responses and transport errors to fluent_ai.errors classes."""

from __future__ import annotations

import builtins
import email.utils
import json
import pickle
from typing import Any

import pytest

from fluent_ai import errors
from fluent_ai._http import httpx
from fluent_ai._http_errors import (
    error_from_response,
    error_from_transport,
    redact,
    request_id_from,
    retry_after_from,
)

KEY = "sk-secret-abc123"


def response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = (
        body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    )
    return httpx.Response(status, headers=headers or {}, content=content)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (413, errors.BadRequestError),
        (422, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (498, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (408, errors.TimeoutError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (529, errors.ServerError),
        (409, errors.APIError),
        (402, errors.APIError),
    ],
)
def test_status_classes(status: int, cls: type[errors.APIError]) -> None:
    error = error_from_response(response(status, {"error": {"message": "nope"}}), provider="openai")
    assert type(error) is cls
    assert isinstance(error, errors.FluentAIError)
    assert (error.provider, error.status_code, error.message) == ("openai", status, "nope")
    assert str(error) == f"nope (openai, HTTP {status})"


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (
            {
                "error": {
                    "message": "Invalid model",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
            {},
            "invalid_request_error: Invalid model",
        ),
        (
            {
                "type": "error",
                "error": {"type": "not_found_error", "message": "model: x"},
                "request_id": "req_1",
            },
            {},
            "not_found_error: model: x",
        ),
        (
            [
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid",
                        "status": "INVALID_ARGUMENT",
                    }
                }
            ],
            {},
            "INVALID_ARGUMENT: API key not valid",
        ),
        (
            {"message": "Malformed input"},
            {"x-amzn-ErrorType": "ValidationException:http://x/"},
            "ValidationException: Malformed input",
        ),
        (
            {"id": "abc", "message": "invalid request: model not found"},
            {},
            "invalid request: model not found",
        ),
        (
            {"object": "error", "message": "Bad id", "type": "invalid_request_error"},
            {},
            "invalid_request_error: Bad id",
        ),
        ({"error": "model 'llama9' not found"}, {}, "model 'llama9' not found"),
        (b"<html>Bad Gateway</html>", {}, "<html>Bad Gateway</html>"),
        (b"", {}, "HTTP 400 with an empty body"),
    ],
)
def test_provider_error_shapes(body: Any, headers: dict[str, str], message: str) -> None:
    error = error_from_response(response(400, body, headers), provider="p")
    assert error.message == message


def test_long_bodies_are_cut() -> None:
    error = error_from_response(response(500, b"x" * 5000), provider="p")
    assert len(error.message) == 1003 and error.message.endswith("...")


@pytest.mark.parametrize(
    "text",
    [
        "This model's maximum context length is 128000 tokens. However, your messages resulted "
        "in 130000 tokens.",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
        "Please reduce the length of the messages or completion.",
        "Prompt contains 40000 tokens, too large for model with 32768 maximum context length",
    ],
)
def test_context_window_errors(text: str) -> None:
    error = error_from_response(response(400, {"error": {"message": text}}), provider="p")
    assert type(error) is errors.ContextWindowExceededError
    assert isinstance(error, errors.BadRequestError)


def test_context_window_by_code_and_not_on_429() -> None:
    body = {"error": {"message": "too long", "code": "context_length_exceeded"}}
    assert (
        type(error_from_response(response(400, body), provider="p"))
        is errors.ContextWindowExceededError
    )
    throttled = {"message": "Too many tokens, please wait before trying again."}
    assert (
        type(error_from_response(response(429, throttled), provider="p")) is errors.RateLimitError
    )


@pytest.mark.parametrize(
    ("headers", "body", "seconds"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, None, 1.5),
        ({"retry-after": "2"}, None, 2.0),
        ({"retry-after": "0.25"}, None, 0.25),
        ({"retry-after": "soon"}, None, None),
        ({}, None, None),
        (
            {},
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "33s"}
                    ],
                }
            },
            33.0,
        ),
    ],
)
def test_retry_after(headers: dict[str, str], body: Any, seconds: float | None) -> None:
    error = error_from_response(response(429, body, headers), provider="p")
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == seconds


def test_retry_after_on_other_statuses() -> None:
    error = error_from_response(response(503, None, {"retry-after": "4"}), provider="p")
    assert type(error) is errors.ServerError and error.retry_after == 4.0
    assert error_from_response(response(400, None), provider="p").retry_after is None


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_from(httpx.Headers({"retry-after": date}), now=now) == 30.0
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert retry_after_from(httpx.Headers({"retry-after": past}), now=now) == 0.0


def test_request_ids() -> None:
    assert request_id_from(httpx.Headers({"x-request-id": "req_a"})) == "req_a"
    assert request_id_from(httpx.Headers({"request-id": "req_b"})) == "req_b"
    assert request_id_from(httpx.Headers({"x-amzn-RequestId": "aws-1"})) == "aws-1"
    assert request_id_from(httpx.Headers({}), {"request_id": "req_c"}) == "req_c"
    error = error_from_response(
        response(500, {"error": {"message": "x"}}, {"x-request-id": "req_z"}), provider="p"
    )
    assert error.request_id == "req_z"
    assert str(error) == "x (p, HTTP 500, request id req_z)"


def test_secrets_are_redacted() -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}. See https://x/?key={KEY}"}}
    error = error_from_response(response(401, body), provider="openai", secrets=[KEY, None, ""])
    assert KEY not in str(error) and KEY not in repr(error) and KEY not in error.message
    assert error.message.count("[REDACTED]") == 2
    assert redact("GET https://host/v1beta/models?key=AIzaXYZ&pageSize=5", []) == (
        "GET https://host/v1beta/models?key=[REDACTED]&pageSize=5"
    )


def test_transport_errors() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/v1/models")
    timeout = error_from_transport(
        httpx.ReadTimeout("read timed out", request=request), provider="p"
    )
    assert type(timeout) is errors.TimeoutError and isinstance(timeout, builtins.TimeoutError)
    assert timeout.status_code is None
    refused = error_from_transport(
        httpx.ConnectError(f"refused {KEY}", request=request), provider="p", secrets=[KEY]
    )
    assert type(refused) is errors.ConnectionError and isinstance(refused, builtins.ConnectionError)
    assert KEY not in str(refused)
    assert type(error_from_transport(builtins.TimeoutError(), provider="p")) is errors.TimeoutError


def test_errors_pickle_with_their_fields() -> None:
    for error in (
        errors.RateLimitError(
            "slow", provider="p", status_code=429, request_id="r", retry_after=2.0
        ),
        errors.TimeoutError("late", provider="p"),
        errors.ConnectionError("gone", provider="p"),
        errors.CircuitOpenError("open", provider="p", retry_after=5.0),
        errors.ContextWindowExceededError("big", provider="p", status_code=400),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert copy.__dict__ == error.__dict__
        assert str(copy) == str(error)


def test_unknown_provider_and_configuration_errors() -> None:
    error = errors.UnknownProviderError("nope", ["a", "b"])
    assert (
        isinstance(error, KeyError)
        and str(error) == "unknown provider 'nope'; known providers: a, b"
    )
    assert pickle.loads(pickle.dumps(error)).known == ["a", "b"]
    assert issubclass(errors.ConfigurationError, ValueError)
