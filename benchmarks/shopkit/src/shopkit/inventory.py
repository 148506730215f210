"""Stock levels and reordering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass
class StockItem:
    sku: str
    on_hand: int
    threshold: int
    lead_days: int = 3


def is_low_stock(on_hand: int, threshold: int) -> bool:
    """Whether stock is at or below the reorder threshold."""
    return on_hand <= threshold


class Inventory:
    def __init__(self) -> None:
        self._items: dict[str, StockItem] = {}

    def add(self, item: StockItem) -> None:
        self._items[item.sku] = item

    def on_hand(self, sku: str) -> int:
        return self._items[sku].on_hand

    def receive(self, sku: str, quantity: int) -> int:
        item = self._items[sku]
        item.on_hand += quantity
        return item.on_hand

    def ship(self, sku: str, quantity: int) -> int:
        item = self._items[sku]
        if quantity > item.on_hand:
            raise ValueError(f"only {item.on_hand} of {sku} on hand")
        item.on_hand -= quantity
        return item.on_hand

    def low_stock(self) -> list[str]:
        return sorted(s for s, i in self._items.items() if is_low_stock(i.on_hand, i.threshold))

    def value_cents(self, prices: Mapping[str, int]) -> int:
        return sum(item.on_hand * prices.get(sku, 0) for sku, item in self._items.items())
