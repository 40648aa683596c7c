"""Locust scenarios of fleet software speaking the official API.

Credentials come from the environment (``PORTAL_LOAD_OPERATOR_ID``, ``PORTAL_LOAD_API_KEY``), as
printed by ``portal admin create-operator --json``. Run, for example:

    locust -f loadtests/fleet.py --headless -u 20 -r 20 -t 20s --host http://127.0.0.1:8000 FilingUser
"""

import datetime
import itertools
import os
import uuid

from locust import FastHttpUser, between, task

from portal.normalize import POSTING_COUNTRIES

# The load operators are established in Poland, so Poland cannot be their host country.
HOST_COUNTRIES = sorted(POSTING_COUNTRIES - {"PL"})
_plates = itertools.count(1)


def _headers() -> dict[str, str]:
    return {
        "x-operator-id": os.environ["PORTAL_LOAD_OPERATOR_ID"],
        "x-api-key": os.environ["PORTAL_LOAD_API_KEY"],
    }


class PingUser(FastHttpUser):
    """The baseline: a plain JSON answer that touches nothing."""

    wait_time = between(0, 0)

    @task
    def ping(self) -> None:
        self.client.get("/ping")


class FilingUser(FastHttpUser):
    """Creates a draft and submits it, over and over, each for a new day or host country."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.headers = _headers()
        suffix = uuid.uuid4().hex[:10].upper()
        letters = "".join(chr(ord("A") + int(c, 16) % 26) for c in suffix)
        driver = self.client.post(
            "/drivers",
            headers=self.headers,
            json={
                "driverLatinFirstName": "Load",
                "driverLatinLastName": f"Tester{letters}",
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
            },
        ).json()
        self.driver_id = driver["driverId"]
        self.plate = f"LD{os.getpid() % 1000:03d}{next(_plates):05d}"
        self.client.post(
            "/plate-numbers",
            headers=self.headers,
            json={
                "plateNumber": self.plate,
                "registrationCountry": "PL",
                "transportType": "CARRIAGE_OF_GOODS",
                "vehicleWeight": "HEAVY",
            },
        )
        # One-day postings, each country in turn, then the next day: never an overlap.
        self.slots = ((day, country) for day in itertools.count(1) for country in HOST_COUNTRIES)

    @task
    def file_and_submit(self) -> None:
        day, country = next(self.slots)
        start = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=day)).isoformat()
        response = self.client.post(
            "/declarations",
            name="/declarations",
            headers=self.headers,
            json={
                "driverId": self.driver_id,
                "declarationPostingCountry": country,
                "declarationStartDate": start,
                "declarationEndDate": start,
                "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
                "declarationTransportType": ["CARRIAGE_OF_GOODS"],
                "declarationVehiclePlateNumberHeavy": [self.plate],
                "otherContactAsTransportManager": True,
            },
        )
        if response.status_code == 201:
            declaration_id = response.json()["declarationId"]
            self.client.post(
                f"/declarations/{declaration_id}/submit", name="/declarations/{id}/submit", headers=self.headers
            )
