"""Coupons and bulk discounts."""

from __future__ import annotations

from shopkit.money import apply_rate
from shopkit.orders import Order

COUPONS = {"WELCOME10": 10, "SPRING15": 15, "VIP25": 25}
BULK_TIERS = ((100, 12), (50, 8), (10, 5))


def percent_off(cents: int, percent: float) -> int:
    if not 0 <= percent <= 100:
        raise ValueError("percent must be within 0..100")
    return apply_rate(cents, 1 - percent / 100)


def bulk_percent(quantity: int) -> int:
    for minimum, percent in BULK_TIERS:
        if quantity >= minimum:
            return percent
    return 0


def order_discount_cents(order: Order, coupon: str | None = None) -> int:
    percent = 0
    if coupon:
        if coupon.upper() not in COUPONS:
            raise ValueError(f"unknown coupon {coupon!r}")
        percent = COUPONS[coupon.upper()]
    quantity = sum(line.quantity for line in order.lines)
    percent = max(percent, bulk_percent(quantity))
    total = order.total_cents()
    return total - percent_off(total, percent)
