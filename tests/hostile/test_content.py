"""Content that breaks the rules: dates, plates, names and free text, countries."""

import datetime

import pytest

from tests.factories import driver_body, next_day, next_year, vehicle_body
from tests.hostile.support import (
    Client,
    Fleet,
    declaration,
    error_fields,
    message_of,
    refused,
    stored,
)

# --- dates and the period -----------------------------------------------------------------------

_YEAR = next_year()
BAD_DATES = [
    f"{_YEAR}-02-30",
    "tomorrow",
    f"{_YEAR}-13-01",
    f"{_YEAR}-00-10",
    f"15/01/{_YEAR}",
    f"{_YEAR}-1-5",
    "",
    f"{_YEAR}-01-15T00:00",
]


@pytest.mark.parametrize("value", BAD_DATES)
async def test_bad_date_of_birth_is_refused(client: Client, fleet: Fleet, value: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverDateOfBirth=value))
    assert error_fields(r) == ["driverDateOfBirth"]


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["declarationStartDate", "declarationEndDate"])
async def test_bad_declaration_date_is_refused(client: Client, fleet: Fleet, field: str, value: str) -> None:
    r = await refused(client, fleet, "POST", "/declarations", 422, json=declaration(fleet, **{field: value}))
    assert error_fields(r) == [field]


def _mid_january() -> tuple[str, str, str]:
    """The next 15 January, and the 14 and 15 July after it."""
    start = next_day(1, 15)
    return start.isoformat(), start.replace(month=7, day=14).isoformat(), start.replace(month=7).isoformat()


async def test_period_longer_than_six_months_is_refused(client: Client, fleet: Fleet) -> None:
    start, last, too_late = _mid_january()
    body = declaration(fleet, declarationStartDate=start, declarationEndDate=too_late)
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationEndDate"]
    assert last in message_of(r, "declarationEndDate")
    [error] = r.json()["errors"]
    assert (error["code"], error["params"]) == ("period_too_long", {"maxMonths": 6, "lastAllowedEnd": last})


async def test_period_of_exactly_six_months_is_accepted(client: Client, fleet: Fleet) -> None:
    start, last, _ = _mid_january()
    body = declaration(fleet, declarationStartDate=start, declarationEndDate=last)
    r = await client.post("/declarations", json=body, headers=fleet.headers)
    assert r.status_code == 201, r.text
    assert r.json()["declarationEndDate"] == last
    assert r.json()["declarationId"] in (await stored(client, fleet.headers))["/declarations"]


async def test_end_before_start_is_refused(client: Client, fleet: Fleet) -> None:
    start, _, _ = _mid_january()
    end = (datetime.date.fromisoformat(start) - datetime.timedelta(days=1)).isoformat()
    body = declaration(fleet, declarationStartDate=start, declarationEndDate=end)
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationEndDate"]


# --- plates -------------------------------------------------------------------------------------

LOOK_ALIKES = {
    "cyrillic-A": "\u0410B1234",
    "cyrillic-E-inside": "WX\u04151234",
    "greek-omicron": "W\u039f1234",
    "dotless-i": "W\u0131X123",
    "zero-width-space": "WX\u200b1234",
}


@pytest.mark.parametrize("plate", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
async def test_look_alike_plate_is_refused_by_the_register(client: Client, fleet: Fleet, plate: str) -> None:
    r = await refused(client, fleet, "POST", "/plate-numbers", 422, json=vehicle_body(plate))
    assert error_fields(r) == ["plateNumber"]


@pytest.mark.parametrize("plate", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
async def test_look_alike_plate_is_refused_in_a_declaration(client: Client, fleet: Fleet, plate: str) -> None:
    body = declaration(fleet, declarationVehiclePlateNumberHeavy=[fleet.plate, plate])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[1]"]


async def test_look_alike_of_a_registered_plate_does_not_match_it(client: Client, fleet: Fleet) -> None:
    # "АB1234" with a Cyrillic А must not be mapped onto the registered Latin "AB1234".
    r = await client.post("/plate-numbers", json=vehicle_body("AB1234"), headers=fleet.headers)
    assert r.status_code == 201, r.text
    body = declaration(fleet, declarationVehiclePlateNumberHeavy=["\u0410B1234"])
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationVehiclePlateNumberHeavy[0]"]


# --- names and free text ------------------------------------------------------------------------

INVISIBLE = {"nul": "\u0000", "right-to-left-override": "\u202e", "zero-width-space": "\u200b", "bell": "\u0007"}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("field", ["driverLatinFirstName", "driverLatinLastName", "driverAddressStreet"])
async def test_control_and_format_characters_are_refused(client: Client, fleet: Fleet, field: str, char: str) -> None:
    body = driver_body(**{field: f"Zo{char}fia"})
    r = await refused(client, fleet, "POST", "/drivers", 422, json=body)
    assert error_fields(r) == [field]


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_control_characters_in_a_contact_name_are_refused(client: Client, fleet: Fleet, char: str) -> None:
    body = declaration(
        fleet,
        otherContactAsTransportManager=False,
        otherContactFirstName=f"Jan{char}",
        otherContactLastName="Nowak",
        otherContactEmail="jan@example.com",
    )
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["otherContactFirstName"]


@pytest.mark.parametrize(
    "name", ["Ζωή", "Зофия", "   ", "", "x" * 101], ids=["greek", "cyrillic", "blank", "empty", "101"]
)
async def test_name_outside_the_rules_is_refused(client: Client, fleet: Fleet, name: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverLatinFirstName=name))
    assert error_fields(r) == ["driverLatinFirstName"]


async def test_decomposed_name_is_stored_nfc(client: Client, fleet: Fleet) -> None:
    r = await client.post("/drivers", json=driver_body(driverLatinFirstName="Zo\u0301fia"), headers=fleet.headers)
    assert r.status_code == 201, r.text
    assert r.json()["driverLatinFirstName"] == "Z\u00f3fia"


# --- countries ----------------------------------------------------------------------------------


async def test_greece_as_el_is_refused_with_a_hint(client: Client, fleet: Fleet) -> None:
    r = await refused(
        client, fleet, "POST", "/declarations", 422, json=declaration(fleet, declarationPostingCountry="EL")
    )
    assert error_fields(r) == ["declarationPostingCountry"]
    assert "GR" in message_of(r, "declarationPostingCountry")


@pytest.mark.parametrize(("code", "hint"), [("EL", "GR"), ("UK", "GB")])
async def test_el_and_uk_are_refused_everywhere_with_a_hint(client: Client, fleet: Fleet, code: str, hint: str) -> None:
    r = await refused(client, fleet, "POST", "/drivers", 422, json=driver_body(driverAddressCountry=code))
    assert error_fields(r) == ["driverAddressCountry"]
    assert hint in message_of(r, "driverAddressCountry")
    r = await refused(client, fleet, "POST", "/plate-numbers", 422, json=vehicle_body(registrationCountry=code))
    assert error_fields(r) == ["registrationCountry"]
    assert hint in message_of(r, "registrationCountry")


@pytest.mark.parametrize("code", ["fr", "XX", "US", "FRA", "F"])
async def test_unknown_or_foreign_host_country_is_refused(client: Client, fleet: Fleet, code: str) -> None:
    body = declaration(fleet, declarationPostingCountry=code)
    r = await refused(client, fleet, "POST", "/declarations", 422, json=body)
    assert error_fields(r) == ["declarationPostingCountry"]
