"""Weight units."""

from __future__ import annotations

_TO_GRAMS = {"g": 1.0, "kg": 1000.0, "lb": 453.59237, "oz": 28.349523125}


def to_grams(value: float, unit: str) -> int:
    if unit not in _TO_GRAMS:
        raise ValueError(f"unknown unit {unit!r}")
    return round(value * _TO_GRAMS[unit])


def convert(value: float, source: str, target: str) -> float:
    return value * _TO_GRAMS[source] / _TO_GRAMS[target]


def parse_weight(text: str) -> int:
    number, _, unit = text.strip().partition(" ")
    return to_grams(float(number), unit.strip().lower())
