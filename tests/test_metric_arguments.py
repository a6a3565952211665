"""``Metrics.inc/observe/gauge_add`` with a number of the wrong type raise
``ArgumentTypeError`` naming the parameter (``value``, ``seconds``, ``delta``), not a bare
``TypeError``; an int too large for a float is ``InvalidArgumentError``. Both backends, the
same class, argument and message; nothing is recorded."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

from fluent_ai import _purepy
from fluent_ai.errors import ArgumentTypeError, InvalidArgumentError

METHODS = [("inc", "value"), ("observe", "seconds"), ("gauge_add", "delta")]
WRONG_TYPES: list[Any] = ["1", b"1", True, False, [1], {"a": 1}, object(), 1j]


@pytest.mark.parametrize(("method", "argument"), METHODS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_wrong_type_names_the_parameter(
    core: ModuleType, method: str, argument: str, value: Any
) -> None:
    metrics = core.Metrics()
    for call in (
        lambda: getattr(metrics, method)("x", value),
        lambda: getattr(metrics, method)("x", **{argument: value}),
        lambda: getattr(metrics, method)("x", value, provider="p"),
    ):
        with pytest.raises(ArgumentTypeError) as info:
            call()
        assert type(info.value) is ArgumentTypeError
        assert info.value.argument == argument
        assert str(info.value).startswith(f"{argument} must be a real number")
    assert metrics.snapshot() == {"counters": {}, "gauges": {}, "histograms": {}}


@pytest.mark.parametrize(("method", "argument"), METHODS)
def test_huge_int_is_a_wrong_value(core: ModuleType, method: str, argument: str) -> None:
    metrics = core.Metrics()
    with pytest.raises(InvalidArgumentError) as info:
        getattr(metrics, method)("x", 10**400)
    assert not isinstance(info.value, TypeError)
    assert info.value.argument == argument
    # A huge int is described by its size (its repr is refused past 4300 digits).
    assert "int of 1329 bits" in str(info.value)


@pytest.mark.parametrize(("method", "kind"), [("inc", "counters"), ("observe", "histograms")])
def test_numbers_still_accepted(core: ModuleType, method: str, kind: str) -> None:
    metrics = core.Metrics()
    for value in (2, 0.5, Decimal("1.5"), Fraction(1, 2), 10**20):
        getattr(metrics, method)("x", value)
    assert metrics.snapshot()[kind]["x"]


def test_default_and_none_increment_is_one(core: ModuleType) -> None:
    metrics = core.Metrics()
    metrics.inc("x")
    metrics.inc("x", None)
    assert metrics.snapshot()["counters"]["x"][""] == 2.0


def test_both_backends_say_the_same(core: ModuleType) -> None:
    for method, _argument in METHODS:
        for value in WRONG_TYPES:
            messages = []
            for module in (core, _purepy):
                with pytest.raises(ArgumentTypeError) as info:
                    getattr(module.Metrics(), method)("x", value)
                messages.append(str(info.value))
            assert messages[0] == messages[1]
