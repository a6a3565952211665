"""Incremental JSON parser, pure-Python mirror of ``rust/json/``."""

from __future__ import annotations

from .stream import JsonStream

__all__ = ["JsonStream"]
