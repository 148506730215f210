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
