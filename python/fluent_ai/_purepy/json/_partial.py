"""``partial()``: the value as if the input received so far were closed here."""

from __future__ import annotations

from typing import Union

Container = Union[list, dict]  # type: ignore[type-arg]

# The innermost open value is absent (an unfinished key, number or literal, or no value yet).
ABSENT = object()


def snapshot(stack: list[Container], keys: list[str | None], child: object) -> object:
    """Fresh shallow copies of the open containers, innermost first, each holding the next.

    ``stack`` holds the live containers (outermost first), ``keys[k]`` the key under which the
    container ``stack[k + 1]`` (or ``child``) goes when ``stack[k]`` is an object, and ``child``
    the unfinished innermost value or ``ABSENT``. Completed members are shared, not copied:
    the cost is the size of the open containers, not of the whole value.
    """
    k = len(stack)
    while k:
        k -= 1
        container = stack[k]
        copy = container.copy()
        if child is not ABSENT:
            if isinstance(copy, list):
                copy.append(child)
            else:
                copy[keys[k]] = child
        child = copy
    return child
