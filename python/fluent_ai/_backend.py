"""Chooses the implementation of the core once, at import.

``FLUENT_AI_BACKEND`` selects it: ``auto`` (the default) takes the native module when it
imports and the pure-Python one otherwise, ``native`` fails loudly without the native module,
``python`` forces the pure-Python implementation. This is the only module that imports
``_core`` or ``_purepy``; everything else imports the core from here.

``FLUENT_AI_SIMD`` forces the native kernel level: ``auto`` or empty (detect), ``avx2``,
``sse2``, ``neon``, ``scalar`` or ``off``. Any other value is a ``ValueError`` at import
whichever backend is chosen; the native module also refuses (``ValueError``) a level the CPU
lacks. Both are ``ValueError`` rather than ``ImportError`` so that ``auto`` cannot mistake them
for a missing native module and quietly fall back to pure Python.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

__all__ = ["BackendInfo", "backend", "core"]

_CHOICES = ("auto", "native", "python")
_SIMD_VARIABLE = "FLUENT_AI_SIMD"
_SIMD_CHOICES = ("auto", "avx2", "sse2", "neon", "scalar", "off")


@dataclass(frozen=True)
class BackendInfo:
    """Which implementation of the core is active.

    ``name`` is ``"native"`` or ``"python"``; ``simd`` the kernel level the native core chose
    at run time (``"avx2"``, ``"sse2"``, ``"neon"`` or ``"scalar"``; ``None`` on the python
    backend); ``version`` the version of the active core.
    """

    name: str
    simd: str | None
    version: str


def _check_simd_setting() -> None:
    """The same spelling rule as ``rust/simd.rs`` (whose message this repeats)."""
    value = os.environ.get(_SIMD_VARIABLE, "")
    if value.strip().lower() not in ("", *_SIMD_CHOICES):
        raise ValueError(
            f"{_SIMD_VARIABLE}={value!r} is not a SIMD level; expected one of: "
            f"{', '.join(_SIMD_CHOICES)} (empty means auto)"
        )


def _load() -> ModuleType:
    _check_simd_setting()
    choice = os.environ.get("FLUENT_AI_BACKEND", "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ImportError(f"FLUENT_AI_BACKEND={choice!r} is not one of {', '.join(_CHOICES)}")
    if choice == "python":
        return importlib.import_module("fluent_ai._purepy")
    try:
        return importlib.import_module("fluent_ai._core")
    except ImportError as error:
        if choice == "native":
            raise ImportError(
                "FLUENT_AI_BACKEND=native, but the native module fluent_ai._core could not be "
                f"imported ({error}); reinstall a wheel for this platform or unset the variable"
            ) from error
        return importlib.import_module("fluent_ai._purepy")


core: ModuleType = _load()
_INFO = BackendInfo(
    name="python" if core.__name__.endswith("_purepy") else "native",
    simd=core.SIMD_LEVEL,
    version=core.__version__,
)


def backend() -> BackendInfo:
    """Tell which implementation of the core is active (see :class:`BackendInfo`)."""
    return _INFO
