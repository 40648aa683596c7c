"""Calendar arithmetic the rules and retention share: months and ages."""

import calendar
import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the month's last day (Aug 31 + 6 = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def years_between(born: datetime.date, on: datetime.date) -> int:
    """Whole years from ``born`` to ``on``: a person's age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)
