"""``python -m fluent_ai``: the ``fluent-ai`` command (see :mod:`fluent_ai.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
