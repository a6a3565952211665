"""The per-provider disk cache of live model lists.

One file per provider, ``catalog-<provider>.json``, in ``FLUENT_AI_CACHE_DIR`` or else the
user cache directory: ``$XDG_CACHE_HOME/fluent-ai`` (default ``~/.cache/fluent-ai``) on Linux
and other Unix systems, ``~/Library/Caches/fluent-ai`` on macOS,
``%LOCALAPPDATA%\\fluent-ai\\Cache`` on Windows.

Writes are atomic: the document goes to a temporary file in the same directory, is flushed to
disk, then renamed over the old file with :func:`os.replace`, so a reader (or a crash) sees
the old file or the new one, never a mix, however many processes refresh at once. A file that
cannot be read or parsed is ignored with a :class:`CatalogCacheWarning`, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._live import LiveSet

__all__ = ["CatalogCacheWarning", "cache_dir", "cache_path", "read", "read_all", "write"]

_PREFIX = "catalog-"
_SUFFIX = ".json"


class CatalogCacheWarning(UserWarning):
    """A catalog cache file was unreadable or corrupt (it is ignored), or could not be written."""


def cache_dir() -> Path:
    """The directory of the catalog cache files (read from the environment on every call)."""
    override = os.environ.get("FLUENT_AI_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "fluent-ai" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "fluent-ai"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base / "fluent-ai"


def cache_path(provider: str) -> Path:
    """The cache file of one provider."""
    return cache_dir() / f"{_PREFIX}{provider}{_SUFFIX}"


def read(provider: str) -> LiveSet | None:
    """The cached live list of ``provider``; ``None`` when absent or unusable (with a warning)."""
    return _read_file(cache_path(provider), provider)


def read_all() -> list[LiveSet]:
    """Every usable cache file in the cache directory."""
    directory = cache_dir()
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found = []
    for name in names:
        if name.startswith(_PREFIX) and name.endswith(_SUFFIX):
            provider = name[len(_PREFIX) : -len(_SUFFIX)]
            live = _read_file(directory / name, provider)
            if live is not None:
                found.append(live)
    return found


def write(live: LiveSet) -> bool:
    """Writes ``live`` atomically; on failure warns and returns ``False``."""
    path = cache_path(live.provider)
    data = json.dumps(live.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    import tempfile  # noqa: PLC0415  (only writers need it; loading the catalog does not)

    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        _replace(temporary, path)
        temporary = None
        return True
    except OSError as error:
        warnings.warn(
            f"could not write the catalog cache {path}: {error}", CatalogCacheWarning, stacklevel=3
        )
        return False
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _replace(source: str, target: Path) -> None:
    # On Windows a reader holding the target open makes os.replace fail for a moment.
    for attempt in range(10):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == 9:
                raise
            time.sleep(0.01 * (attempt + 1))


def _read_file(path: Path, provider: str) -> LiveSet | None:
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        _warn_unusable(path, f"unreadable ({error})")
        return None
    from ._live import LiveSet  # noqa: PLC0415  (only cache readers need the parsers)

    try:
        live = LiveSet.from_json(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as error:
        _warn_unusable(path, f"corrupt ({error})")
        return None
    if live.provider != provider:
        _warn_unusable(path, f"holds provider {live.provider!r}, not {provider!r}")
        return None
    return live


def _warn_unusable(path: Path, why: str) -> None:
    warnings.warn(
        f"ignoring the catalog cache file {path}: {why}", CatalogCacheWarning, stacklevel=4
    )
