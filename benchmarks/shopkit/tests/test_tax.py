import pytest

from shopkit import tax


@pytest.mark.parametrize(
    ("net", "category", "expected"),
    [(1000, "standard", 200), (999, "reduced", 50), (5, "standard", 1), (2, "standard", 0),
     (1000, "zero", 0)],
)
def test_tax_cents(net, category, expected):
    assert tax.tax_cents(net, category) == expected


def test_unknown_category():
    with pytest.raises(ValueError, match="unknown tax category"):
        tax.tax_cents(100, "luxury")


def test_gross():
    assert tax.gross_cents(1000) == 1200


@pytest.mark.parametrize("net", range(0, 2000, 97))
def test_net_from_gross_round_trip(net):
    assert tax.net_from_gross(tax.gross_cents(net)) == net
