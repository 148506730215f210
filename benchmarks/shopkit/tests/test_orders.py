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
