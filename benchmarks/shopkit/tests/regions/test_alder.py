import pytest

from shopkit import shipping
from shopkit.orders import Order, OrderLine
from shopkit.regions import alder as region


def _order(*prices: int) -> Order:
    lines = [OrderLine(f"REG-{i:04d}", 1, price) for i, price in enumerate(prices)]
    return Order("A1", "ann", "2024-03-01", lines)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (0, 'small'),
        (1, 'small'),
        (100, 'small'),
        (499, 'small'),
        (500, 'medium'),
        (501, 'medium'),
        (1999, 'medium'),
        (2000, 'large'),
        (2001, 'large'),
        (1000, 'medium'),
        (10000, 'large'),
        (25000, 'large'),
    ],
)
def test_bucket(weight: int, expected: str) -> None:
    assert region.bucket(weight) == expected


@pytest.mark.parametrize(
    ("net", "expected"),
    [
        (0, 0),
        (1, 0),
        (3, 1),
        (10, 2),
        (99, 20),
        (100, 20),
        (1234, 247),
        (5000, 1000),
        (9999, 2000),
        (123457, 24691),
    ],
)
def test_quote_tax(net: int, expected: int) -> None:
    assert region.quote(_order(net), 800).tax_cents == expected


@pytest.mark.parametrize("net", [5000, 5001, 5100, 10000, 15000, 17345])
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
        (0, 0),
        (1, 1),
        (99, 94),
        (1000, 950),
        (4321, 4105),
    ],
)
def test_promo_price(cents: int, expected: int) -> None:
    assert region.promo_price(cents) == expected


def test_label() -> None:
    assert region.label(_order(100)) == "ALDER-A1"


def test_format_total() -> None:
    assert region.format_total(region.Quote(1000, 200, 0)) == "$12.00"


def test_region_constants() -> None:
    assert region.REGION == "alder"
    assert region.HANDLING_CENTS > 0
