"""``fluent-ai decode FILE --dialect D``: a captured response body (or a cassette exchange)
turned into the normalized events, for debugging provider traffic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .._backend import core
from ..errors import StreamDecodeError
from ._chat import event_dict
from ._setup import fail
from ._terminal import Style, print_json

__all__ = ["run_decode"]


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise fail(f"cannot read {path!r}: {error.strerror}", "usage") from None


def _pieces(data: bytes, path: str, chunk_size: int) -> list[bytes]:
    """The bytes to feed: a cassette exchange's recorded reads (a file ``NNNN.json`` that is
    one), else the file in pieces of ``chunk_size`` (0: whole)."""
    name = Path(path).name
    if name[:-5].isdigit() and name.endswith(".json") and data.lstrip().startswith(b"{"):
        from ..recording import CassetteError  # noqa: PLC0415
        from ..recording._cassette import read_exchange  # noqa: PLC0415

        try:
            exchange = read_exchange(Path(path))
        except CassetteError:
            pass  # a JSON body that is not an exchange: decoded as it is
        else:
            return [chunk for _, chunk in exchange.chunks]
    if chunk_size <= 0:
        return [data]
    return [data[start : start + chunk_size] for start in range(0, len(data), chunk_size)]


def run_decode(args: Any, style: Style, err: Style) -> int:
    data = _read(args.file)
    decoder = core.StreamDecoder(args.dialect)
    events: list[Any] = []
    error: StreamDecodeError | None = None
    try:
        for piece in _pieces(data, args.file, args.chunk_size):
            events += decoder.feed(piece)
        decoder.finish()
    except StreamDecodeError as problem:
        events += problem.completed
        error = problem
    for event in events:
        if args.json:
            print_json(event_dict(event))
        else:
            fields = ", ".join(f"{name}={value!r}" for name, value in event.to_dict().items())
            sys.stdout.write(f"{style(type(event).__name__, 'cyan')}({fields})\n")
    sys.stdout.flush()
    if error is not None:
        if args.json:
            print_json(
                {
                    "type": "error",
                    "error": type(error).__name__,
                    "message": str(error),
                    "position": error.position,
                }
            )
        raise error
    if not args.json:
        summary = f"{len(events)} events"
        if decoder.finish_reason is not None:
            summary += f", finish {decoder.finish_reason}"
        sys.stderr.write(err(summary, "dim") + "\n")
    return 0
