#!/usr/bin/env python3
"""Decision overhead: `error-fix score` next to the project's own plain test suite.

Issue 7, part 1; DESIGN.md "Performance budget" (target: the whole decision within 1.3x the
project's plain test-suite time).

    python benchmarks/decision_overhead.py [--runs 5] [--out FILE] [--keep DIR]

Run it with the interpreter that has error-fix installed: the generated project's tests run with
that same interpreter (``--python sys.executable``; ``--python PY`` picks another one that has
pytest, e.g. a Python 3.12 venv, where coverage can use sys.monitoring). It only measures and
prints; nothing here
asserts on time. Steps:

1. generate a project: src layout, 46 modules, ~1,700 pytest tests of mixed cost, some lint and
   type debt, as a git repository with one commit;
2. write three patches against that commit (clean-fix, regression, security) and sanity-check
   them;
3. one warm-up of each (not counted), then per round and per patch: the plain suite, then
   `error-fix score ... --json` (alternating); medians over --runs and the median of the paired
   score/plain ratios. clean-fix's warm-up is the first decision on the repository (mypy's cache
   under <repo>/.state/cache is empty): it is reported as "cold";
4. per-stage medians of the verdicts' ``timings``;
5. startup: ``error-fix --help`` and ``python -X importtime -c "import error_fix.cli"``;
6. requests the GitHub forge makes to publish the clean-fix verdict (tests/fakes FakeGitHub);
7. everything to --out as JSON, and a summary on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_OUT = HERE / "results" / "decision_overhead.json"
PATCH_NAMES = ("clean-fix", "regression", "security")
PLAIN_ARGS = ("-m", "pytest", "-q", "-p", "no:cacheprovider")
GIT_IDENTITY = (
    "-c",
    "user.name=Bench Author",
    "-c",
    "user.email=bench@example.com",
    "-c",
    "commit.gpgsign=false",
)
STAGE_ORDER = (
    "intake",
    "worktrees",
    "scorers",
    "pytest:after",
    "pytest:before",
    "pytest:before-failing",
    "pytest:after-rerun",
    "pytest:before-rerun",
    "ruff:base",
    "ruff:patched",
    "mypy:base",
    "mypy:patched",
    "bandit:base",
    "bandit:patched",
    "pip_audit:scratch",
    "cleanup",
    "decision",
)


# =============================================================================================
# 1. The generated project ("shopkit")
#
# Hand-written core modules (some using each other, two with type debt, one with an unused
# import) plus 26 region modules from one template (four with an unused import). Most tests are
# fast and parametrized; a few do real work (sorting, hashing, parsing, graphs, matrices) so the
# plain suite takes several seconds. Sizes of that work are in WORK.

WORK = {
    "seeds": 6,
    "sort_n": 15_000,
    "csv_rows": 3_000,
    "matrix_n": 70,
    "graph_n": 10_000,
    "stats_n": 300_000,
    "orders_n": 8_000,
    "digest_mb": 48,
    "pack_mb": 24,
    "catalogue_n": 200_000,
}
"""Sizes of the few heavier tests: half in C-level work (hashing, compression, sorted, json),
half in the project's pure-Python code (parsing, merge sort, graphs, matrices)."""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "shopkit"
version = "1.4.0"
description = "Orders, pricing and reports for a small shop"
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
test = ["pytest>=8"]

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
addopts = "--strict-markers"
xfail_strict = true

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "B", "UP"]

[tool.mypy]
python_version = "3.11"
check_untyped_defs = true
warn_unused_ignores = true
"""

CORE: dict[str, str] = {}

CORE["README.md"] = """\
# shopkit

Orders, pricing, shipping and reports for a small shop. `pip install -e .[test]`, then `pytest`.
"""

CORE[".gitignore"] = "__pycache__/\n*.egg-info/\n.pytest_cache/\n.mypy_cache/\n.ruff_cache/\n"

CORE["src/shopkit/__init__.py"] = '''\
"""Orders, pricing, shipping and reports for a small shop."""

__version__ = "1.4.0"
'''

CORE["src/shopkit/money.py"] = '''\
"""Amounts are integer cents; rounding is half up."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal


def to_cents(amount: str | float | int) -> int:
    """Parse an amount in currency units into cents."""
    value = Decimal(str(amount)) * 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_cents(cents: int, symbol: str = "$") -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{frac:02d}"


