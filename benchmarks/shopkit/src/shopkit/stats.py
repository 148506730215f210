"""Small descriptive statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def variance(values: Sequence[float]) -> float:
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def moving_average(values: Sequence[float], window: int) -> list[float]:
    if window <= 0:
        raise ValueError("window must be positive")
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        if i >= window - 1:
            out.append(total / window)
    return out


def histogram(values: Sequence[float], bins: int, low: float, high: float) -> list[int]:
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        if low <= value < high:
            counts[int((value - low) / width)] += 1
    return counts
