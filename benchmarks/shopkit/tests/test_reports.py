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
    many = random_orders(random.Random(seed), 8000)
    by_day = reports.revenue_by_day(many)
    assert sum(by_day.values()) == reports.revenue_cents(many)
    top = reports.top_customers(many, 10)
    assert top == sorted(top, key=lambda item: (-item[1], item[0]))
