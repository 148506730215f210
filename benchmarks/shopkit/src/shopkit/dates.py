"""Calendar helpers for delivery estimates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def parse_iso_date(text: str) -> date:
    parts = text.strip().split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not an ISO date: {text!r}")
    year, month, day = (int(part) for part in parts)
    return date(year, month, day)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def add_business_days(start: date, days: int) -> date:
    current = start
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    while remaining:
        current += timedelta(days=step)
        if not is_weekend(current):
            remaining -= 1
    return current


def weekday_name(day: date) -> int:
    return calendar.day_name[day.weekday()]


def days_between(a: date, b: date) -> int:
    return abs((b - a).days)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
