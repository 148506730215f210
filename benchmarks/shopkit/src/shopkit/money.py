"""Amounts are integer cents; rounding is half up."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


def to_cents(amount: str | float | int) -> int:
    """Parse an amount in currency units into cents."""
    value = Decimal(str(amount)) * 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int, symbol: str = "$") -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{frac:02d}"


def apply_rate(cents: int, rate: float) -> int:
    """``cents * rate`` rounded half up to whole cents."""
    value = Decimal(cents) * Decimal(str(rate))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_evenly(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` amounts differing by at most one cent."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def sum_cents(values: Iterable[int]) -> int:
    return sum(values)
