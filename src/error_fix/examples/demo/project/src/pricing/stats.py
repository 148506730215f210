"""Statistics over lists of prices."""


def total(prices: list[float]) -> float:
    """Sum of all prices."""
    return sum(prices)


def mean_price(prices: list[float]) -> float:
    """Average price."""
    return total(prices) / len(prices)


def cheapest(prices: list[float]) -> float:
    """Lowest price."""
    return min(prices)
