"""Order exports (CSV and JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from shopkit import csvparse
from shopkit.money import format_cents
from shopkit.orders import Order

HEADER = ("order_id", "customer", "day", "sku", "quantity", "unit_price")


def order_rows(orders: Sequence[Order]) -> list[dict[str, str]]:
    rows = []
    for order in orders:
        for line in order.lines:
            rows.append(
                {
                    "order_id": order.order_id,
                    "customer": order.customer,
                    "day": order.day,
                    "sku": line.sku,
                    "quantity": str(line.quantity),
                    "unit_price": f"{line.unit_cents // 100}.{line.unit_cents % 100:02d}",
                }
            )
    return rows


def to_csv(orders: Sequence[Order]) -> str:
    return csvparse.dump(order_rows(orders), HEADER)


def to_json(orders: Sequence[Order]) -> str:
    return json.dumps(
        [
            {"id": o.order_id, "customer": o.customer, "total": format_cents(o.total_cents())}
            for o in orders
        ],
        sort_keys=True,
    )
