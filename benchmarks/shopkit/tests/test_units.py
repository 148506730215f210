import pytest

from shopkit import units


@pytest.mark.parametrize(
    ("value", "unit", "grams"), [(1, "kg", 1000), (2, "lb", 907), (16, "oz", 454), (250, "g", 250)]
)
def test_to_grams(value, unit, grams):
    assert units.to_grams(value, unit) == grams


def test_unknown_unit():
    with pytest.raises(ValueError):
        units.to_grams(1, "stone")


@pytest.mark.parametrize(("text", "grams"), [("1.5 kg", 1500), ("3 lb", 1361), ("10 oz", 283)])
def test_parse_weight(text, grams):
    assert units.parse_weight(text) == grams


def test_convert():
    assert abs(units.convert(1, "kg", "lb") - 2.20462) < 1e-5
