"""Comparing the public shape (signatures, members) of the native and pure-Python classes."""

from __future__ import annotations

import inspect
import sys

import pytest


def parameters(function: object) -> list[tuple[str, object, object]]:
    """Name, kind and default of each parameter (annotations differ by design: the native
    signatures come from text signatures, the Python ones from typed code)."""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def assert_same_methods(native: type, python: type) -> None:
    """Both classes have the same public members, and callables take the same parameters."""
    native_members = {m for m in dir(native) if not m.startswith("_")}
    assert native_members == {m for m in dir(python) if not m.startswith("_")}
    for member in sorted(native_members):
        native_attr, python_attr = getattr(native, member), getattr(python, member)
        if callable(native_attr) and not isinstance(native_attr, type):
            assert parameters(native_attr) == parameters(python_attr), member


# Methods have text signatures on every version; classes only from 3.10 on.
needs_class_signatures = pytest.mark.skipif(
    sys.version_info < (3, 10),
    reason="Python 3.9's inspect cannot read the text signature of a native class",
)
