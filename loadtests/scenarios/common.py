"""What every filing user shares: credentials, dates, and a driver and lorry of its own."""

import collections
import datetime
import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

from locust.contrib.fasthttp import FastHttpSession
from locust.exception import StopUser

from portal.normalize import POSTING_COUNTRIES

# The load operators are established in Poland, so Poland cannot be their host country.
HOST_COUNTRIES = sorted(POSTING_COUNTRIES - {"PL"})
# Ids a user remembers to read, update or withdraw later: bounded, so a long run stays flat.
REMEMBERED = 200


def headers() -> dict[str, str]:
    return {
        "x-operator-id": os.environ["PORTAL_LOAD_OPERATOR_ID"],
        "x-api-key": os.environ["PORTAL_LOAD_API_KEY"],
    }


def today() -> datetime.date:
    # The portal judges "not before today" in UTC.
    return datetime.datetime.now(datetime.UTC).date()


def token() -> str:
    """A fresh upper-case hex token: unique plates, licences and references per user and run."""
    return uuid.uuid4().hex[:10].upper()


def as_letters(value: str) -> str:
    """Names take Latin letters only, so digits of a token become letters."""
    return "".join(chr(ord("A") + int(c, 16) % 26) for c in value)


def driver_fields(suffix: str) -> dict[str, Any]:
    """A driver's fields, the same in ``POST /drivers`` and in a bulk record."""
    return {
        "driverLatinFirstName": "Load",
        "driverLatinLastName": f"Tester{as_letters(suffix)}",
        "driverDateOfBirth": "1980-01-01",
        "driverLicenseNumber": f"LT{suffix}",
        "driverDocumentType": "PASSPORT",
        "driverDocumentNumber": f"P{suffix}",
        "driverDocumentIssuingCountry": "PL",
        "driverAddressStreet": "Main 1",
        "driverAddressPostCode": "00-001",
        "driverAddressCity": "Lodz",
        "driverAddressCountry": "PL",
        "driverContractStartDate": "2020-01-01",
        "driverApplicableLaw": "PL",
    }


def _created(client: FastHttpSession, path: str, body: dict[str, Any], hdrs: dict[str, str]) -> Any:
    response = client.post(path, headers=hdrs, json=body)
    if response.status_code != 201:
        # Locust has counted the failure already; without a driver or lorry every later call
        # of this user would fail too, which would only bury the first cause.
        raise StopUser
    return response.json()


class Slot(NamedTuple):
    start: datetime.date
    country: str


def slots(window_days: int) -> Iterator[Slot]:
    """Start dates and host countries that never overlap for one driver.

    Each host country in turn, then the next window: two postings to the same country start
    ``window_days`` apart, so a posting may run (or be extended) up to the end of its window.
    Dates count from today at each draw, so a run that passes midnight only moves them later.
    """
    for window in itertools.count():
        for country in HOST_COUNTRIES:
            yield Slot(today() + datetime.timedelta(days=1 + window * window_days), country)


class Fleet:
    """One user's fleet: a driver and a heavy lorry in the register, and what it has filed."""

    def __init__(self, client: FastHttpSession, window_days: int) -> None:
        self.client = client
        self.headers = headers()
        self.window_days = window_days
        suffix = token()
        self.driver_id: str = _created(client, "/drivers", driver_fields(suffix), self.headers)["driverId"]
        self.plate = f"LD{suffix}"
        vehicle = {
            "plateNumber": self.plate,
            "registrationCountry": "PL",
            "transportType": "CARRIAGE_OF_GOODS",
            "vehicleWeight": "HEAVY",
        }
        _created(client, "/plate-numbers", vehicle, self.headers)
        self.slots = slots(window_days)
        # Submitted and never updated (id, start), submitted and updated, and any id seen.
        self.submitted: collections.deque[tuple[str, datetime.date]] = collections.deque(maxlen=REMEMBERED)
        self.updated: collections.deque[str] = collections.deque(maxlen=REMEMBERED)
        self.seen: collections.deque[str] = collections.deque(maxlen=REMEMBERED)
        # Drafts created and not yet submitted, with their start dates.
        self.drafts: dict[str, datetime.date] = {}


class HasFleet(Protocol):
    """A locust user that set up its fleet in ``on_start``: what the filing tasks are given."""

    fleet: Fleet
