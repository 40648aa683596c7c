"""What ``portal bench-forwarding`` is asked for: shared by the command and its run, and
importing nothing (``portal --help`` imports the command)."""

from typing import NamedTuple

# A driver's declarations to one country may not overlap and start at most a year ahead: one
# window of the year each, so at most this many per driver.
YEAR_DAYS = 360


class Options(NamedTuple):
    events: int
    drivers: int
    batch_size: int
    senders: int
    receiver_events: int
    rate: float
    seconds: float
    timeout: float
    # Settings of the worker only (PORTAL_...=value), to try a remedy without changing the portal.
    worker_env: tuple[tuple[str, str], ...] = ()
