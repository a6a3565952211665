"""The argument rules of the catalog functions (README, Model catalog): typed errors naming the
argument, before any lookup or request (see :mod:`fluent_ai._validation`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from .._validation import check_number, check_seconds, check_string, fail_type, is_number

__all__ = ["check_client", "check_find", "check_model_name", "check_refresh"]


def check_model_name(value: object, argument: str = "name") -> str:
    return check_string(argument, value)


def check_find(
    *,
    provider: object,
    mode: object,
    flags: Mapping[str, object],
    counts: Mapping[str, object],
    prices: Mapping[str, object],
    include_deprecated: object,
    today: object,
    sort: object,
) -> None:
    _check_names("provider", provider)
    _check_names("mode", mode)
    for name, flag in flags.items():
        if flag is not None and not isinstance(flag, bool):
            fail_type(name, "True, False or None", flag)
    for name, count in counts.items():
        if count is not None:
            if not isinstance(count, int) or isinstance(count, bool):
                fail_type(name, "an int >= 0 or None", count)
            check_number(name, count, minimum=0)
    for name, price in prices.items():
        if price is not None:
            check_number(name, price, minimum=0.0)
    if not isinstance(include_deprecated, bool):
        fail_type("include_deprecated", "True or False", include_deprecated)
    if today is not None and not isinstance(today, datetime.date):
        fail_type("today", "a datetime.date or None", today)
    check_string("sort", sort)


def _check_names(argument: str, value: object) -> None:
    if value is None or isinstance(value, str):
        return
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        fail_type(argument, "a str, a list of str, or None", value)
    for item in list(value):
        if not isinstance(item, str):
            fail_type(f"an item of {argument}", "a str", item)


def check_refresh(provider: object, *, ttl: object, force: object, timeout: object) -> None:
    if provider is not None:
        check_string("provider", provider)
    if not is_number(ttl):
        fail_type("ttl", "a finite number of seconds >= 0", ttl)
    check_number("ttl", ttl, minimum=0.0)
    if not isinstance(force, bool):
        fail_type("force", "True or False", force)
    check_seconds("timeout", timeout)


def check_client(client: Any) -> None:
    """``None``, a fluent_ai client (its providers and HTTP client are used) or an HTTP client
    with ``get`` (an ``httpx.Client`` for :func:`refresh`, ``httpx.AsyncClient`` for
    :func:`arefresh`)."""
    if client is None or callable(getattr(client, "resolve_provider", None)):
        return
    if not callable(getattr(client, "get", None)):
        fail_type("client", "a fluent_ai client, an httpx client, or None", client)
