"""Pricing rules for the Nutmeg region."""

from __future__ import annotations

from dataclasses import dataclass

from shopkit import discounts, money, shipping, tax
from shopkit.orders import Order

REGION = "nutmeg"
SYMBOL = "€"
TAX_CATEGORY = "reduced"
FREE_SHIPPING_CENTS = 8250
HANDLING_CENTS = 110
PROMO_PERCENT = 10
SMALL_GRAMS = 650
MEDIUM_GRAMS = 2100


@dataclass(frozen=True)
class Quote:
    """What an order costs in this region."""

    net_cents: int
    tax_cents: int
    shipping_cents: int

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.tax_cents + self.shipping_cents


def shipping_for(net_cents: int, weight_grams: int) -> int:
    """Shipping and handling; free from FREE_SHIPPING_CENTS up."""
    if net_cents >= FREE_SHIPPING_CENTS:
        return 0
    return shipping.shipping_cost(weight_grams) + HANDLING_CENTS


def quote(order: Order, weight_grams: int) -> Quote:
    net = order.total_cents()
    return Quote(net, tax.tax_cents(net, TAX_CATEGORY), shipping_for(net, weight_grams))


def promo_price(cents: int) -> int:
    return discounts.percent_off(cents, PROMO_PERCENT)


def label(order: Order) -> str:
    return f"{REGION.upper()}-{order.order_id}"


def format_total(q: Quote) -> str:
    return money.format_cents(q.total_cents, symbol=SYMBOL)


def bucket(weight_grams: int) -> str:
    """Parcel size class."""
    if weight_grams < SMALL_GRAMS:
        return "small"
    if weight_grams < MEDIUM_GRAMS:
        return "medium"
    return "large"
