from pricing.stats import cheapest, mean_price, total


def test_total() -> None:
    assert total([1.0, 2.0, 3.0]) == 6.0


def test_mean_price() -> None:
    assert mean_price([2.0, 4.0]) == 3.0


def test_cheapest() -> None:
    assert cheapest([5.0, 2.0, 9.0]) == 2.0
