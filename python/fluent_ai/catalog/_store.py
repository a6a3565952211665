"""The in-process catalog: the snapshot with live lists laid over it, built lazily.

The first call to :func:`store` reads the packaged snapshot and the cache files left by earlier
refreshes (whatever their age: a cached list is newer than the snapshot). Rows become
:class:`ModelInfo` objects only when asked for, and are kept.
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import FluentAIError
from . import _cache, _snapshot
from ._model import ModelInfo

if TYPE_CHECKING:
    from ._live import LiveSet

__all__ = ["Store", "reset", "store"]


class Store:
    """Snapshot rows plus the live list of each refreshed provider."""

    def __init__(self, snapshot: _snapshot.Snapshot) -> None:
        self.snapshot = snapshot
        self.live: dict[str, LiveSet] = {}
        self._infos: dict[str, ModelInfo] = {}
        self._ids: dict[str, dict[str, None]] | None = None
        self._all: list[ModelInfo] | None = None
        self._lock = threading.RLock()

    def info(self, name: str) -> ModelInfo | None:
        """The entry called exactly ``name`` (``"provider/id"``), or ``None``."""
        found = self._infos.get(name)
        if found is not None:
            return found
        provider, _, model_id = name.partition("/")
        row = self.snapshot.rows.get(name)
        live = self.live.get(provider)
        fields = live.models.get(model_id) if live is not None else None
        if row is None and fields is None:
            return None
        base = self.snapshot.info(*row) if row is not None else None
        if fields is not None and live is not None:
            info = _overlay(base, provider, model_id, live, fields)
        elif base is not None:
            info = base
        else:
            return None
        self._infos[name] = info
        return info

    def ids(self) -> dict[str, dict[str, None]]:
        """Every model id by provider (ordered, for alias lookups)."""
        with self._lock:
            if self._ids is None:
                ids: dict[str, dict[str, None]] = {}
                for provider, row in self.snapshot.rows.values():
                    ids.setdefault(provider, {})[row[0]] = None
                for provider, live in self.live.items():
                    ids.setdefault(provider, {}).update(dict.fromkeys(live.models))
                self._ids = ids
            return self._ids

    def aliases(self, provider: str) -> dict[str, str]:
        live = self.live.get(provider)
        return live.aliases if live is not None else {}

    def all(self) -> list[ModelInfo]:
        """Every entry, sorted by name."""
        with self._lock:
            if self._all is None:
                names = [f"{p}/{i}" for p, ids in self.ids().items() for i in ids]
                infos = [self.info(name) for name in sorted(names)]
                self._all = [info for info in infos if info is not None]
            return self._all

    def names(self) -> Iterator[str]:
        for provider, ids in self.ids().items():
            for model_id in ids:
                yield f"{provider}/{model_id}"

    def set_live(self, live: LiveSet) -> None:
        """Lays a provider's live list over the snapshot (replacing an earlier one)."""
        live = _match_snapshot_case(self, live)
        with self._lock:
            self.live[live.provider] = live
            prefix = live.provider + "/"
            self._infos = {k: v for k, v in self._infos.items() if not k.startswith(prefix)}
            self._ids = None
            self._all = None


def _overlay(
    base: ModelInfo | None, provider: str, model_id: str, live: LiveSet, fields: dict[str, Any]
) -> ModelInfo:
    values = dict(fields)
    date = values.get("deprecation_date")
    if isinstance(date, str):
        values["deprecation_date"] = datetime.date.fromisoformat(date)
    provenance: dict[str, Any] = {
        "live_source": live.source,
        "live_as_of": live.as_of,
        "live_fields": frozenset(values),
    }
    if base is None:
        return ModelInfo(
            provider=provider,
            id=model_id,
            source=live.source,
            as_of=live.as_of,
            **values,
            **provenance,
        )
    return dataclasses.replace(base, **values, **provenance)


def _match_snapshot_case(store: Store, live: LiveSet) -> LiveSet:
    """Live ids that differ from a snapshot id only in case take the snapshot's spelling."""
    known = store.ids().get(live.provider, {})
    lower: dict[str, str] = {}
    for model_id in known:
        lower.setdefault(model_id.lower(), model_id)
    renamed = {}
    for model_id, fields in live.models.items():
        target = model_id if model_id in known else lower.get(model_id.lower(), model_id)
        renamed[target] = fields
    if renamed.keys() == live.models.keys():
        return live
    return dataclasses.replace(live, models=renamed)


_STORE: Store | None = None
_LOAD_LOCK = threading.Lock()


def store() -> Store:
    """The process-wide catalog, loaded on first use."""
    global _STORE
    current = _STORE
    if current is not None:
        return current
    with _LOAD_LOCK:
        if _STORE is None:
            loaded = Store(_snapshot.load())
            for live in _usable_caches():
                loaded.set_live(live)
            _STORE = loaded
        return _STORE


def loaded() -> bool:
    """Whether the snapshot has been read in this process."""
    return _STORE is not None


def reset() -> None:
    """Forgets the loaded catalog (and live data); the next use reads everything again."""
    global _STORE
    with _LOAD_LOCK:
        _STORE = None


def _usable_caches() -> list[LiveSet]:
    found = _cache.read_all()
    if not found:
        return []
    # The registry is imported only when there are cache files to check.
    from ..providers.registry import resolve  # noqa: PLC0415

    usable = []
    for live in found:
        try:
            base_url = resolve(live.provider).base_url
        except FluentAIError:
            continue
        # A list fetched from another server (a test double, a proxy) is not this provider's.
        if live.base_url == base_url:
            usable.append(live)
    return usable
