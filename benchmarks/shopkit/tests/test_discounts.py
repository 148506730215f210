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
