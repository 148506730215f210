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
