import pytest

from shopkit import validators
from shopkit.orders import OrderLine


@pytest.mark.parametrize("email", ["a@b.co", "first.last+tag@example.com", "x_y@sub.domain.org"])
def test_valid_email(email):
    assert validators.is_valid_email(email)


@pytest.mark.parametrize("email", ["plain", "a@b", "@b.com", "a@b.c", "a b@c.com"])
def test_invalid_email(email):
    assert not validators.is_valid_email(email)


@pytest.mark.parametrize(
    ("sku", "valid"),
    [("ABC-0001", True), ("AB-0001", False), ("ABC-001", False), ("abc-0001", False),
     ("ABC0001", False)],
)
def test_sku(sku, valid):
    assert validators.is_valid_sku(sku) is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [("SW1A 1AA", True), ("M1 1AE", True), ("B33 8TH", True), ("cr2 6xh", True),
     ("12345", False), ("SW1A", False), ("", False)],
)
def test_postcode(code, valid):
    assert validators.is_valid_postcode(code) is valid


def test_problems():
    assert validators.problems(OrderLine("ABC-0001", 1, 100)) == []
    assert validators.problems(OrderLine("bad", 0, -1)) == [
        "bad sku 'bad'",
        "quantity must be positive",
        "negative price",
    ]
