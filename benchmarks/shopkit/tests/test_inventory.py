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
