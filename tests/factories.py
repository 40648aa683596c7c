"""Request bodies a fleet client would send, with the official field names."""

import contextlib
import datetime
import itertools
import uuid
from typing import Any

import msgspec

from portal import clock

_serial = itertools.count(1)


class Operator(msgspec.Struct, frozen=True):
    operator_id: uuid.UUID
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key, "x-operator-id": str(self.operator_id)}


class Authority(msgspec.Struct, frozen=True):
    authority_id: uuid.UUID
    api_key: str
    country: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key, "x-authority-id": str(self.authority_id)}


def today() -> datetime.date:
    """Today as the portal sees it (its clock may be shifted: see conftest)."""
    return clock.today()


def next_day(month: int, day: int, after: int = 1) -> datetime.date:
    """The first ``month``-``day`` (a real date) at least ``after`` days after today: a start date
    inside the filing window (at most a year ahead) whatever day the tests run on."""
    earliest = today() + datetime.timedelta(days=after)
    for year in (earliest.year, earliest.year + 1, earliest.year + 2):
        with contextlib.suppress(ValueError):
            candidate = datetime.date(year, month, day)
            if candidate >= earliest:
                return candidate
    raise ValueError(f"no {month}-{day} in the years ahead")


def days(n: int) -> str:
    return (today() + datetime.timedelta(days=n)).isoformat()


def next_year() -> int:
    """The year after the portal's: for malformed dates (30 February, month 13) that no rule's
    window can make valid or overtake."""
    return today().year + 1


def letters(n: int) -> str:
    """A unique suffix for names, which may hold letters only."""
    out = ""
    while n:
        n, digit = divmod(n, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[digit]
    return out


def driver_body(**overrides: Any) -> dict[str, Any]:
    n = next(_serial)
    body = {
        "driverLatinFirstName": "Zofia",
        "driverLatinLastName": f"Wiśniewska-{letters(n)}",
        "driverDateOfBirth": "1985-04-12",
        "driverLicenseNumber": f"PL-{n:07d}",
        "driverDocumentType": "IDCARD",
        "driverDocumentNumber": f"ABC{n:06d}",
        "driverDocumentIssuingCountry": "PL",
        "driverAddressStreet": "ul. Długa 5",
        "driverAddressPostCode": "00-950",
        "driverAddressCity": "Warszawa",
        "driverAddressCountry": "PL",
        "driverContractStartDate": "2020-01-01",
        "driverApplicableLaw": "PL",
    }
    return body | overrides


def vehicle_body(plate: str | None = None, weight: str = "HEAVY", **overrides: Any) -> dict[str, Any]:
    body = {
        "plateNumber": plate or f"WX{next(_serial):05d}",
        "registrationCountry": "PL",
        "transportType": "CARRIAGE_OF_GOODS" if weight else "CARRIAGE_OF_PASSENGERS",
        "vehicleWeight": weight,
    }
    return body | overrides


def declaration_body(driver_id: str, heavy: list[str], **overrides: Any) -> dict[str, Any]:
    body = {
        "driverId": driver_id,
        "declarationPostingCountry": "FR",
        "declarationStartDate": days(1),
        "declarationEndDate": days(60),
        "declarationOperationType": ["CABOTAGE_OPERATIONS"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumberHeavy": heavy,
        "otherContactAsTransportManager": True,
        "driverEmail": "driver@example.com",
    }
    return body | overrides
