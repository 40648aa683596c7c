"""The declaration the page scenarios file, as a JSON body and as the form sends it (no locust
here: ``portal bench`` imports it in its own process too)."""

import datetime

from portal import clock

# A draft filed again and again for the same days: drafts may overlap, submissions may not.
START_IN_DAYS = 3


def declaration_body(driver_id: str, plate: str) -> dict[str, object]:
    """The declaration both users file, for the driver and lorry given."""
    start = clock.today() + datetime.timedelta(days=START_IN_DAYS)
    return {
        "driverId": driver_id,
        "declarationPostingCountry": "FR",
        "declarationStartDate": start.isoformat(),
        "declarationEndDate": (start + datetime.timedelta(days=6)).isoformat(),
        "declarationOperationType": ["INTERNATIONAL_CARRIAGE"],
        "declarationTransportType": ["CARRIAGE_OF_GOODS"],
        "declarationVehiclePlateNumberHeavy": [plate],
        "otherContactAsTransportManager": True,
    }


def as_form(body: dict[str, object]) -> dict[str, str]:
    """The same declaration as the form sends it."""
    return {
        name: "\n".join(value) if isinstance(value, list) else ("true" if value is True else str(value))
        for name, value in body.items()
    }
