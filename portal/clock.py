"""The one source of "now" and "today" (UTC), so rules and reads agree on the date."""

import datetime


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def today() -> datetime.date:
    return now().date()


def years_between(born: datetime.date, on: datetime.date) -> int:
    """Whole years from ``born`` to ``on``: a person's age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
