"""Calls of the clients' public methods and constructors that do not fit their signature
(an unknown keyword, too many positional arguments, a required one missing, one given twice)
raise the library's typed errors instead of Python's bare ``TypeError``, before the method
runs, so nothing is sent: :class:`~fluent_ai.errors.UnknownArgumentError` (with the close
matches) for an unknown keyword, :class:`~fluent_ai.errors.ArgumentTypeError` for the rest.
Both are ``TypeError`` subclasses, so ``except TypeError`` still catches them.

The check is a few set and length comparisons per call; ``inspect.signature`` runs once per
method, when the class is guarded.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from typing import Any, Callable, NoReturn

from .errors import ArgumentTypeError, UnknownArgumentError

__all__ = ["guard_signatures"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class _Shape:
    """What one callable accepts (``self`` included in the positional names)."""

    __slots__ = ("keywords", "max_positional", "name", "positional", "required", "shown")

    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        parameters = list(inspect.signature(function).parameters.values())
        kinds = {p.kind for p in parameters}
        self.name = name
        self.positional = [p.name for p in parameters if p.kind in _POSITIONAL]
        self.max_positional: float = (
            float("inf") if inspect.Parameter.VAR_POSITIONAL in kinds else len(self.positional)
        )
        keywords = [p.name for p in parameters if p.kind in _KEYWORD]
        self.keywords: frozenset[str] | None = (
            None if inspect.Parameter.VAR_KEYWORD in kinds else frozenset(keywords)
        )
        self.shown = [k for k in keywords if k != "self"]
        self.required = [
            p.name
            for p in parameters
            if p.default is inspect.Parameter.empty and p.kind in (*_POSITIONAL, *_KEYWORD)
        ]

    def check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        given = len(args)
        if given > self.max_positional:
            self._too_many(given)
        if kwargs:
            keywords = self.keywords
            if keywords is not None and not keywords.issuperset(kwargs):
                self._unknown(next(k for k in kwargs if k not in keywords))
            for name in kwargs:
                if name in self.positional[:given]:
                    self._fail(name, f"{self.name}() got multiple values for argument {name!r}")
        for name in self.required[given:]:
            if name not in kwargs:
                self._fail(name, f"{self.name}() is missing the required argument {name!r}")

    def _too_many(self, given: int) -> NoReturn:
        # ``self`` is not counted in the message, as Python does not count it either.
        most = int(self.max_positional) - 1
        self._fail(
            "positional arguments",
            f"{self.name}() takes at most {most} positional arguments but {given - 1} were "
            f"given (the others are keywords: {', '.join(self.shown[most:]) or 'none'})",
        )

    def _unknown(self, name: str) -> NoReturn:
        close = difflib.get_close_matches(name, self.shown, n=3, cutoff=0.6)
        raise UnknownArgumentError(self.name, name, self.shown, close)

    def _fail(self, argument: str, message: str) -> NoReturn:
        raise ArgumentTypeError(message, argument=argument, expected=", ".join(self.shown))


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    shape = _Shape(name, function)
    check = shape.check
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def guarded_async(*args: Any, **kwargs: Any) -> Any:
            check(args, kwargs)
            return await function(*args, **kwargs)

        return guarded_async

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check(args, kwargs)
        return function(*args, **kwargs)

    return guarded


def guard_signatures(cls: type) -> None:
    """Guard ``cls``'s constructor and public methods (inherited ones included), in place."""
    for attribute in dir(cls):
        if attribute.startswith("_") and attribute != "__init__":
            continue
        static = inspect.getattr_static(cls, attribute)
        if not inspect.isfunction(static) or getattr(static, "__wrapped__", None) is not None:
            continue
        label = cls.__name__ if attribute == "__init__" else f"{cls.__name__}.{attribute}"
        setattr(cls, attribute, _guarded(label, static))
