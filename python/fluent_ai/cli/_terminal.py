"""What the command writes and how: colours only on a terminal, tables, JSON lines, and a
spinner on stderr while a long operation runs."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["Progress", "Style", "print_json", "table"]

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}


def wants_colour(stream: TextIO, choice: str) -> bool:
    """``--color``: ``always``, ``never``, or ``auto`` (a terminal, ``NO_COLOR`` unset or
    empty, ``TERM`` not ``dumb``)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI styling that does nothing when colours are off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[style] for style in styles)
        return f"\033[{codes}m{text}\033[0m"


def print_json(value: Any, stream: TextIO | None = None) -> None:
    """One JSON document on one line (``--json`` output is JSON lines)."""
    out = stream or sys.stdout
    out.write(json.dumps(value, ensure_ascii=False, sort_keys=False) + "\n")
    out.flush()


def table(rows: Sequence[Sequence[str]], header: Sequence[str], style: Style) -> str:
    """A plain-text table, columns padded to their widest cell (numbers right-aligned)."""
    widths = [len(name) for name in header]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for index, (cell, width) in enumerate(zip(cells, widths)):
            numeric = (index > 0 and cell[:1].isdigit()) or cell.startswith("$")
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(out).rstrip()

    head = style(line(header), "bold")
    return "\n".join([head, *(line(row) for row in rows)])


class Progress:
    """A spinner with a message on stderr while something slow runs; nothing when stderr is
    not a terminal. Use as a context manager; :meth:`done` clears it early."""

    _FRAMES = "|/-\\"

    def __init__(self, message: str, *, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._message = message
        isatty = getattr(self._stream, "isatty", None)
        self._active = bool(isatty and isatty())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        if self._active:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()

    def update(self, message: str) -> None:
        self._message = message

    def _spin(self) -> None:
        frame = 0
        while not self._stop.wait(0.1):
            with self._lock:
                if self._stop.is_set():
                    return
                symbol = self._FRAMES[frame % len(self._FRAMES)]
                self._stream.write(f"\r{symbol} {self._message}\033[K")
                self._stream.flush()
            frame += 1

    def done(self) -> None:
        """Stops the spinner and clears its line (once)."""
        if self._stop.is_set():
            return
        with self._lock:
            self._stop.set()
            if self._active and self._thread is not None:
                self._stream.write("\r\033[K")
                self._stream.flush()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
