"""``RetryPolicy`` and the clients' ``max_retries`` are bounded (issue 10, hardening): more
than ``MAX_RETRIES`` retries or a wait longer than a day is refused when made, with
``InvalidArgumentError`` naming the field, and nothing is sent."""

from __future__ import annotations

import math

import pytest
from loopback import LoopbackServer

from fluent_ai import AsyncClient, Client, RetryPolicy
from fluent_ai.errors import ArgumentTypeError, InvalidArgumentError
from fluent_ai.resilience import MAX_RETRIES, MAX_RETRY_WAIT

WAITS = ("backoff_base", "backoff_max", "max_retry_after")


def test_bounds_are_reachable() -> None:
    policy = RetryPolicy(MAX_RETRIES, MAX_RETRY_WAIT, MAX_RETRY_WAIT, MAX_RETRY_WAIT)
    assert policy.max_retries == MAX_RETRIES
    assert RetryPolicy(0, 0, 0, 0).max_retries == 0


@pytest.mark.parametrize("value", [MAX_RETRIES + 1, 10**9, 2**64])
def test_max_retries_beyond_the_bound(value: int) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^RetryPolicy\.max_retries must be") as info:
        RetryPolicy(max_retries=value)
    assert info.value.argument == "RetryPolicy.max_retries"
    assert not isinstance(info.value, TypeError)
    assert str(MAX_RETRIES) in str(info.value)


@pytest.mark.parametrize("field", WAITS)
@pytest.mark.parametrize("value", [MAX_RETRY_WAIT + 0.001, 1e300, math.inf, math.nan, -0.5])
def test_waits_beyond_the_bound(field: str, value: float) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        RetryPolicy(**{field: value})  # type: ignore[arg-type]
    assert info.value.argument == f"RetryPolicy.{field}"


@pytest.mark.parametrize("field", ["max_retries", *WAITS])
@pytest.mark.parametrize("value", ["3", True, None, [1]])
def test_wrong_types(field: str, value: object) -> None:
    with pytest.raises(ArgumentTypeError) as info:
        RetryPolicy(**{field: value})  # type: ignore[arg-type]
    assert info.value.argument == f"RetryPolicy.{field}"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_client_max_retries_bounded(cls: type) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        cls(max_retries=MAX_RETRIES + 1)
    assert info.value.argument == "max_retries"
    client = cls(max_retries=MAX_RETRIES)
    assert client is not None


def test_per_call_max_retries_bounded() -> None:
    messages = [{"role": "user", "content": "hi"}]
    with LoopbackServer() as server:
        settings = {"base_url": server.url + "/v1", "api_key": "k"}
        with Client(providers={"openai": settings}) as client:
            for method in (client.chat, client.stream):
                with pytest.raises(InvalidArgumentError) as info:
                    method("openai/m", messages, max_retries=MAX_RETRIES + 1)
                assert info.value.argument == "max_retries"
        assert server.requests == []
