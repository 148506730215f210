"""Sales reports over orders."""

from __future__ import annotations

from collections.abc import Sequence

from shopkit.money import format_cents
from shopkit.orders import Order


def revenue_cents(orders: Sequence[Order]) -> int:
    return sum(order.total_cents() for order in orders)


def average_order_value(orders: Sequence[Order]) -> int:
    """Mean order total in cents."""
    return round(revenue_cents(orders) / len(orders))


def revenue_by_day(orders: Sequence[Order]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for order in orders:
        totals[order.day] = totals.get(order.day, 0) + order.total_cents()
    return dict(sorted(totals.items()))


def top_customers(orders: Sequence[Order], n: int = 3) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for order in orders:
        totals[order.customer] = totals.get(order.customer, 0) + order.total_cents()
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:n]


def summary(orders: Sequence[Order]) -> dict[str, object]:
    return {
        "orders": len(orders),
        "revenue": format_cents(revenue_cents(orders)),
        "average": format_cents(average_order_value(orders)),
    }