def apply_rate(cents: int, rate: float) -> int:
    """``cents * rate`` rounded half up to whole cents."""
    value = Decimal(cents) * Decimal(str(rate))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_evenly(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` amounts differing by at most one cent."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def sum_cents(values: Iterable[int]) -> int:
    return sum(values)
'''

CORE["src/shopkit/stats.py"] = '''\
"""Small descriptive statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def variance(values: Sequence[float]) -> float:
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def moving_average(values: Sequence[float], window: int) -> list[float]:
    if window <= 0:
        raise ValueError("window must be positive")
    out: list[float] = []
    total = 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        if i >= window - 1:
            out.append(total / window)
    return out


def histogram(values: Sequence[float], bins: int, low: float, high: float) -> list[int]:
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        if low <= value < high:
            counts[int((value - low) / width)] += 1
    return counts
'''

CORE["src/shopkit/orders.py"] = '''\
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
'''

CORE["src/shopkit/reports.py"] = '''\
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
'''

CORE["src/shopkit/csvparse.py"] = '''\
"""A small CSV reader/writer (quoted fields, doubled quotes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def parse_line(line: str, sep: str = ",") -> list[str]:
    fields: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    buf.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                buf.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == sep:
            fields.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if quoted:
        raise ValueError("unterminated quote")
    fields.append("".join(buf))
    return fields


def parse(text: str, sep: str = ",") -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = parse_line(lines[0], sep)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = parse_line(line, sep)
        if len(values) != len(header):
            raise ValueError(f"line {number}: {len(values)} fields, expected {len(header)}")
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def quote(value: str, sep: str = ",") -> str:
    if any(ch in value for ch in (sep, '"', "\\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def dump(rows: Sequence[Mapping[str, str]], header: Sequence[str], sep: str = ",") -> str:
    out = [sep.join(quote(h, sep) for h in header)]
    for row in rows:
        out.append(sep.join(quote(row[h], sep) for h in header))
    return "\\n".join(out) + "\\n"
'''

CORE["src/shopkit/sorting.py"] = '''\
"""Stable sorting helpers."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Key = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def insertion_sort(items: Sequence[T], key: Key | None = None) -> list[T]:
    k = key or _identity
    out = list(items)
    for i in range(1, len(out)):
        current = out[i]
        j = i - 1
        while j >= 0 and k(current) < k(out[j]):
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = current
    return out


def merge_sort(items: Sequence[T], key: Key | None = None) -> list[T]:
    data = list(items)
    if len(data) <= 16:
        return insertion_sort(data, key)
    k = key or _identity
    mid = len(data) // 2
    left = merge_sort(data[:mid], key)
    right = merge_sort(data[mid:], key)
    merged: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if k(right[j]) < k(left[i]):
            merged.append(right[j])
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


def is_sorted(items: Sequence[T], key: Key | None = None) -> bool:
    k = key or _identity
    return all(not k(b) < k(a) for a, b in zip(items, items[1:]))


def top_k(items: Sequence[T], n: int, key: Key | None = None) -> list[T]:
    return heapq.nlargest(n, items, key=key)
'''

CORE["src/shopkit/checksum.py"] = '''\
"""Checksums and digests for exported files."""

from __future__ import annotations

import hashlib
import zlib


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def adler32(data: bytes) -> int:
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def chunked_digest(data: bytes, chunk_size: int = 65536) -> list[str]:
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return [sha256_hex(data[i : i + chunk_size]) for i in range(0, len(data), chunk_size)]


def fingerprint(text: str) -> str:
    return sha256_hex(text.encode("utf-8"))[:12]


def pack(data: bytes, level: int = 6) -> bytes:
    """Compress an export for upload."""
    return zlib.compress(data, level)


def unpack(data: bytes) -> bytes:
    return zlib.decompress(data)
'''

CORE["src/shopkit/textutil.py"] = '''\
"""Text helpers for product names and descriptions."""

from __future__ import annotations

import re
import string
import textwrap

_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9']+")


def slugify(text: str) -> str:
    return _NON_WORD.sub("-", text.lower()).strip("-")


def normalize_whitespace(text: str) -> str:
    return " ".join(text.split())


def truncate(text: str, width: int, suffix: str = "...") -> str:
    if len(text) <= width:
        return text
    if width <= len(suffix):
        return suffix[:width]
    return text[: width - len(suffix)].rstrip() + suffix


def wrap(text: str, width: int = 40) -> list[str]:
    return textwrap.wrap(normalize_whitespace(text), width)


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts


def title_case(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
'''

CORE["src/shopkit/dates.py"] = '''\
"""Calendar helpers for delivery estimates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def parse_iso_date(text: str) -> date:
    parts = text.strip().split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not an ISO date: {text!r}")
    year, month, day = (int(part) for part in parts)
    return date(year, month, day)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def add_business_days(start: date, days: int) -> date:
    current = start
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    while remaining:
        current += timedelta(days=step)
        if not is_weekend(current):
            remaining -= 1
    return current


def weekday_name(day: date) -> int:
    return calendar.day_name[day.weekday()]


def days_between(a: date, b: date) -> int:
    return abs((b - a).days)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
'''

CORE["src/shopkit/inventory.py"] = '''\
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
'''

CORE["src/shopkit/shipping.py"] = '''\
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
'''

CORE["src/shopkit/tax.py"] = '''\
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
'''

CORE["src/shopkit/discounts.py"] = '''\
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
'''

CORE["src/shopkit/exporter.py"] = '''\
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
'''

CORE["src/shopkit/graph.py"] = '''\
"""Dependency graphs (bundles made of other products)."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping


def topo_sort(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Every node after its dependencies; ties broken by name."""
    nodes = set(deps)
    for targets in deps.values():
        nodes.update(targets)
    remaining = {node: set(deps.get(node, ())) for node in nodes}
    dependents: dict[str, set[str]] = {node: set() for node in nodes}
    for node, targets in remaining.items():
        for target in targets:
            dependents[target].add(node)
    ready = [node for node, targets in remaining.items() if not targets]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            remaining[dependent].discard(node)
            if not remaining[dependent]:
                heapq.heappush(ready, dependent)
    if len(order) != len(nodes):
        raise ValueError("dependency cycle")
    return order


def reachable(deps: Mapping[str, Iterable[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in deps.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def shortest_path(edges: Mapping[str, Iterable[str]], start: str, goal: str) -> list[str] | None:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            current: str | None = node
            while current is not None:
                path.append(current)
                current = previous[current]
            return path[::-1]
        for target in edges.get(node, ()):
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return None
'''

CORE["src/shopkit/matrix.py"] = '''\
"""Dense matrices as lists of rows (used by the demand forecast)."""

from __future__ import annotations

Matrix = list[list[float]]


def identity(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    return [list(row) for row in zip(*m, strict=True)]


def matmul(a: Matrix, b: Matrix) -> Matrix:
    if a and len(a[0]) != len(b):
        raise ValueError("shapes do not match")
    columns = transpose(b)
    return [[sum(x * y for x, y in zip(row, col, strict=True)) for col in columns] for row in a]


def mat_pow(m: Matrix, k: int) -> Matrix:
    result = identity(len(m))
    base = m
    while k:
        if k & 1:
            result = matmul(result, base)
        base = matmul(base, base)
        k >>= 1
    return result


def trace(m: Matrix) -> float:
    return sum(m[i][i] for i in range(len(m)))
'''

CORE["src/shopkit/cache.py"] = '''\
"""A least-recently-used cache for price lookups."""

from __future__ import annotations

from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._data: OrderedDict[str, int] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> int:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._data.move_to_end(key)
        return value

    def put(self, key: str, value: int) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0
'''

CORE["src/shopkit/validators.py"] = '''\
"""Input validation for imported data."""

from __future__ import annotations

import re

from shopkit.orders import OrderLine

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$")
SKU = re.compile(r"^[A-Z]{3}-\\d{4}$")
POSTCODE = re.compile(r"^[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}$")


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
'''

CORE["src/shopkit/units.py"] = '''\
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
'''

CORE["src/shopkit/search.py"] = '''\
"""A tiny inverted index over product descriptions."""

from __future__ import annotations

from collections import defaultdict

from shopkit.textutil import normalize_whitespace, truncate

_PUNCTUATION = str.maketrans("", "", ".,;:!?\\"'()")


def tokenize(text: str) -> list[str]:
    return text.lower().translate(_PUNCTUATION).split()


class Index:
    def __init__(self) -> None:
        self._postings: defaultdict[str, set[str]] = defaultdict(set)
        self._docs: dict[str, str] = {}

    def add(self, doc_id: str, text: str) -> None:
        self._docs[doc_id] = text
        for token in tokenize(text):
            self._postings[token].add(doc_id)

    def search(self, query: str) -> list[str]:
        tokens = tokenize(query)
        if not tokens:
            return []
        found = set(self._postings.get(tokens[0], set()))
        for token in tokens[1:]:
            found &= self._postings.get(token, set())
        return sorted(found)

    def snippet(self, doc_id: str, width: int = 30) -> str:
        return truncate(normalize_whitespace(self._docs[doc_id]), width)

    def __len__(self) -> int:
        return len(self._docs)
'''

CORE["src/shopkit/regions/__init__.py"] = '''\
"""Per-region pricing rules."""
'''

CORE["tests/conftest.py"] = """\
import pytest

from shopkit.orders import Order, OrderLine


@pytest.fixture
def orders() -> list[Order]:
    return [
        Order(
            "o1",
            "ann",
            "2024-03-01",
            [OrderLine("ABC-0001", 2, 450), OrderLine("ABC-0002", 1, 1999)],
        ),
        Order("o2", "bob", "2024-03-01", [OrderLine("ABC-0003", 3, 100)]),
        Order("o3", "ann", "2024-03-02", [OrderLine("XYZ-0100", 1, 5000)]),
        Order(
            "o4",
            "cy",
            "2024-03-04",
            [OrderLine("XYZ-0101", 4, 250), OrderLine("ABC-0001", 1, 450)],
        ),
    ]


def random_orders(rng, count: int) -> list[Order]:
    days = [f"2024-03-{d:02d}" for d in range(1, 29)]
    customers = [f"customer-{c}" for c in range(200)]
    out = []
    for n in range(count):
        lines = [
            OrderLine(f"SKU-{rng.randrange(10000):04d}", rng.randint(1, 9), rng.randint(1, 9999))
            for _ in range(3)
        ]
        out.append(Order(f"o{n}", rng.choice(customers), rng.choice(days), lines))
    return out
"""

CORE["tests/test_money.py"] = """\
import pytest

from shopkit import money


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0", 0), ("1", 100), ("1.5", 150), ("0.005", 1), ("2.675", 268), ("19.99", 1999),
     (3, 300), ("-1.25", -125), ("1234.565", 123457), ("0.01", 1)],
)
def test_to_cents(amount, cents):
    assert money.to_cents(amount) == cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (123456, "$1,234.56"), (-250, "-$2.50"),
     (100000000, "$1,000,000.00")],
)
def test_format_cents(cents, text):
    assert money.format_cents(cents) == text


def test_format_cents_other_symbol():
    assert money.format_cents(1999, symbol="€") == "€19.99"


@pytest.mark.parametrize(
    ("cents", "rate", "expected"),
    [(1000, 0.2, 200), (999, 0.05, 50), (1, 0.5, 1), (333, 1.5, 500), (0, 0.2, 0)],
)
def test_apply_rate(cents, rate, expected):
    assert money.apply_rate(cents, rate) == expected


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [(100, 3, [34, 33, 33]), (10, 5, [2, 2, 2, 2, 2]), (1, 4, [1, 0, 0, 0])],
)
def test_split_evenly(total, parts, expected):
    assert money.split_evenly(total, parts) == expected


@pytest.mark.parametrize("parts", range(1, 30))
def test_split_evenly_keeps_the_total(parts):
    shares = money.split_evenly(1000, parts)
    assert sum(shares) == 1000
    assert max(shares) - min(shares) <= 1


def test_split_evenly_needs_parts():
    with pytest.raises(ValueError):
        money.split_evenly(100, 0)


def test_sum_cents():
    assert money.sum_cents(iter([1, 2, 3])) == 6
"""

CORE["tests/test_stats.py"] = """\
import random

import pytest

from shopkit import stats

N = @@STATS_N@@


def test_mean():
    assert stats.mean([1, 2, 3]) == 2.0


def test_mean_of_nothing():
    with pytest.raises(ValueError):
        stats.mean([])


@pytest.mark.parametrize(
    ("values", "expected"), [([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([7], 7), ([1, 1, 5, 5], 3.0)]
)
def test_median(values, expected):
    assert stats.median(values) == expected


def test_variance():
    assert stats.variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4.0


@pytest.mark.parametrize(("q", "expected"), [(0, 1), (10, 1), (50, 5), (90, 9), (100, 10)])
def test_percentile(q, expected):
    assert stats.percentile(list(range(1, 11)), q) == expected


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_range(q):
    with pytest.raises(ValueError):
        stats.percentile([1, 2], q)


def test_moving_average():
    assert stats.moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


def test_histogram():
    assert stats.histogram([0.1, 0.2, 0.6, 0.9, 1.5], 2, 0.0, 1.0) == [2, 2]


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_percentiles_of_a_large_sample(seed):
    rng = random.Random(seed)
    values = [rng.random() for _ in range(N)]
    assert abs(stats.median(values) - 0.5) < 0.01
    assert abs(stats.percentile(values, 90) - 0.9) < 0.01
    assert abs(stats.mean(values) - 0.5) < 0.01


@pytest.mark.parametrize("seed", range(3))
def test_histogram_of_a_large_sample(seed):
    rng = random.Random(seed)
    values = [rng.random() for _ in range(N)]
    counts = stats.histogram(values, 10, 0.0, 1.0)
    assert sum(counts) == N
    assert min(counts) > N // 12
    averages = stats.moving_average(values, 100)
    assert len(averages) == N - 99
"""

CORE["tests/test_orders.py"] = """\
import pytest

from shopkit.orders import Order, OrderLine, parse_order_line, parse_orders


def test_line_total():
    assert OrderLine("ABC-0001", 3, 250).total_cents == 750


def test_order_total(orders):
    assert [o.total_cents() for o in orders] == [2899, 300, 5000, 1450]


def test_add_line():
    order = Order("o9", "dee", "2024-03-05")
    order.add("ABC-0009", 2, 100)
    assert order.total_cents() == 200


@pytest.mark.parametrize("quantity", [0, -1])
def test_add_rejects_bad_quantity(quantity):
    with pytest.raises(ValueError):
        Order("o9", "dee", "2024-03-05").add("ABC-0009", quantity, 100)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ABC-0001 x3 @ 4.50", OrderLine("ABC-0001", 3, 450)),
        ("XYZ-0100 x1 @ 50", OrderLine("XYZ-0100", 1, 5000)),
        ("QQQ-1234 x12 @ 0.99", OrderLine("QQQ-1234", 12, 99)),
    ],
)
def test_parse_order_line(text, line):
    assert parse_order_line(text) == line


@pytest.mark.parametrize("text", ["", "ABC-0001", "ABC-0001 x3"])
def test_parse_order_line_rejects(text):
    with pytest.raises(ValueError):
        parse_order_line(text)


def test_parse_orders_groups_lines():
    rows = [
        {"order_id": "a", "customer": "ann", "day": "d1", "sku": "S1", "quantity": "2",
         "unit_price": "1.50"},
        {"order_id": "b", "customer": "bob", "day": "d1", "sku": "S2", "quantity": "1",
         "unit_price": "3"},
        {"order_id": "a", "customer": "ann", "day": "d1", "sku": "S3", "quantity": "1",
         "unit_price": "0.25"},
    ]
    parsed = parse_orders(rows)
    assert [o.order_id for o in parsed] == ["a", "b"]
    assert parsed[0].total_cents() == 325
"""

CORE["tests/test_reports.py"] = """\
import random

import pytest
from conftest import random_orders

from shopkit import reports


def test_revenue(orders):
    assert reports.revenue_cents(orders) == 9649


def test_average_order_value(orders):
    assert reports.average_order_value(orders) == 2412


def test_revenue_by_day(orders):
    assert reports.revenue_by_day(orders) == {
        "2024-03-01": 3199,
        "2024-03-02": 5000,
        "2024-03-04": 1450,
    }


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, [("ann", 7899)]), (2, [("ann", 7899), ("cy", 1450)]),
     (5, [("ann", 7899), ("cy", 1450), ("bob", 300)])],
)
def test_top_customers(orders, n, expected):
    assert reports.top_customers(orders, n) == expected


def test_summary(orders):
    assert reports.summary(orders) == {"orders": 4, "revenue": "$96.49", "average": "$24.12"}


@pytest.mark.parametrize("seed", range(3))
def test_reports_over_many_orders(seed):
    many = random_orders(random.Random(seed), @@ORDERS_N@@)
    by_day = reports.revenue_by_day(many)
    assert sum(by_day.values()) == reports.revenue_cents(many)
    top = reports.top_customers(many, 10)
    assert top == sorted(top, key=lambda item: (-item[1], item[0]))
"""

CORE["tests/test_csvparse.py"] = '''\
import random

import pytest

from shopkit import csvparse

ROWS = @@CSV_ROWS@@


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("a,b,c", ["a", "b", "c"]),
        ('"a,b",c', ["a,b", "c"]),
        ('"say ""hi""",x', ['say "hi"', "x"]),
        (",,", ["", "", ""]),
        ("single", ["single"]),
        ('"",x', ["", "x"]),
    ],
)
def test_parse_line(line, fields):
    assert csvparse.parse_line(line) == fields


def test_parse_line_other_separator():
    assert csvparse.parse_line("a;b", sep=";") == ["a", "b"]


def test_unterminated_quote():
    with pytest.raises(ValueError):
        csvparse.parse_line('"open')


def test_parse_with_header():
    assert csvparse.parse("x,y\\n1,2\\n\\n3,4\\n") == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


def test_parse_rejects_short_rows():
    with pytest.raises(ValueError, match="line 3"):
        csvparse.parse("x,y\\n1,2\\n3\\n")


@pytest.mark.parametrize(("value", "quoted"), [("plain", "plain"), ("a,b", '"a,b"'),
                                              ('q"q', '"q""q"')])
def test_quote(value, quoted):
    assert csvparse.quote(value) == quoted


def _export(rng: random.Random, rows: int) -> str:
    words = ["red", "blue", "large", "small", "mug", "shirt", "pack, of 3", 'the "best"']
    lines = ["id,name,notes,qty,price,tags"]
    for n in range(rows):
        name = " ".join(rng.choice(words) for _ in range(3))
        notes = " ".join(rng.choice(words) for _ in range(6))
        row = [str(n), name, notes, str(rng.randint(1, 99)), f"{rng.random() * 100:.2f}", "x"]
        lines.append(",".join(csvparse.quote(value) for value in row))
    return "\\n".join(lines) + "\\n"


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_parse_a_large_export(seed):
    text = _export(random.Random(seed), ROWS)
    rows = csvparse.parse(text)
    assert len(rows) == ROWS
    header = ["id", "name", "notes", "qty", "price", "tags"]
    assert csvparse.parse(csvparse.dump(rows, header)) == rows
'''

CORE["tests/test_sorting.py"] = """\
import random

import pytest

from shopkit import sorting

N = @@SORT_N@@


@pytest.mark.parametrize(
    "items", [[], [1], [2, 1], [3, 1, 2], [5, 4, 3, 2, 1], [1, 1, 1], list(range(40, 0, -1))]
)
def test_merge_sort_small(items):
    assert sorting.merge_sort(items) == sorted(items)


@pytest.mark.parametrize("items", [[], [1], [2, 1], [3, 3, 1], [9, 7, 8]])
def test_insertion_sort(items):
    assert sorting.insertion_sort(items) == sorted(items)


def test_merge_sort_is_stable():
    pairs = [(1, "a"), (0, "b"), (1, "c"), (0, "d")] * 10
    assert sorting.merge_sort(pairs, key=lambda p: p[0]) == sorted(pairs, key=lambda p: p[0])


@pytest.mark.parametrize(("items", "expected"), [([], True), ([1, 2, 2], True), ([2, 1], False)])
def test_is_sorted(items, expected):
    assert sorting.is_sorted(items) is expected


def test_top_k():
    assert sorting.top_k([5, 1, 9, 3], 2) == [9, 5]


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_merge_sort_large_matches_sorted(seed):
    rng = random.Random(seed)
    data = [rng.randint(-(10**6), 10**6) for _ in range(N)]
    result = sorting.merge_sort(data)
    assert result == sorted(data)
    assert sorting.is_sorted(result)
"""

CORE["tests/test_checksum.py"] = """\
import hashlib
import random
import zlib

import pytest

from shopkit import checksum


@pytest.mark.parametrize("data", [b"", b"abc", b"Wikipedia", b"\\x00" * 100, bytes(range(256))])
def test_adler32_matches_zlib(data):
    assert checksum.adler32(data) == zlib.adler32(data)


def test_adler32_known_value():
    assert checksum.adler32(b"Wikipedia") == 0x11E60398


def test_sha256_hex():
    assert checksum.sha256_hex(b"abc").startswith("ba7816bf")


@pytest.mark.parametrize(("size", "chunk", "count"), [(0, 4, 0), (10, 4, 3), (8, 4, 2)])
def test_chunked_digest_count(size, chunk, count):
    assert len(checksum.chunked_digest(b"x" * size, chunk)) == count


def test_chunked_digest_needs_a_size():
    with pytest.raises(ValueError):
        checksum.chunked_digest(b"x", 0)


def test_fingerprint_is_short_and_stable():
    assert checksum.fingerprint("hello") == checksum.fingerprint("hello")
    assert len(checksum.fingerprint("hello")) == 12


@pytest.mark.parametrize("size", [1_000, 50_000, 150_000])
def test_adler32_of_random_data(size):
    data = random.Random(size).randbytes(size)
    assert checksum.adler32(data) == zlib.adler32(data)


def test_pack_round_trip():
    assert checksum.unpack(checksum.pack(b"abc" * 100)) == b"abc" * 100


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_chunked_digest_of_a_large_payload(seed):
    data = random.Random(seed).randbytes(@@DIGEST_MB@@ << 20)
    digests = checksum.chunked_digest(data, 1 << 20)
    assert len(digests) == @@DIGEST_MB@@
    assert digests[3] == hashlib.sha256(data[3 << 20 : 4 << 20]).hexdigest()


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_pack_a_large_export(seed):
    words = [b"order", b"sku", b"shirt", b"mug", b"2024-03-01", b"ann", b"42.50", b","]
    rng = random.Random(seed)
    data = b" ".join(rng.choice(words) for _ in range(64)) * ((@@PACK_MB@@ << 20) // 400)
    packed = checksum.pack(data, 9)
    assert len(packed) < len(data) // 10
    assert checksum.unpack(packed) == data
"""

CORE["tests/test_textutil.py"] = """\
import random

import pytest

from shopkit import textutil


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Hello World", "hello-world"), ("  Café  au lait ", "caf-au-lait"),
     ("already-slug", "already-slug"), ("A/B Testing!", "a-b-testing"), ("", ""),
     ("123 Go", "123-go")],
)
def test_slugify(text, slug):
    assert textutil.slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [("hello", 10, "hello"), ("hello world", 8, "hello..."), ("abcdef", 2, ".."),
     ("hello world", 11, "hello world"), ("hello   world", 9, "hello...")],
)
def test_truncate(text, width, expected):
    assert textutil.truncate(text, width) == expected


def test_normalize_whitespace():
    assert textutil.normalize_whitespace(" a \\t b\\n c ") == "a b c"


def test_wrap():
    assert textutil.wrap("one two three four", 9) == ["one two", "three", "four"]


def test_count_words():
    assert textutil.count_words("The cat, the HAT.") == {"the": 2, "cat": 1, "hat": 1}


@pytest.mark.parametrize(
    ("text", "expected"), [("hello world", "Hello World"), ("mIxEd case", "Mixed Case")]
)
def test_title_case(text, expected):
    assert textutil.title_case(text) == expected


@pytest.mark.parametrize("seed", range(2))
def test_count_words_of_a_long_text(seed):
    rng = random.Random(seed)
    words = [f"w{rng.randrange(500)}" for _ in range(100_000)]
    counts = textutil.count_words(" ".join(words))
    assert sum(counts.values()) == len(words)
"""

CORE["tests/test_dates.py"] = """\
from datetime import date

import pytest

from shopkit import dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-03-01", date(2024, 3, 1)), (" 1999-12-31 ", date(1999, 12, 31)),
     ("2024-02-29", date(2024, 2, 29))],
)
def test_parse_iso_date(text, expected):
    assert dates.parse_iso_date(text) == expected


@pytest.mark.parametrize("text", ["2024/03/01", "2024-3", "abc", "2024-13-01", "2023-02-29"])
def test_parse_iso_date_rejects(text):
    with pytest.raises(ValueError):
        dates.parse_iso_date(text)


@pytest.mark.parametrize(
    ("day", "weekend"),
    [(date(2024, 3, d), d in (2, 3)) for d in range(1, 8)],
)
def test_is_weekend(day, weekend):
    assert dates.is_weekend(day) is weekend


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [(date(2024, 3, 1), 1, date(2024, 3, 4)), (date(2024, 3, 1), 0, date(2024, 3, 1)),
     (date(2024, 3, 4), 5, date(2024, 3, 11)), (date(2024, 3, 4), -1, date(2024, 3, 1)),
     (date(2024, 3, 2), 1, date(2024, 3, 4))],
)
def test_add_business_days(start, days, expected):
    assert dates.add_business_days(start, days) == expected


def test_weekday_name():
    assert dates.weekday_name(date(2024, 3, 4)) == "Monday"


def test_days_between():
    assert dates.days_between(date(2024, 3, 10), date(2024, 3, 1)) == 9


@pytest.mark.parametrize(
    ("day", "end"),
    [(date(2024, 2, 10), date(2024, 2, 29)), (date(2023, 2, 1), date(2023, 2, 28)),
     (date(2024, 12, 31), date(2024, 12, 31))],
)
def test_month_end(day, end):
    assert dates.month_end(day) == end
"""

CORE["tests/test_inventory.py"] = """\
import pytest

from shopkit.inventory import Inventory, StockItem, is_low_stock


@pytest.mark.parametrize(
    ("on_hand", "threshold", "low"),
    [(0, 5, True), (4, 5, True), (5, 5, True), (6, 5, False), (100, 5, False)],
)
def test_is_low_stock(on_hand, threshold, low):
    assert is_low_stock(on_hand, threshold) is low


@pytest.fixture
def stock() -> Inventory:
    inventory = Inventory()
    inventory.add(StockItem("a", 2, 5))
    inventory.add(StockItem("b", 5, 5))
    inventory.add(StockItem("c", 9, 5))
    return inventory


def test_low_stock_lists_items_at_or_below_threshold(stock):
    assert stock.low_stock() == ["a", "b"]


def test_receive(stock):
    assert stock.receive("a", 10) == 12


def test_ship(stock):
    assert stock.ship("c", 4) == 5


def test_ship_too_many(stock):
    with pytest.raises(ValueError, match="only 2"):
        stock.ship("a", 3)


def test_unknown_sku(stock):
    with pytest.raises(KeyError):
        stock.on_hand("zzz")


def test_value(stock):
    assert stock.value_cents({"a": 100, "c": 10}) == 290
"""

CORE["tests/test_shipping.py"] = """\
import pytest

from shopkit import shipping


@pytest.mark.parametrize(
    ("weight", "cost"),
    [(1, 499), (500, 499), (501, 899), (2000, 899), (2001, 1499), (5000, 1499), (5001, 1749),
     (6000, 1749), (6001, 1999), (10000, 2749)],
)
def test_shipping_cost(weight, cost):
    assert shipping.shipping_cost(weight) == cost


@pytest.mark.parametrize(("weight", "cost"), [(500, 749), (2000, 1349), (6000, 2624)])
def test_express(weight, cost):
    assert shipping.shipping_cost(weight, express=True) == cost


@pytest.mark.parametrize("weight", [0, -5])
def test_weight_must_be_positive(weight):
    with pytest.raises(ValueError):
        shipping.shipping_cost(weight)


@pytest.mark.parametrize(("weight", "count"), [(0, 1), (1, 1), (20000, 1), (20001, 2), (60000, 3)])
def test_parcel_count(weight, count):
    assert shipping.parcel_count(weight) == count
"""

CORE["tests/test_tax.py"] = """\
import pytest

from shopkit import tax


@pytest.mark.parametrize(
    ("net", "category", "expected"),
    [(1000, "standard", 200), (999, "reduced", 50), (5, "standard", 1), (2, "standard", 0),
     (1000, "zero", 0)],
)
def test_tax_cents(net, category, expected):
    assert tax.tax_cents(net, category) == expected


def test_unknown_category():
    with pytest.raises(ValueError, match="unknown tax category"):
        tax.tax_cents(100, "luxury")


def test_gross():
    assert tax.gross_cents(1000) == 1200


@pytest.mark.parametrize("net", range(0, 2000, 97))
def test_net_from_gross_round_trip(net):
    assert tax.net_from_gross(tax.gross_cents(net)) == net
"""

CORE["tests/test_discounts.py"] = """\
import pytest

from shopkit import discounts
from shopkit.orders import Order, OrderLine


@pytest.mark.parametrize(
    ("cents", "percent", "expected"),
    [(1000, 10, 900), (999, 15, 849), (1, 50, 1), (100, 100, 0), (100, 0, 100)],
)
def test_percent_off(cents, percent, expected):
    assert discounts.percent_off(cents, percent) == expected


@pytest.mark.parametrize("percent", [-1, 101])
def test_percent_off_range(percent):
    with pytest.raises(ValueError):
        discounts.percent_off(100, percent)


@pytest.mark.parametrize(
    ("quantity", "percent"), [(1, 0), (9, 0), (10, 5), (49, 5), (50, 8), (100, 12), (500, 12)]
)
def test_bulk_percent(quantity, percent):
    assert discounts.bulk_percent(quantity) == percent


@pytest.mark.parametrize(
    ("coupon", "expected"), [(None, 0), ("welcome10", 100), ("SPRING15", 150), ("VIP25", 250)]
)
def test_order_discount(coupon, expected):
    order = Order("o1", "ann", "2024-03-01", [OrderLine("ABC-0001", 2, 500)])
    assert discounts.order_discount_cents(order, coupon) == expected


def test_bulk_beats_small_coupon():
    order = Order("o1", "ann", "2024-03-01", [OrderLine("ABC-0001", 100, 10)])
    assert discounts.order_discount_cents(order, "WELCOME10") == 120


def test_unknown_coupon():
    with pytest.raises(ValueError):
        discounts.order_discount_cents(Order("o1", "ann", "2024-03-01"), "FREE")
"""

CORE["tests/test_exporter.py"] = """\
import json
import operator
import random

import pytest
from conftest import random_orders

from shopkit import csvparse, exporter
from shopkit.orders import parse_orders


def test_rows(orders):
    rows = exporter.order_rows(orders)
    assert len(rows) == 6
    assert rows[0]["unit_price"] == "4.50"


def test_csv_round_trip(orders):
    assert parse_orders(csvparse.parse(exporter.to_csv(orders))) == orders


def test_json(orders):
    data = json.loads(exporter.to_json(orders))
    assert data[0] == {"customer": "ann", "id": "o1", "total": "$28.99"}


@pytest.mark.parametrize("seed", range(3))
def test_json_export_of_many_orders(seed):
    many = random_orders(random.Random(seed), @@ORDERS_N@@)
    data = json.loads(exporter.to_json(many))
    assert len(data) == len(many)
    assert json.loads(json.dumps(data, indent=2)) == data


@pytest.mark.parametrize("seed", range(@@SEEDS@@))
def test_sorted_catalogue(seed):
    rng = random.Random(seed)
    n = @@CATALOGUE_N@@
    catalogue = list(zip(rng.choices(range(1000), k=n), map(str, range(n)), strict=True))
    by_price = sorted(catalogue, key=operator.itemgetter(0))
    assert by_price[0][0] == min(catalogue)[0]
    assert len(set(map(operator.itemgetter(1), by_price))) == n
"""

CORE["tests/test_graph.py"] = """\
import random

import pytest

from shopkit import graph

N = @@GRAPH_N@@


def test_topo_sort():
    deps = {"app": ["lib", "util"], "lib": ["util"], "util": []}
    assert graph.topo_sort(deps) == ["util", "lib", "app"]


def test_topo_sort_ties_by_name():
    assert graph.topo_sort({"b": [], "a": [], "c": ["a"]}) == ["a", "b", "c"]


def test_topo_sort_cycle():
    with pytest.raises(ValueError, match="cycle"):
        graph.topo_sort({"a": ["b"], "b": ["a"]})


def test_reachable():
    assert graph.reachable({"a": ["b"], "b": ["c"], "d": ["a"]}, "a") == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("start", "goal", "path"),
    [("a", "d", ["a", "b", "d"]), ("a", "a", ["a"]), ("d", "a", None), ("c", "d", ["c", "d"])],
)
def test_shortest_path(start, goal, path):
    edges = {"a": ["b", "c"], "b": ["d"], "c": ["d"]}
    assert graph.shortest_path(edges, start, goal) == path


@pytest.mark.parametrize("seed", range(3))
def test_topo_sort_of_a_large_graph(seed):
    rng = random.Random(seed)
    deps = {f"n{i}": [f"n{rng.randrange(i)}" for _ in range(min(i, 3))] for i in range(N)}
    order = graph.topo_sort(deps)
    position = {node: index for index, node in enumerate(order)}
    assert all(position[d] < position[n] for n, targets in deps.items() for d in targets)
    assert len(graph.reachable(deps, f"n{N - 1}")) > 1
"""

CORE["tests/test_matrix.py"] = """\
import random

import pytest

from shopkit import matrix

N = @@MATRIX_N@@


def test_identity():
    assert matrix.identity(2) == [[1.0, 0.0], [0.0, 1.0]]


def test_transpose():
    assert matrix.transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_matmul():
    assert matrix.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]


def test_matmul_shapes():
    with pytest.raises(ValueError):
        matrix.matmul([[1, 2]], [[1, 2]])


@pytest.mark.parametrize(("k", "fib"), [(1, 1), (2, 1), (10, 55), (20, 6765)])
def test_mat_pow_fibonacci(k, fib):
    assert matrix.mat_pow([[1, 1], [1, 0]], k)[0][1] == fib


def test_trace():
    assert matrix.trace([[1, 2], [3, 4]]) == 5


@pytest.mark.parametrize("seed", range(3))
def test_matmul_of_large_matrices(seed):
    rng = random.Random(seed)
    a = [[rng.random() for _ in range(N)] for _ in range(N)]
    assert matrix.matmul(a, matrix.identity(N)) == a
    assert abs(matrix.trace(matrix.matmul(matrix.identity(N), a)) - matrix.trace(a)) < 1e-9
"""

CORE["tests/test_cache.py"] = """\
import pytest

from shopkit.cache import LRUCache


def test_put_and_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.hits == 1


def test_miss():
    cache = LRUCache(2)
    assert cache.get("x") is None
    assert cache.misses == 1


def test_evicts_least_recently_used():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "b" not in cache
    assert "a" in cache
    assert len(cache) == 2


def test_hit_rate():
    cache = LRUCache(1)
    assert cache.hit_rate() == 0.0
    cache.put("a", 1)
    cache.get("a")
    cache.get("b")
    assert cache.hit_rate() == 0.5


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_positive(capacity):
    with pytest.raises(ValueError):
        LRUCache(capacity)
"""

CORE["tests/test_validators.py"] = """\
import pytest

from shopkit import validators
from shopkit.orders import OrderLine


@pytest.mark.parametrize("email", ["a@b.co", "first.last+tag@example.com", "x_y@sub.domain.org"])
def test_valid_email(email):
    assert validators.is_valid_email(email)


@pytest.mark.parametrize("email", ["plain", "a@b", "@b.com", "a@b.c", "a b@c.com"])
def test_invalid_email(email):
    assert not validators.is_valid_email(email)


@pytest.mark.parametrize(
    ("sku", "valid"),
    [("ABC-0001", True), ("AB-0001", False), ("ABC-001", False), ("abc-0001", False),
     ("ABC0001", False)],
)
def test_sku(sku, valid):
    assert validators.is_valid_sku(sku) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [("SW1A 1AA", True), ("M1 1AE", True), ("B33 8TH", True), ("cr2 6xh", True),
     ("12345", False), ("SW1A", False), ("", False)],
)
def test_postcode(code, valid):
    assert validators.is_valid_postcode(code) is valid


def test_problems():
    assert validators.problems(OrderLine("ABC-0001", 1, 100)) == []
    assert validators.problems(OrderLine("bad", 0, -1)) == [
        "bad sku 'bad'",
        "quantity must be positive",
        "negative price",
    ]
"""

CORE["tests/test_units.py"] = """\
import pytest

from shopkit import units


@pytest.mark.parametrize(
    ("value", "unit", "grams"), [(1, "kg", 1000), (2, "lb", 907), (16, "oz", 454), (250, "g", 250)]
)
def test_to_grams(value, unit, grams):
    assert units.to_grams(value, unit) == grams


def test_unknown_unit():
    with pytest.raises(ValueError):
        units.to_grams(1, "stone")


@pytest.mark.parametrize(("text", "grams"), [("1.5 kg", 1500), ("3 lb", 1361), ("10 oz", 283)])
def test_parse_weight(text, grams):
    assert units.parse_weight(text) == grams


def test_convert():
    assert abs(units.convert(1, "kg", "lb") - 2.20462) < 1e-5
"""

CORE["tests/test_search.py"] = """\
import random

import pytest

from shopkit.search import Index, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("Red Mug", ["red", "mug"]), ("Hello, world!", ["hello", "world"]), ("", []),
     ("  spaced   out ", ["spaced", "out"])],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.fixture
def index() -> Index:
    idx = Index()
    idx.add("1", "Red ceramic mug")
    idx.add("2", "Blue ceramic plate")
    idx.add("3", "Red cotton shirt, large")
    return idx


@pytest.mark.parametrize(
    ("query", "hits"),
    [("red", ["1", "3"]), ("ceramic", ["1", "2"]), ("red ceramic", ["1"]), ("green", []),
     ("", [])],
)
def test_search(index, query, hits):
    assert index.search(query) == hits


def test_snippet(index):
    assert index.snippet("3", 12) == "Red cotto..."


def test_len(index):
    assert len(index) == 3


def test_search_a_large_catalogue():
    rng = random.Random(7)
    words = [f"w{n}" for n in range(300)]
    idx = Index()
    for doc in range(5000):
        idx.add(str(doc), " ".join(rng.choice(words) for _ in range(12)))
    assert len(idx) == 5000
    assert set(idx.search("w1 w2")) <= set(idx.search("w1"))
"""

# The region modules: one template, 26 regions. Four carry an unused import (lint debt).
REGIONS = (
    *("alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ironwood"),
    *("juniper", "kauri", "larch", "maple", "nutmeg", "oak", "pine", "quince", "rowan"),
    *("spruce", "teak", "upas", "viburnum", "willow", "xylosma", "yew", "zelkova"),
)
UNUSED_IMPORT = {
    3: "import os\n",
    7: "from typing import Any\n",
    11: "import os\n",
    19: "import os\n",
}

REGION_MODULE = '''\
"""Pricing rules for the @@TITLE@@ region."""

from __future__ import annotations

@@IMPORTS@@from dataclasses import dataclass

from shopkit import discounts, money, shipping, tax
from shopkit.orders import Order

REGION = "@@NAME@@"
SYMBOL = "@@SYMBOL@@"
TAX_CATEGORY = "@@CATEGORY@@"
FREE_SHIPPING_CENTS = @@FREE@@
HANDLING_CENTS = @@HANDLING@@
PROMO_PERCENT = @@PROMO@@
SMALL_GRAMS = @@SMALL@@
MEDIUM_GRAMS = @@MEDIUM@@


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
'''

REGION_TESTS = """\
import pytest

from shopkit import shipping
from shopkit.orders import Order, OrderLine
from shopkit.regions import @@NAME@@ as region


def _order(*prices: int) -> Order:
    lines = [OrderLine(f"REG-{i:04d}", 1, price) for i, price in enumerate(prices)]
    return Order("A1", "ann", "2024-03-01", lines)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
@@BUCKETS@@
    ],
)
def test_bucket(weight: int, expected: str) -> None:
    assert region.bucket(weight) == expected


@pytest.mark.parametrize(
    ("net", "expected"),
    [
@@TAXES@@
    ],
)
def test_quote_tax(net: int, expected: int) -> None:
    assert region.quote(_order(net), 800).tax_cents == expected


@pytest.mark.parametrize("net", [@@FREE_NETS@@])
def test_free_shipping_from_threshold(net: int) -> None:
    assert region.shipping_for(net, 1200) == 0


@pytest.mark.parametrize("weight", [100, 499, 500, 1999, 2000, 4999, 5000, 12000])
def test_paid_shipping_includes_handling(weight: int) -> None:
    cost = region.shipping_for(region.FREE_SHIPPING_CENTS - 1, weight)
    assert cost == shipping.shipping_cost(weight) + region.HANDLING_CENTS


@pytest.mark.parametrize("prices", [(100,), (250, 250), (999, 1, 1000), (5000, 5000)])
def test_quote_total_is_the_sum_of_its_parts(prices: tuple[int, ...]) -> None:
    q = region.quote(_order(*prices), 1500)
    assert q.net_cents == sum(prices)
    assert q.total_cents == q.net_cents + q.tax_cents + q.shipping_cents


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
@@PROMOS@@
    ],
)
def test_promo_price(cents: int, expected: int) -> None:
    assert region.promo_price(cents) == expected


def test_label() -> None:
    assert region.label(_order(100)) == "@@UPPER@@-A1"


def test_format_total() -> None:
    assert region.format_total(region.Quote(1000, 200, 0)) == "@@SYMBOL@@12.00"


def test_region_constants() -> None:
    assert region.REGION == "@@NAME@@"
    assert region.HANDLING_CENTS > 0
"""


def _fill(template: str, values: Mapping[str, object]) -> str:
    for key, value in values.items():
        template = template.replace(f"@@{key}@@", str(value))
    if "@@" in template:
        raise RuntimeError(f"unfilled placeholder in: {template[:80]!r}")
    return template


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _cases(pairs: Sequence[tuple[object, object]]) -> str:
    return "\n".join(f"        ({a!r}, {b!r})," for a, b in pairs)


def region_files(index: int, name: str) -> dict[str, str]:
    """The module and test file of one region, with expected values computed here."""
    category = ("standard", "reduced", "zero")[index % 3]
    rate = {"standard": 0.2, "reduced": 0.05, "zero": 0.0}[category]
    free = 5000 + 250 * index
    small = 500 + 50 * (index % 5)
    medium = 2000 + 100 * (index % 4)
    promo = (5, 10, 15, 7, 12, 20)[index % 6]
    symbol = ("$", "€", "£")[index % 3]
    weights: tuple[int, ...] = (
        0,
        1,
        100,
        small - 1,
        small,
        small + 1,
        medium - 1,
        medium,
        medium + 1,
    )
    weights += (2 * small, 10_000, 25_000)
    buckets = [(w, "small" if w < small else "medium" if w < medium else "large") for w in weights]
    nets = (0, 1, 3, 10, 99, 100, 1234, 5000, 9999, 123457)
    taxes = [(n, _half_up(Decimal(n) * Decimal(str(rate)))) for n in nets]
    promos = [
        (c, _half_up(Decimal(c) * Decimal(str(1 - promo / 100)))) for c in (0, 1, 99, 1000, 4321)
    ]
    free_nets = (free, free + 1, free + 100, 2 * free, 3 * free, free + 12345)
    values = {
        "NAME": name,
        "TITLE": name.capitalize(),
        "UPPER": name.upper(),
        "SYMBOL": symbol,
        "CATEGORY": category,
        "FREE": free,
        "HANDLING": 50 + 10 * (index % 7),
        "PROMO": promo,
        "SMALL": small,
        "MEDIUM": medium,
        "IMPORTS": UNUSED_IMPORT.get(index, ""),
    }
    tests = {
        "NAME": name,
        "UPPER": name.upper(),
        "SYMBOL": symbol,
        "BUCKETS": _cases(buckets),
        "TAXES": _cases(taxes),
        "PROMOS": _cases(promos),
        "FREE_NETS": ", ".join(map(str, free_nets)),
    }
    return {
        f"src/shopkit/regions/{name}.py": _fill(REGION_MODULE, values),
        f"tests/regions/test_{name}.py": _fill(REGION_TESTS, tests),
    }


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *GIT_IDENTITY, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def generate_project(repo: Path) -> dict[str, Any]:
    """Write the project into ``repo`` and commit it; returns what was made."""
    sizes = {f"{k.upper()}": v for k, v in WORK.items()}
    files = {"pyproject.toml": PYPROJECT}
    for path, text in CORE.items():
        files[path] = _fill(text, sizes) if path.startswith("tests/") else text
    for index, name in enumerate(REGIONS):
        files.update(region_files(index, name))
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "shopkit 1.4.0")
    modules = [
        p
        for p in files
        if p.startswith("src/") and p.endswith(".py") and not p.endswith("__init__.py")
    ]
    return {
        "modules": len(modules),
        "files": len(files),
        "lines": sum(text.count("\n") for text in files.values()),
        "test_files": sum(1 for p in files if Path(p).name.startswith("test_")),
        "work_sizes": dict(WORK),
        "debt": "planted: unused imports in 4 region modules and textutil (ruff F401), wrong "
        "return annotations in dates.weekday_name and cache.LRUCache.get (mypy); the counts "
        "error-fix found on the base are the scorers' `preexisting` (patches.*.base_debt)",
    }


# =============================================================================================
# 2. The patches


@dataclass(frozen=True)
class Edit:
    path: str
    old: str | None
    """Text replaced (must occur exactly once); None appends ``new`` to the file."""
    new: str


CLEAN_FIX = (
    Edit(
        "src/shopkit/reports.py",
        '    """Mean order total in cents."""\n    return round(',
        '    """Mean order total in cents; 0 when there are no orders."""\n'
        "    if not orders:\n"
        "        return 0\n"
        "    return round(",
    ),
    Edit(
        "tests/test_reports.py",
        None,
        "\n\ndef test_average_order_value_of_no_orders_is_zero():\n"
        "    assert reports.average_order_value([]) == 0\n"
        '    assert reports.summary([])["average"] == "$0.00"\n',
    ),
)
CLEAN_FIX_TEST = "tests/test_reports.py::test_average_order_value_of_no_orders_is_zero"

REGRESSION = (
    Edit(
        "src/shopkit/inventory.py",
        '    """Whether stock is at or below the reorder threshold."""\n'
        "    return on_hand <= threshold\n",
        '    """Whether stock has fallen below the reorder threshold."""\n'
        "    return on_hand < threshold\n",
    ),
)

SECURITY = (
    Edit("src/shopkit/exporter.py", "import json\n", "import json\nimport subprocess\n"),
    Edit(
        "src/shopkit/exporter.py",
        None,
        "\n\ndef run_post_export_hook(command: str) -> int:\n"
        '    """Run the configured post-export hook (a shell command line)."""\n'
        "    return subprocess.call(command, shell=True)\n",
    ),
    Edit(
        "tests/test_exporter.py",
        None,
        "\n\ndef test_post_export_hook_reports_the_exit_status():\n"
        '    assert exporter.run_post_export_hook("exit 0") == 0\n'
        '    assert exporter.run_post_export_hook("exit 3") == 3\n',
    ),
)
SECURITY_TEST = "tests/test_exporter.py::test_post_export_hook_reports_the_exit_status"

PATCH_EDITS = {"clean-fix": CLEAN_FIX, "regression": REGRESSION, "security": SECURITY}
EXPECTED = {
    "clean-fix": "auto_merge or auto_merge_pr, no gate",
    "regression": "manual_review with a regression gate",
    "security": "manual_review with a security gate",
}


def write_patch(repo: Path, edits: Sequence[Edit], out: Path) -> None:
    """Apply ``edits`` to the checkout, save ``git diff`` as ``out``, reset the checkout."""
    for edit in edits:
        target = repo / edit.path
        text = target.read_text(encoding="utf-8")
        if edit.old is None:
            text += edit.new
        elif text.count(edit.old) != 1:
            raise RuntimeError(f"{edit.path}: edit anchor found {text.count(edit.old)} times")
        else:
            text = text.replace(edit.old, edit.new)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "--all")
    out.write_text(git(repo, "diff", "--cached", "HEAD"), encoding="utf-8")
    git(repo, "reset", "-q", "--hard", "HEAD")


@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def run(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Timed:
    start = time.perf_counter()
    done = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return Timed(time.perf_counter() - start, done.returncode, done.stdout, done.stderr)


def pytest_counts(output: str) -> dict[str, int]:
    """``{"passed": n, "failed": m, ...}`` from pytest's last summary line."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last)}


@contextmanager
def worktree(repo: Path, where: Path) -> Iterator[Path]:
    git(repo, "worktree", "add", "-q", "--detach", str(where), "HEAD")
    try:
        yield where
    finally:
        git(repo, "worktree", "remove", "--force", str(where))


def sanity_check(
    repo: Path, patches: Mapping[str, Path], scratch: Path, env: Mapping[str, str], python: str
) -> dict[str, dict[str, Any]]:
    """Each patch applies to the base and does what it is meant to."""
    py = [python, *PLAIN_ARGS]
    out: dict[str, dict[str, Any]] = {}
    for patch in patches.values():
        git(repo, "apply", "--check", str(patch))
    with worktree(repo, scratch / "sanity-clean") as tree:
        git(tree, "apply", "--include=tests/*", str(patches["clean-fix"]))
        before = run([*py, CLEAN_FIX_TEST], tree, env)
        git(tree, "apply", "--exclude=tests/*", str(patches["clean-fix"]))
        after = run([*py, CLEAN_FIX_TEST], tree, env)
        ok = before.returncode == 1 and after.returncode == 0
        out["clean-fix"] = {
            "ok": ok,
            "check": f"{CLEAN_FIX_TEST} fails on the base (exit {before.returncode}) and passes "
            f"patched (exit {after.returncode})",
        }
    with worktree(repo, scratch / "sanity-regression") as tree:
        git(tree, "apply", str(patches["regression"]))
        full = run(py, tree, env)
        failed = pytest_counts(full.stdout).get("failed", 0)
        out["regression"] = {
            "ok": 1 <= failed <= 3,
            "check": f"the whole suite patched: {failed} existing test(s) fail (want 1-3)",
        }
    with worktree(repo, scratch / "sanity-security") as tree:
        git(tree, "apply", str(patches["security"]))
        test = run([*py, SECURITY_TEST], tree, env)
        out["security"] = {
            "ok": test.returncode == 0,
            "check": f"{SECURITY_TEST} passes patched (exit {test.returncode})",
        }
    return out


# =============================================================================================
# 3-4. Plain suite vs `error-fix score`


def error_fix_command() -> list[str]:
    script = Path(sys.executable).parent / "error-fix"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "error_fix"]


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTHONPATH", "COVERAGE_PROCESS_START", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


@dataclass
class ScoreRun:
    wall_s: float
    verdict: dict[str, Any]


@dataclass
class PatchResult:
    plain_s: list[float] = field(default_factory=list)
    score: list[ScoreRun] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    warmup: ScoreRun | None = None
    coverage_ref_s: list[float] = field(default_factory=list)


class Bench:
    """Runs the plain suite and `error-fix score`, keeping what went wrong."""

    def __init__(self, repo: Path, env: Mapping[str, str], retry_wait: float, python: str) -> None:
        self.repo = repo
        self.python = python
        self.env = dict(env)
        self.retry_wait = retry_wait
        self.error_fix = error_fix_command()
        self.problems: list[str] = []

    def plain(self) -> Timed:
        result = run([self.python, *PLAIN_ARGS], self.repo, self.env)
        if result.returncode != 0:
            self.note(f"plain suite exited {result.returncode}: {_tail(result.stdout, 3)}")
        return result

    def coverage_reference(self, data_file: Path) -> Timed:
        """The plain suite under `coverage run` with the probe's sources (src and the tree root)
        and coverage's default core, without error-fix: what coverage alone costs."""
        cmd = [
            self.python,
            "-m",
            "coverage",
            "run",
            "--source=src,.",
            f"--data-file={data_file}",
        ]
        result = run([*cmd, *PLAIN_ARGS], self.repo, self.env)
        if result.returncode != 0:
            self.note(f"coverage reference exited {result.returncode}: {_tail(result.stdout, 3)}")
        return result

    def score(self, patch: Path) -> ScoreRun | None:
        """One `error-fix score --json`; a crash is reported and retried once after a pause
        (error-fix may be mid-edit in a development checkout)."""
        cmd = [
            *self.error_fix,
            *("score", "--repo", str(self.repo), "--patch", str(patch)),
            *("--python", self.python, "--json"),
        ]
        for attempt in (1, 2):
            result = run(cmd, self.repo, self.env)
            try:
                verdict = json.loads(result.stdout)
            except ValueError:
                verdict = None
            if result.returncode == 0 and isinstance(verdict, dict):
                return ScoreRun(result.seconds, verdict)
            self.note(
                f"error-fix score {patch.stem} (attempt {attempt}) exited {result.returncode}: "
                f"{_tail(result.stderr or result.stdout, 5)}"
            )
            if attempt == 1:
                time.sleep(self.retry_wait)
        return None

    def note(self, text: str) -> None:
        self.problems.append(text)
        print(f"WARNING: {text}", flush=True)


def _tail(text: str, lines: int) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"


def measure(
    bench: Bench, patches: Mapping[str, Path], runs: int, scratch: Path
) -> tuple[dict[str, PatchResult], float]:
    """One warm-up of each (not counted), then rounds of plain/score alternating per patch.

    After clean-fix's score, each round also runs the coverage reference (a diagnostic).
    """
    results = {name: PatchResult() for name in patches}
    print("warm-up (not counted): plain suite, then one score per patch ...", flush=True)
    warm_plain = bench.plain().seconds
    for name, patch in patches.items():
        results[name].warmup = bench.score(patch)
    for round_no in range(1, runs + 1):
        line = [f"run {round_no}/{runs}:"]
        for name, patch in patches.items():
            plain = bench.plain().seconds
            scored = bench.score(patch)
            result = results[name]
            result.plain_s.append(plain)
            if scored is not None:
                result.score.append(scored)
                result.ratios.append(scored.wall_s / plain)
                line.append(f"{name} plain {plain:.2f}s score {scored.wall_s:.2f}s")
            else:
                line.append(f"{name} plain {plain:.2f}s score FAILED")
            if name == "clean-fix":
                ref = bench.coverage_reference(scratch / ".coverage-reference")
                result.coverage_ref_s.append(ref.seconds)
                line.append(f"(coverage ref {ref.seconds:.2f}s)")
        print("  ".join(line), flush=True)
    return results, warm_plain


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def stage_medians(runs: Sequence[ScoreRun]) -> dict[str, float]:
    """Median per ``timings`` key over the runs (a stage a run did not have counts 0 s)."""
    keys = {k for r in runs for k in r.verdict.get("timings", {})}
    ordered = [k for k in STAGE_ORDER if k in keys] + sorted(keys - set(STAGE_ORDER))
    return {
        k: round(
            statistics.median(float(r.verdict.get("timings", {}).get(k, 0.0)) for r in runs), 3
        )
        for k in ordered
    }


def gate_names(verdict: Mapping[str, Any]) -> list[str]:
    return [str(g.get("name")) for g in verdict.get("gates") or [] if isinstance(g, dict)]


def as_expected(name: str, verdict: Mapping[str, Any]) -> bool:
    decision, gates = verdict.get("decision"), gate_names(verdict)
    if name == "clean-fix":
        return decision in ("auto_merge", "auto_merge_pr") and not gates
    wanted = "regression" if name == "regression" else "security"
    return decision == "manual_review" and wanted in gates


def unknown_scorers(verdict: Mapping[str, Any]) -> list[str]:
    scorers = verdict.get("scorers") or {}
    return [
        f"{name}: {info.get('reason')}"
        for name, info in scorers.items()
        if isinstance(info, dict) and info.get("status") == "unknown"
    ]


def summarize_patch(name: str, result: PatchResult, bench: Bench) -> dict[str, Any]:
    verdicts = [r.verdict for r in result.score]
    for v in verdicts:
        if not as_expected(name, v):
            bench.note(
                f"{name}: decision {v.get('decision')} gates {gate_names(v) or 'none'} "
                f"(expected {EXPECTED[name]})"
            )
        for unknown in unknown_scorers(v):
            bench.note(f"{name}: scorer unknown: {unknown}")
    walls = [r.wall_s for r in result.score]
    durations = [float(r.verdict.get("duration_s") or 0.0) for r in result.score]
    medians = stage_medians(result.score)
    plain_median = _median(result.plain_s)
    after = medians.get("pytest:after")
    summary: dict[str, Any] = {
        "expected": EXPECTED[name],
        "plain_s": [round(s, 3) for s in result.plain_s],
        "score_s": [round(s, 3) for s in walls],
        "plain_median_s": plain_median,
        "score_median_s": _median(walls),
        "ratio_median": _median(result.ratios),
        "ratios": [round(r, 3) for r in result.ratios],
        "verdict_duration_median_s": _median(durations),
        "cli_overhead_median_s": _median([w - d for w, d in zip(walls, durations, strict=True)]),
        "after_run_over_plain": round(after / plain_median, 3) if after and plain_median else None,
        "scorers_beyond_after_run_s": round(medians["scorers"] - after, 3)
        if after and "scorers" in medians
        else None,
        "stage_medians_s": medians,
        "decisions": [v.get("decision") for v in verdicts],
        "overall": [(v.get("confidence") or {}).get("overall") for v in verdicts],
        "gates": sorted({g for v in verdicts for g in gate_names(v)}),
        "as_expected": bool(verdicts) and all(as_expected(name, v) for v in verdicts),
        "tests": verdicts[-1].get("tests") if verdicts else None,
        "base_debt": {
            k: (s or {}).get("preexisting") for k, s in (verdicts[-1].get("scorers") or {}).items()
        }
        if verdicts
        else {},
        "scorer_status": {
            k: (s or {}).get("status") for k, s in (verdicts[-1].get("scorers") or {}).items()
        }
        if verdicts
        else {},
    }
    if result.coverage_ref_s:
        ref = statistics.median(result.coverage_ref_s)
        summary["coverage_reference"] = {
            "what": "plain suite under `coverage run --source=src,.` (all sources, coverage's "
            "default core; no error-fix), once per round after clean-fix's score",
            "runs_s": [round(t, 3) for t in result.coverage_ref_s],
            "median_s": round(ref, 3),
            "over_plain": round(ref / plain_median, 3) if plain_median else None,
            "after_run_minus_reference_s": round(after - ref, 3) if after else None,
        }
    if result.warmup is not None:
        summary["warmup"] = {
            "score_s": round(result.warmup.wall_s, 3),
            "duration_s": result.warmup.verdict.get("duration_s"),
            "decision": result.warmup.verdict.get("decision"),
            "timings": result.warmup.verdict.get("timings"),
        }
    return summary


# =============================================================================================
# 5. Startup


def measure_startup(env: Mapping[str, str], runs: int) -> dict[str, Any]:
    cmd = [*error_fix_command(), "--help"]
    run(cmd, REPO_ROOT, env)  # not counted: warm the page cache and .pyc files
    times = [run(cmd, REPO_ROOT, env).seconds for _ in range(runs)]
    imports = run([sys.executable, "-X", "importtime", "-c", "import error_fix.cli"], HERE, env)
    rows: list[tuple[int, int, str]] = []
    for line in imports.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match[2]), int(match[1]), match[4]))
    rows.sort(reverse=True)
    score_imports = run(
        [sys.executable, "-X", "importtime", "-c", "import error_fix.cli, error_fix.pipeline"],
        HERE,
        env,
    )
    total_us = sum(
        int(m[1])
        for m in re.finditer(r"import time:\s+(\d+) \|", score_imports.stderr, flags=re.MULTILINE)
    )
    return {
        "help_command": cmd,
        "help_s": [round(t, 3) for t in times],
        "help_median_s": _median(times),
        "import_cli_top5_cumulative": [
            {"module": name, "cumulative_ms": round(cum / 1000, 1), "self_ms": round(own / 1000, 1)}
            for cum, own, name in rows[:5]
        ],
        "import_cli_total_ms": round(sum(own for _, own, _ in rows) / 1000, 1),
        "import_cli_and_pipeline_total_ms": round(total_us / 1000, 1),
    }


# =============================================================================================
# 6. GitHub publish: requests for one fresh clean-fix


PUBLISH_SCENARIOS = {
    "unprotected": "main has no required checks",
    "protected": "main requires check `ci`, repository allows auto-merge",
}


def measure_publish(
    repo: Path, patch: Path, verdict: Mapping[str, Any], scratch: Path
) -> dict[str, Any]:
    """Publish the clean-fix verdict to the loopback FakeGitHub and count the requests, once
    per scenario (a fresh repository each: the fresh-fix path).

    Each fake repository is created with the project's files at the base; its first commit has
    another sha than ours (other author and date) but the same tree, which is checked, so the
    verdict's base sha is pointed at the fake's commit in a clone of it.
    """
    try:
        github = importlib.import_module("error_fix.forge.github")
        forge_class = github.GitHubForge
        decision = importlib.import_module("error_fix.decision")
        patch_mod = importlib.import_module("error_fix.patch")
        config = importlib.import_module("error_fix.config")
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        fakes = importlib.import_module("tests.fakes.github_server")
    except (ImportError, AttributeError) as exc:
        return {"measured": False, "why": f"GitHub forge unavailable: {type(exc).__name__}: {exc}"}
    scenarios: dict[str, Any] = {}
    try:
        names = git(repo, "ls-files", "-z").split("\0")
        files = {n: (repo / n).read_text(encoding="utf-8") for n in names if n}
        root = scratch / "github"
        root.mkdir()
        with fakes.FakeGitHub(root) as gh:
            for scenario, description in PUBLISH_SCENARIOS.items():
                full_name = f"bench/shopkit-{scenario}"
                remote = gh.create_repo(full_name, files=files)
                if scenario == "protected":
                    remote.required_checks["main"] = ["ci"]
                    remote.allow_auto_merge = True
                checkout = root / scenario
                clone = subprocess.run(
                    ["git", "clone", "-q", str(remote.git_dir), str(checkout)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if clone.returncode != 0:
                    raise RuntimeError(f"git clone failed: {clone.stderr.strip()}")
                if git(repo, "rev-parse", "HEAD^{tree}") != git(
                    checkout, "rev-parse", "HEAD^{tree}"
                ):
                    raise RuntimeError("the fake repository's tree differs from the project's")
                document = json.loads(json.dumps(verdict))
                document["base"] = {
                    **document.get("base", {}),
                    "sha": git(checkout, "rev-parse", "HEAD").strip(),
                    "ref": "main",
                }
                settings = config.load_settings(checkout, None, {})
                parsed = patch_mod.read_patch(
                    patch,
                    max_bytes=settings.max_patch_bytes,
                    allow_binary=settings.allow_binary,
                    protected=settings.protected_paths,
                )
                gh.reset_counts()
                forge = forge_class(
                    checkout,
                    settings,
                    token=gh.write_token,
                    full_name=full_name,
                    api_url=gh.api_url,
                    backoff=0.0,
                    seconds_between_requests=0.0,
                    seconds_between_writes=0.0,
                )
                start = time.perf_counter()
                outcome = forge.publish(decision.Verdict.from_dict(document), parsed)
                seconds = time.perf_counter() - start
                requests = [f"{r.method} {r.path} -> {r.status}" for r in gh.requests()]
                if hasattr(forge, "close"):
                    forge.close()
                scenarios[scenario] = {
                    "setup": description,
                    "outcome": str(outcome.outcome),
                    "message": outcome.message,
                    "request_count": len(requests),
                    "requests": requests,
                    "publish_s": round(seconds, 3),
                }
            crashes = list(gh.crashes)
    except Exception as exc:  # the forge is being written concurrently: report, do not crash
        return {
            "measured": False,
            "why": f"GitHub forge not usable: {type(exc).__name__}: {exc}",
            "scenarios": scenarios,
        }
    return {
        "measured": True,
        "decision": verdict.get("decision"),
        "target": "<= 8 with the recommended set-up (required checks on main)",
        "scenarios": scenarios,
        "fake_crashes": crashes,
    }


# =============================================================================================
# 7. Report


def machine_info() -> dict[str, Any]:
    model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.MULTILINE)
        model = found[1].strip() if found else None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": _load(),
    }


def _load() -> list[float] | None:
    """1/5/15-minute load averages: other work on the machine skews every wall time here."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _fmt(value: object, width: int = 15) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.2f}"
    else:
        text = str(value)
    return text.rjust(width)


def print_summary(report: Mapping[str, Any]) -> None:
    patches: Mapping[str, Any] = report["patches"]
    names = list(patches)
    project, machine = report["project"], report["machine"]
    print()
    print("=" * 78)
    print(
        f"decision overhead — shopkit: {project['modules']} modules, {project['tests']} tests; "
        f"project tests on Python {project['python_version']} (error-fix on {machine['python']}), "
        f"{machine['cpu_count']} CPUs"
    )
    print(
        f"load average (1/5/15 min) at start {machine['load_average_at_start']}, "
        f"at end {machine['load_average']}"
    )
    print(f"error-fix {report['error_fix']['version']}: {' '.join(report['error_fix']['command'])}")
    print(
        f"runs: {report['runs']} per patch, alternating plain/score; one warm-up of each first "
        "(not counted)"
    )
    header = "".join(_fmt(n) for n in names)
    print(f"\n{'wall time (s), medians':<30}{header}")
    for label, key in (
        ("plain suite", "plain_median_s"),
        ("error-fix score (wall)", "score_median_s"),
        ("score/plain (median ratio)", "ratio_median"),
        ("verdict duration_s", "verdict_duration_median_s"),
        ("CLI overhead (wall-duration)", "cli_overhead_median_s"),
        ("pytest:after / plain", "after_run_over_plain"),
        ("scorers - pytest:after", "scorers_beyond_after_run_s"),
    ):
        print(f"{label:<30}" + "".join(_fmt(patches[n].get(key)) for n in names))
    cold = patches.get("clean-fix", {}).get("cold")
    if cold:
        print(
            f"clean-fix cold (first decision, empty mypy cache): score {cold['score_s']:.2f}s, "
            f"plain warm-up {cold['plain_s']:.2f}s -> {cold['ratio']:.2f}; "
            f"warm median {patches['clean-fix']['score_median_s']:.2f}s"
        )
    reference = patches.get("clean-fix", {}).get("coverage_reference")
    if reference:
        print(
            f"coverage reference (plain suite under `coverage run`, all sources, default core; "
            f"no error-fix): median "
            f"{reference['median_s']:.2f}s = {reference['over_plain']:.2f}x plain; "
            f"clean-fix pytest:after is {reference['after_run_minus_reference_s']:+.2f}s off it"
        )
    seen = {k for n in names for k in patches[n]["stage_medians_s"]}
    stages = [k for k in STAGE_ORDER if k in seen] + sorted(seen - set(STAGE_ORDER))
    print(f"\n{'per-stage medians (s)':<30}{header}")
    for stage in stages:
        print(
            f"{stage:<30}" + "".join(_fmt(patches[n]["stage_medians_s"].get(stage)) for n in names)
        )
    print(f"{'verdict decision':<30}" + "".join(_fmt(_one(patches[n]["decisions"])) for n in names))
    print(f"{'verdict overall':<30}" + "".join(_fmt(_one(patches[n]["overall"])) for n in names))
    print(
        f"{'verdict gates':<30}"
        + "".join(_fmt(",".join(patches[n]["gates"]) or "-") for n in names)
    )
    print(
        f"{'base debt lint/types/security':<30}"
        + "".join(
            _fmt(
                "/".join(str(patches[n]["base_debt"].get(k)) for k in ("lint", "types", "security"))
            )
            for n in names
        )
    )
    print(f"{'as expected':<30}" + "".join(_fmt(patches[n]["as_expected"]) for n in names))
    for n in names:
        if not patches[n]["as_expected"]:
            print(f"WARNING: {n}: expected {patches[n]['expected']}")
    startup = report["startup"]
    print(
        f"\nstartup: error-fix --help median {startup['help_median_s']:.3f}s "
        f"(runs: {', '.join(f'{t:.3f}' for t in startup['help_s'])})"
    )
    print(
        f"import error_fix.cli: {startup['import_cli_total_ms']:.1f} ms "
        f"(with error_fix.pipeline: {startup['import_cli_and_pipeline_total_ms']:.1f} ms); "
        "top 5 cumulative:"
    )
    for row in startup["import_cli_top5_cumulative"]:
        print(f"  {row['cumulative_ms']:8.1f} ms  {row['module']}")
    publish = report["publish"]
    if publish.get("measured"):
        for scenario, info in publish["scenarios"].items():
            target = f" (target {publish['target']})" if scenario == "protected" else ""
            print(
                f"\npublish requests ({scenario}: {info['setup']}): {info['request_count']}"
                f"{target} for a fresh {publish['decision']} -> {info['outcome']}"
            )
            for request in info["requests"]:
                print(f"  {request}")
    else:
        print("\npublish requests: not measured (GitHub forge unavailable)")
        print(f"  ({publish.get('why')})")
    problems = list(dict.fromkeys(report["problems"]))
    if problems:
        print(f"\nproblems seen during the run ({len(report['problems'])}, distinct below):")
    for problem in problems:
        print(f"WARNING: {problem}")
    print(f"\nwritten: {report['out']}")
    clean = patches.get("clean-fix", {})
    ratio = clean.get("ratio_median")
    shown = f"{ratio:.2f}" if isinstance(ratio, float) else "not measured"
    print(f"clean-fix: score/plain = {shown} (median of {len(clean.get('ratios', []))})")


def _one(values: Sequence[object]) -> object:
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else "/".join(map(str, distinct))


# =============================================================================================


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per patch (min 5)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build in DIR (empty or absent: DIR/project, DIR/patches) and keep it",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the generated project's tests (needs pytest; default: this one)",
    )
    parser.add_argument(
        "--retry-wait",
        type=float,
        default=60.0,
        help="seconds to wait before retrying a crashed error-fix run (default 60)",
    )
    args = parser.parse_args(argv)
    runs = max(5, args.runs)
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: must be empty or absent")
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="decision-overhead-"))
    python = os.path.abspath(args.python) if os.sep in args.python else args.python
    try:
        return _run(workdir, runs, args.out.resolve(), args.retry_wait, args.keep, python)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(
    workdir: Path, runs: int, out: Path, retry_wait: float, keep: Path | None, python: str
) -> int:
    env = clean_env()
    load_at_start = _load()
    repo, patch_dir, scratch = workdir / "project", workdir / "patches", workdir / "scratch"
    for d in (repo, patch_dir, scratch):
        d.mkdir()
    print(f"generating the project in {repo} ...", flush=True)
    project = generate_project(repo)
    patches = {name: patch_dir / f"{name}.patch" for name in PATCH_NAMES}
    for name, path in patches.items():
        write_patch(repo, PATCH_EDITS[name], path)
    print("sanity-checking the patches ...", flush=True)
    sanity = sanity_check(repo, patches, scratch, env, python)
    bench = Bench(repo, env, retry_wait, python)
    for name, check in sanity.items():
        print(f"  {name}: {'ok' if check['ok'] else 'NOT OK'} — {check['check']}")
        if not check["ok"]:
            bench.note(f"sanity check failed for {name}: {check['check']}")

    collected = run([python, *PLAIN_ARGS, "--collect-only"], repo, env)
    counted = re.search(r"(\d+) tests? collected", collected.stdout)
    project["tests"] = int(counted[1]) if counted else None
    results, warm_plain = measure(bench, patches, runs, scratch)
    summaries = {name: summarize_patch(name, results[name], bench) for name in patches}
    warm_clean = results["clean-fix"].warmup
    if warm_clean is not None:
        summaries["clean-fix"]["cold"] = {
            "score_s": round(warm_clean.wall_s, 3),
            "plain_s": round(warm_plain, 3),
            "ratio": round(warm_clean.wall_s / warm_plain, 3),
            "duration_s": warm_clean.verdict.get("duration_s"),
            "timings": warm_clean.verdict.get("timings"),
            "note": "the warm-up: first decision on the repository (empty .state/cache)",
        }

    print("measuring startup ...", flush=True)
    startup = measure_startup(env, runs)
    print("publishing the clean-fix verdict to the fake GitHub ...", flush=True)
    clean_runs = results["clean-fix"].score
    if clean_runs:
        publish = measure_publish(repo, patches["clean-fix"], clean_runs[-1].verdict, scratch)
    else:
        publish = {"measured": False, "why": "no clean-fix verdict"}

    version = run([*error_fix_command(), "--version"], REPO_ROOT, env).stdout.strip()
    report: dict[str, Any] = {
        "benchmark": "decision_overhead",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "load_average_at_start": load_at_start},
        "error_fix": {
            "version": version.removeprefix("error-fix ") or None,
            "command": [
                *error_fix_command(),
                "score",
                "--repo",
                "…",
                "--patch",
                "…",
                "--python",
                python,
                "--json",
            ],
        },
        "project": {
            **project,
            "path": str(repo) if keep is not None else None,
            "python": python,
            "python_version": run(
                [python, "-c", "import platform; print(platform.python_version())"], HERE, env
            ).stdout.strip(),
            "plain_command": [python, *PLAIN_ARGS],
            "plain_warmup_s": round(warm_plain, 3),
        },
        "runs": runs,
        "warmup": "one plain run and one score per patch before the measured runs, not counted",
        "sanity": sanity,
        "patches": summaries,
        "startup": startup,
        "publish": publish,
        "problems": bench.problems,
        "out": str(out),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
