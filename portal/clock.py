"""The portal's one source of "now" and "today" (UTC), so that rules and reads agree on the date.

The clock can be moved by whole days (``shift``): the tests run the rules with the portal living
years ahead of the calendar, so that none of them holds only on the day it was written.
"""

import datetime

_shift = datetime.timedelta(0)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + _shift


def today() -> datetime.date:
    return now().date()


def shift(days: int) -> None:
    """Move the clock ``days`` from the calendar's (0: back to the calendar)."""
    global _shift
    _shift = datetime.timedelta(days=days)
