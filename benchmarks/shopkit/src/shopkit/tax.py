"""Sales tax by category."""

from __future__ import annotations

from shopkit.money import apply_rate

RATES = {"standard": 0.2, "reduced": 0.05, "zero": 0.0}


def rate_for(category: str) -> float:
    try:
        return RATES[category]
    except KeyError:
        raise ValueError(f"unknown tax category {category!r}") from None


def tax_cents(net_cents: int, category: str = "standard") -> int:
    return apply_rate(net_cents, rate_for(category))


def gross_cents(net_cents: int, category: str = "standard") -> int:
    return net_cents + tax_cents(net_cents, category)


def net_from_gross(gross: int, category: str = "standard") -> int:
    return round(gross / (1 + rate_for(category)))
