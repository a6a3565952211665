"""Providers: the registry of base URLs, keys and auth schemes (data), and later the dialect
adapters that encode requests. See :mod:`fluent_ai.providers.registry`."""

from __future__ import annotations

from .registry import (
    PROVIDERS,
    Param,
    ProviderSpec,
    ResolvedProvider,
    base_url_env_var,
    join_url,
    resolve,
)

__all__ = [
    "PROVIDERS",
    "Param",
    "ProviderSpec",
    "ResolvedProvider",
    "base_url_env_var",
    "join_url",
    "resolve",
]
