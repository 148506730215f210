"""Orders and their lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shopkit.money import to_cents


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass
class Order:
    order_id: str
    customer: str
    day: str
    lines: list[OrderLine] = field(default_factory=list)

    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def add(self, sku: str, quantity: int, unit_cents: int) -> None:
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        self.lines.append(OrderLine(sku, quantity, unit_cents))


def parse_order_line(text: str) -> OrderLine:
    """``"ABC-0001 x3 @ 4.50"`` -> OrderLine."""
    sku, _, rest = text.partition(" x")
    quantity, _, price = rest.partition(" @ ")
    if not sku or not quantity or not price:
        raise ValueError(f"not an order line: {text!r}")
    return OrderLine(sku.strip(), int(quantity), to_cents(price.strip()))


def parse_orders(rows: Iterable[Mapping[str, str]]) -> list[Order]:
    """Orders from export rows (one row per line), in first-seen order."""
    by_id: dict[str, Order] = {}
    for row in rows:
        order = by_id.get(row["order_id"])
        if order is None:
            order = by_id[row["order_id"]] = Order(row["order_id"], row["customer"], row["day"])
        order.add(row["sku"], int(row["quantity"]), to_cents(row["unit_price"]))
    return list(by_id.values())
