from datetime import date

import pytest

from shopkit import dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-03-01", date(2024, 3, 1)), (" 1999-12-31 ", date(1999, 12, 31)),
     ("2024-02-29", date(2024, 2, 29))],
)
def test_parse_iso_date(text, expected):
    assert dates.parse_iso_date(text) == expected


@pytest.mark.parametrize("text", ["2024/03/01", "2024-3", "abc", "2024-13-01", "2023-02-29"])
def test_parse_iso_date_rejects(text):
    with pytest.raises(ValueError):
        dates.parse_iso_date(text)


@pytest.mark.parametrize(
    ("day", "weekend"),
    [(date(2024, 3, d), d in (2, 3)) for d in range(1, 8)],
)
def test_is_weekend(day, weekend):
    assert dates.is_weekend(day) is weekend


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [(date(2024, 3, 1), 1, date(2024, 3, 4)), (date(2024, 3, 1), 0, date(2024, 3, 1)),
     (date(2024, 3, 4), 5, date(2024, 3, 11)), (date(2024, 3, 4), -1, date(2024, 3, 1)),
     (date(2024, 3, 2), 1, date(2024, 3, 4))],
)
def test_add_business_days(start, days, expected):
    assert dates.add_business_days(start, days) == expected


def test_weekday_name():
    assert dates.weekday_name(date(2024, 3, 4)) == "Monday"


def test_days_between():
    assert dates.days_between(date(2024, 3, 10), date(2024, 3, 1)) == 9


@pytest.mark.parametrize(
    ("day", "end"),
    [(date(2024, 2, 10), date(2024, 2, 29)), (date(2023, 2, 1), date(2023, 2, 28)),
     (date(2024, 12, 31), date(2024, 12, 31))],
)
def test_month_end(day, end):
    assert dates.month_end(day) == end
