"""Ways of cutting a byte string into chunks, shared by the decoder tests."""

from __future__ import annotations

import random
from collections.abc import Iterator


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def two_way_splits(data: bytes, max_points: int = 0) -> Iterator[list[bytes]]:
    """Every split into two chunks, or ``max_points`` evenly spaced ones when set and smaller."""
    points = range(len(data) + 1)
    if max_points and len(data) + 1 > max_points:
        step = len(data) / max_points
        points = sorted({int(i * step) for i in range(max_points)} | {len(data)})
    for point in points:
        yield [data[:point], data[point:]]


def random_splits(data: bytes, seed: int, pieces: int = 8) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.randint(0, len(data)) for _ in range(pieces - 1))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]
