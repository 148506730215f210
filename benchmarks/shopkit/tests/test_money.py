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
