"""Shared set-up of the catalog tests: an empty cache directory and no provider settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from fluent_ai import catalog
from fluent_ai.providers.registry import PROVIDERS, base_url_env_var

__all__ = ["isolate_catalog"]


def isolate_catalog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Points the cache at a fresh directory, removes every provider key and base-URL variable
    from the environment, and forgets the loaded catalog. Returns the cache directory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("FLUENT_AI_CACHE_DIR", str(cache))
    for spec in PROVIDERS.values():
        monkeypatch.delenv(base_url_env_var(spec.name), raising=False)
        for variable in spec.key_env:
            monkeypatch.delenv(variable, raising=False)
        for param in spec.params:
            for variable in param.env:
                monkeypatch.delenv(variable, raising=False)
    catalog.reload()
    return cache
