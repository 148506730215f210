import json
import operator
import random

import pytest
from conftest import random_orders

from shopkit import csvparse, exporter
from shopkit.orders import parse_orders


def test_rows(orders):
    rows = exporter.order_rows(orders)
    assert len(rows) == 6
    assert rows[0]["unit_price"] == "4.50"


def test_csv_round_trip(orders):
    assert parse_orders(csvparse.parse(exporter.to_csv(orders))) == orders


def test_json(orders):
    data = json.loads(exporter.to_json(orders))
    assert data[0] == {"customer": "ann", "id": "o1", "total": "$28.99"}


@pytest.mark.parametrize("seed", range(3))
def test_json_export_of_many_orders(seed):
    many = random_orders(random.Random(seed), 8000)
    data = json.loads(exporter.to_json(many))
    assert len(data) == len(many)
    assert json.loads(json.dumps(data, indent=2)) == data


@pytest.mark.parametrize("seed", range(6))
def test_sorted_catalogue(seed):
    rng = random.Random(seed)
    n = 200000
    catalogue = list(zip(rng.choices(range(1000), k=n), map(str, range(n)), strict=True))
    by_price = sorted(catalogue, key=operator.itemgetter(0))
    assert by_price[0][0] == min(catalogue)[0]
    assert len(set(map(operator.itemgetter(1), by_price))) == n
