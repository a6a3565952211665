"""Latency histogram with log-linear buckets, as ``rust/metrics/histogram.rs`` (same scheme,
same float operations, so both backends report identical quantiles).

A value ``m * 2**e`` (``math.frexp``) falls in sub-bucket ``j = int((m - 0.5) * 128)`` of
octave ``e``; bucket ``(e, j)`` covers ``[(64 + j) * 2**(e-7), (65 + j) * 2**(e-7))`` and
reports ``2 * lo * hi / (lo + hi)``, within 1/129 (0.78 %) of every value in it. Octaves cover
``[2**-30, 2**16)`` seconds; smaller values share bucket 0, larger ones the last bucket.
Quantiles are nearest-rank (rank ``max(1, ceil(q * n))``), clamped to the observed range.
"""

from __future__ import annotations

import math

MIN_EXPONENT = -29
MAX_EXPONENT = 16
_SUBS = 64
_LOW = math.ldexp(1.0, MIN_EXPONENT - 1)
_HIGH = math.ldexp(1.0, MAX_EXPONENT)
_OVERFLOW = (MAX_EXPONENT - MIN_EXPONENT + 1) * _SUBS + 1

QUANTILES = (0.5, 0.9, 0.99, 0.999)


def _bucket_of(value: float) -> int:
    if value < _LOW:
        return 0
    if value >= _HIGH:
        return _OVERFLOW
    mantissa, exponent = math.frexp(value)
    return 1 + (exponent - MIN_EXPONENT) * _SUBS + int((mantissa - 0.5) * 128)


def _representative(bucket: int) -> float:
    if bucket == 0:
        return 0.0
    if bucket == _OVERFLOW:
        return math.inf
    exponent = MIN_EXPONENT + (bucket - 1) // _SUBS
    sub = float((bucket - 1) % _SUBS)
    unit = math.ldexp(1.0, exponent - 7)
    lo, hi = (64.0 + sub) * unit, (65.0 + sub) * unit
    return 2.0 * lo * hi / (lo + hi)


class Histogram:
    """Bucket counts, count, sum and observed range of one series (not thread-safe alone)."""

    __slots__ = ("_buckets", "_high", "_low", "count", "sum")

    def __init__(self) -> None:
        self._buckets: dict[int, int] = {}
        self.count = 0
        self.sum = 0.0
        self._low = math.inf
        self._high = 0.0

    def observe(self, seconds: float) -> None:
        """Record a finite value >= 0."""
        value = seconds + 0.0
        self._low = min(self._low, value)
        self._high = max(self._high, value)
        bucket = _bucket_of(value)
        self._buckets[bucket] = self._buckets.get(bucket, 0) + 1
        self.count += 1
        self.sum += value

    def quantiles(self) -> list[float]:
        """p50, p90, p99, p99.9 (0.0 each while empty)."""
        total = sum(self._buckets.values())
        if total == 0:
            return [0.0 for _ in QUANTILES]
        ordered = sorted(self._buckets.items())
        result = []
        for q in QUANTILES:
            rank = max(1, math.ceil(q * total))
            seen = 0
            reported = self._high
            for bucket, count in ordered:
                seen += count
                if seen >= rank:
                    reported = min(max(_representative(bucket), self._low), self._high)
                    break
            result.append(reported)
        return result
