"""Input validation for imported data."""

from __future__ import annotations

import re

from shopkit.orders import OrderLine

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
SKU = re.compile(r"^[A-Z]{3}-\d{4}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


def is_valid_email(text: str) -> bool:
    return bool(EMAIL.match(text))


def is_valid_sku(text: str) -> bool:
    return bool(SKU.match(text))


def is_valid_postcode(text: str) -> bool:
    return bool(POSTCODE.match(text.strip().upper()))


def problems(line: OrderLine) -> list[str]:
    found = []
    if not is_valid_sku(line.sku):
        found.append(f"bad sku {line.sku!r}")
    if line.quantity <= 0:
        found.append("quantity must be positive")
    if line.unit_cents < 0:
        found.append("negative price")
    return found
