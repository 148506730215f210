"""Parcel shipping costs by weight band."""

from __future__ import annotations

from shopkit.money import apply_rate

BANDS = ((500, 499), (2000, 899), (5000, 1499))
EXTRA_PER_KG = 250


def shipping_cost(weight_grams: int, express: bool = False) -> int:
    if weight_grams <= 0:
        raise ValueError("weight must be positive")
    for limit, band_cost in BANDS:
        if weight_grams <= limit:
            cost = band_cost
            break
    else:
        extra_kg = -(-(weight_grams - BANDS[-1][0]) // 1000)
        cost = BANDS[-1][1] + extra_kg * EXTRA_PER_KG
    return apply_rate(cost, 1.5) if express else cost


def parcel_count(weight_grams: int, max_grams: int = 20000) -> int:
    return max(1, -(-weight_grams // max_grams))
