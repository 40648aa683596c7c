"""Locust scenarios of fleet software speaking the official API (and our bulk filing).

Credentials come from the environment (``PORTAL_LOAD_OPERATOR_ID``, ``PORTAL_LOAD_API_KEY``), as
printed by ``portal admin create-operator --json``; ``PORTAL_LOAD_BULK_RECORDS`` (default 500) is
the size of a bulk upload. Every user runs until locust's ``-t`` is up. Run, for example:

    locust -f loadtests/fleet.py --headless -u 20 -r 20 -t 20s --host http://127.0.0.1:8000 FilingUser
    locust -f loadtests/fleet.py --headless -u 10 -r 10 -t 30s --host http://127.0.0.1:8000 MixedDay --only-summary

The users:

- ``PingUser``: ``GET /ping`` only, the baseline of the server itself.
- ``FilingUser``: creates and submits one-day postings, as fast as it can.
- ``CreatingUser``: creates drafts only; ``SubmittingUser`` submits drafts filed beforehand
  (their ids in the file ``PORTAL_LOAD_DRAFTS``): ``portal bench`` measures each alone.
- ``FleetUser``: fleet software's mix: files and submits, lists declarations (a page or two
  deep), reads one, extends a submitted one, withdraws one, lists drivers.
- ``BulkUploader``: uploads ``PORTAL_LOAD_BULK_RECORDS`` records as NDJSON, submitted at once;
  an upload that does not accept every record is a failure.
- ``MixedDay``: an office day: mostly FleetUser's reads and filings at a human pace, now and
  then a small bulk upload (a tenth of ``PORTAL_LOAD_BULK_RECORDS``).

Each filing user registers a driver and a lorry of its own, so that users never contend for
the same driver's periods; a non-2xx answer counts as a failure in locust's summary.
"""

import functools
import os
from collections import deque

from locust import FastHttpUser, between, task
from locust.exception import StopUser

from loadtests.scenarios import filing
from loadtests.scenarios.bulk import BulkFiler, bulk_upload, small_bulk_upload
from loadtests.scenarios.common import Fleet, headers


@functools.cache
def _drafts() -> "deque[str]":
    with open(os.environ["PORTAL_LOAD_DRAFTS"]) as listed:
        return deque(line.strip() for line in listed if line.strip())


def next_draft() -> str | None:
    drafts = _drafts()
    return drafts.popleft() if drafts else None


class PingUser(FastHttpUser):
    """The baseline: a plain JSON answer that touches nothing."""

    wait_time = between(0, 0)

    @task
    def ping(self) -> None:
        self.client.get("/ping")


class FleetSoftware(FastHttpUser):
    """Registers its own driver and lorry before its first task (not a scenario by itself)."""

    abstract = True
    # Days between two postings of the driver to the same host country (see common.slots).
    window_days = filing.WEEK
    fleet: Fleet

    def on_start(self) -> None:
        self.fleet = Fleet(self.client, self.window_days)


class FilingUser(FleetSoftware):
    """Creates a draft and submits it, over and over, each for a new day or host country."""

    wait_time = between(0, 0)
    # One-day postings, each country in turn, then the next day: never an overlap.
    window_days = 1

    @task
    def file_and_submit(self) -> None:
        filing.file_and_submit(self)


class CreatingUser(FleetSoftware):
    """Creates drafts, over and over: the rate of POST /declarations alone."""

    wait_time = between(0, 0)
    window_days = 1

    @task
    def create(self) -> None:
        filing.create_only(self)


class SubmittingUser(FastHttpUser):
    """Submits drafts filed beforehand, one after another: the rate of POST .../submit alone.

    The drafts' ids are read from the file ``PORTAL_LOAD_DRAFTS`` (one a line), shared by every
    user of the run; a user stops when none is left.
    """

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.headers = headers()

    @task
    def submit(self) -> None:
        declaration_id = next_draft()
        if declaration_id is None:
            raise StopUser
        self.client.post(
            f"/declarations/{declaration_id}/submit", name="/declarations/{id}/submit", headers=self.headers
        )


# Fleet software mostly files; it reads back what it needs and changes a little.
FLEET_TASKS = {
    filing.file_and_submit: 4,
    filing.list_declarations: 2,
    filing.read_one: 3,
    filing.update_submitted: 1,
    filing.withdraw: 1,
    filing.list_drivers: 1,
}


class FleetUser(FleetSoftware):
    """Fleet software's mix of calls, without pause."""

    wait_time = between(0, 0)
    tasks = FLEET_TASKS  # type: ignore[assignment]  # locust takes a dict of weights; its stub says list


class BulkUploader(FastHttpUser):
    """Uploads PORTAL_LOAD_BULK_RECORDS records at a time, submitted, without pause."""

    wait_time = between(0, 0)
    tasks = [bulk_upload]

    def on_start(self) -> None:
        # No request: the uploads register their drivers and plates themselves.
        self.bulk = BulkFiler(self.client)


class MixedDay(FleetSoftware):
    """An office day: people look things up more than they file, and now and then upload a batch."""

    wait_time = between(0, 1)
    tasks = {  # type: ignore[assignment]  # locust takes a dict of weights; its stub says list
        filing.file_and_submit: 3,
        filing.list_declarations: 4,
        filing.read_one: 6,
        filing.update_submitted: 1,
        filing.withdraw: 1,
        filing.list_drivers: 2,
        small_bulk_upload: 1,
    }

    def on_start(self) -> None:
        super().on_start()
        self.bulk = BulkFiler(self.client)
