"""Each rule of domain.md with a passing and a failing case, over HTTP."""

import calendar
import datetime
from typing import Any

import pytest

from tests.factories import Operator, days, declaration_body, driver_body, next_day, today, vehicle_body
from tests.helpers import Client, created, fields_of, fleet, submitted


async def file(client: Client, operator: Operator, **overrides: Any) -> Any:
    driver_id, plates = await fleet(client, operator)
    return await client.post(
        "/declarations", json=declaration_body(driver_id, plates, **overrides), headers=operator.headers
    )


def _last_of_february(year: int) -> datetime.date:
    return datetime.date(year, 2, 29 if calendar.isleap(year) else 28)


def _periods() -> list[tuple[datetime.date, datetime.date, bool]]:
    """Starts on the next such days (never fixed dates: the filing window moves with the clock)."""
    january_15, august_31, march_10 = next_day(1, 15), next_day(8, 31), next_day(3, 10)
    day = datetime.timedelta(days=1)
    return [
        (january_15, january_15.replace(month=7, day=14), True),  # six months minus one day: the last end
        (january_15, january_15.replace(month=7, day=15), False),
        # February has no 31st: the day is clamped to its last, then one day taken off.
        (august_31, _last_of_february(august_31.year + 1) - day, True),
        (august_31, _last_of_february(august_31.year + 1), False),
        (march_10, march_10, True),  # one day
        (march_10, march_10 - day, False),  # ends before it starts
    ]


@pytest.mark.parametrize("case", range(6))
async def test_period_covers_at_most_six_months(client: Client, operator: Operator, case: int) -> None:
    start, end, ok = _periods()[case]
    response = await file(client, operator, declarationStartDate=start.isoformat(), declarationEndDate=end.isoformat())
    assert response.status_code == (201 if ok else 422), response.text
    if not ok:
        assert fields_of(response) == ["declarationEndDate"]


async def test_a_draft_may_start_in_the_past_but_is_not_submitted(client: Client, operator: Operator) -> None:
    response = await file(client, operator, declarationStartDate=days(-3), declarationEndDate=days(10))
    assert response.status_code == 201, response.text
    submit = await client.post(f"/declarations/{response.json()['declarationId']}/submit", headers=operator.headers)
    assert submit.status_code == 422
    assert fields_of(submit) == ["declarationStartDate"]


async def test_a_posting_starting_today_is_submitted(client: Client, operator: Operator) -> None:
    declaration = await submitted(client, operator, declarationStartDate=days(0))
    assert declaration["declarationStatus"] == "SUBMITTED"


@pytest.mark.parametrize(
    ("country", "ok", "hint"),
    [("FR", True, ""), ("NO", True, ""), ("PL", False, "establishment"), ("EL", False, "GR"), ("US", False, "host")],
)
async def test_host_country(client: Client, operator: Operator, country: str, ok: bool, hint: str) -> None:
    response = await file(client, operator, declarationPostingCountry=country)
    assert response.status_code == (201 if ok else 422), response.text
    if not ok:
        [error] = response.json()["errors"]
        assert error["field"] == "declarationPostingCountry"
        assert hint in error["message"]


@pytest.mark.parametrize(
    ("field", "values", "ok"),
    [
        ("declarationOperationType", ["CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE"], True),
        ("declarationOperationType", ["CABOTAGE_OPERATIONS", "CABOTAGE_OPERATIONS"], False),
        ("declarationOperationType", [], False),
        ("declarationOperationType", ["CABOTAGE_OPERATIONS", "INTERNATIONAL_CARRIAGE", "CABOTAGE_OPERATIONS"], False),
        ("declarationOperationType", ["TRANSIT"], False),
        ("declarationTransportType", ["CARRIAGE_OF_GOODS", "CARRIAGE_OF_GOODS"], False),
    ],
)
async def test_operation_and_transport_types(
    client: Client, operator: Operator, field: str, values: list[str], ok: bool
) -> None:
    response = await file(client, operator, **{field: values})
    assert response.status_code == (201 if ok else 422), response.text
    if not ok:
        assert fields_of(response)[0].startswith(field)


async def test_plates_are_normalised_and_must_be_in_the_register(client: Client, operator: Operator) -> None:
    driver_id, _ = await fleet(client, operator, plates=0)
    await created(client, operator, "/plate-numbers", vehicle_body("KR 5A-123", weight="HEAVY"))
    await created(client, operator, "/plate-numbers", vehicle_body("KR7B77", weight="LIGHT"))
    ok = await client.post(
        "/declarations",
        json=declaration_body(driver_id, ["kr 5a 123"], declarationVehiclePlateNumberLight=["kr-7b-77"]),
        headers=operator.headers,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["declarationVehiclePlateNumberHeavy"] == ["KR5A123"]
    assert ok.json()["declarationVehiclePlateNumberLight"] == ["KR7B77"]

    bad = await client.post(
        "/declarations",
        json=declaration_body(
            driver_id,
            ["KR5A123", "KR7B77", "NOTREG1", "kr-5a-123"],
            declarationVehiclePlateNumber=["KR5A123"],
        ),
        headers=operator.headers,
    )
    assert bad.status_code == 422
    messages = {error["field"]: error["message"] for error in bad.json()["errors"]}
    assert "LIGHT" in messages["declarationVehiclePlateNumberHeavy[1]"]  # wrong weight class
    assert "register" in messages["declarationVehiclePlateNumberHeavy[2]"]
    assert "twice" in messages["declarationVehiclePlateNumberHeavy[3]"]
    assert "CARRIAGE_OF_PASSENGERS" in messages["declarationVehiclePlateNumber"]


async def test_a_plate_has_2_to_15_letters_and_digits(client: Client, operator: Operator) -> None:
    response = await file(client, operator, declarationVehiclePlateNumberHeavy=["X", "A" * 16, "AB-12"])
    assert response.status_code == 422
    assert fields_of(response) == ["declarationVehiclePlateNumberHeavy[0]", "declarationVehiclePlateNumberHeavy[1]"]
    assert "2 to 15" in response.json()["errors"][0]["message"]


async def test_at_least_one_plate(client: Client, operator: Operator) -> None:
    response = await file(client, operator, declarationVehiclePlateNumberHeavy=[])
    assert response.status_code == 422
    assert fields_of(response) == ["declarationVehiclePlateNumber"]


async def test_a_look_alike_letter_is_refused_not_mapped(client: Client, operator: Operator) -> None:
    cyrillic = await client.post("/plate-numbers", json=vehicle_body("\u0410B1234"), headers=operator.headers)
    assert cyrillic.status_code == 422
    assert "CYRILLIC" in cyrillic.json()["errors"][0]["message"]
    dotless = await client.post("/plate-numbers", json=vehicle_body("\u0131X1234"), headers=operator.headers)
    assert dotless.status_code == 422  # 'ı'.upper() would be 'I'
    fullwidth = await client.post("/plate-numbers", json=vehicle_body("\uff37\uff38 123"), headers=operator.headers)
    assert fullwidth.status_code == 201  # NFKC: fullwidth Latin is Latin
    assert fullwidth.json()["plateNumber"] == "WX123"


async def test_overlapping_submitted_declarations_conflict(client: Client, operator: Operator) -> None:
    first = await submitted(client, operator)
    h = operator.headers
    same_driver = declaration_body(
        first["driverId"], first["declarationVehiclePlateNumberHeavy"], declarationStartDate=days(30)
    )
    second = await created(client, operator, "/declarations", same_driver)
    conflict = await client.post(f"/declarations/{second['declarationId']}/submit", headers=h)
    assert conflict.status_code == 409
    assert first["declarationId"] in conflict.json()["message"]

    elsewhere = await created(client, operator, "/declarations", same_driver | {"declarationPostingCountry": "BE"})
    assert (await client.post(f"/declarations/{elsewhere['declarationId']}/submit", headers=h)).status_code == 200

    later = same_driver | {"declarationStartDate": days(61), "declarationEndDate": days(70)}
    after = await created(client, operator, "/declarations", later)
    assert (await client.post(f"/declarations/{after['declarationId']}/submit", headers=h)).status_code == 200

    # Extending the first into the later one's period is an overlap too.
    extend = await client.put(
        f"/declarations/{first['declarationId']}/submit", json={"declarationEndDate": days(65)}, headers=h
    )
    assert extend.status_code == 409


async def test_withdrawn_declarations_do_not_overlap(client: Client, operator: Operator) -> None:
    first = await submitted(client, operator)
    await client.post(f"/declarations/{first['declarationId']}/withdraw", headers=operator.headers)
    again = declaration_body(first["driverId"], first["declarationVehiclePlateNumberHeavy"])
    second = await created(client, operator, "/declarations", again)
    submit = await client.post(f"/declarations/{second['declarationId']}/submit", headers=operator.headers)
    assert submit.status_code == 200, submit.text


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Zoë", True),
        ("Łukasz", True),
        ("O'Brien-Smith", True),
        ("Ze\u0301lie", True),  # combining accent: NFC makes it one letter
        ("Иван", False),  # Cyrillic
        ("Ann\u0000", False),
        ("Ann\u202eA", False),
        ("An\u200bn", False),
        ("", False),
        ("   ", False),
        ("A" * 101, False),
    ],
)
async def test_driver_names(client: Client, operator: Operator, name: str, ok: bool) -> None:
    response = await client.post("/drivers", json=driver_body(driverLatinFirstName=name), headers=operator.headers)
    assert response.status_code == (201 if ok else 422), response.text
    if ok:
        assert response.json()["driverLatinFirstName"] == name.replace("e\u0301", "\u00e9")
    else:
        assert fields_of(response) == ["driverLatinFirstName"]


@pytest.mark.parametrize(
    ("born", "ok"),
    [("1985-04-12", True), ("1899-12-31", False), ("2020-01-01", False), ("1900-01-01", True)],
)
async def test_driver_date_of_birth(client: Client, operator: Operator, born: str, ok: bool) -> None:
    response = await client.post("/drivers", json=driver_body(driverDateOfBirth=born), headers=operator.headers)
    assert response.status_code == (201 if ok else 422), response.text


async def test_the_driver_is_at_least_18_on_the_start_date(client: Client, operator: Operator) -> None:
    # Turns 18 in 40 days: may be posted from then on, not before.
    born = today().replace(year=today().year - 18) + datetime.timedelta(days=40)
    if born > today().replace(year=today().year - 18):
        born = born.replace(year=born.year - 1)  # registration needs 18 today; keep the case meaningful
    driver = await created(client, operator, "/drivers", driver_body(driverDateOfBirth=born.isoformat()))
    _, plates = await fleet(client, operator)
    start_before_18 = (born.replace(year=born.year + 18) - datetime.timedelta(days=1)).isoformat()
    body = declaration_body(
        driver["driverId"], plates, declarationStartDate=start_before_18, declarationEndDate=days(400)
    )
    early = await client.post(
        "/declarations", json=body | {"declarationEndDate": start_before_18}, headers=operator.headers
    )
    assert early.status_code == 422
    # The start is in the past (registration needs 18 today), so the filing window objects too.
    assert any("under 18" in error["message"] for error in early.json()["errors"])


@pytest.mark.parametrize(
    ("contact", "missing"),
    [
        ({"otherContactAsTransportManager": True}, []),
        (
            {
                "otherContactAsTransportManager": False,
                "otherContactFirstName": "Ana",
                "otherContactLastName": "Silva",
                "otherContactPhone": "+351 21 000 0000",
            },
            [],
        ),
        (
            {"otherContactAsTransportManager": False},
            ["otherContactFirstName", "otherContactLastName", "otherContactEmail"],
        ),
        (
            {"otherContactAsTransportManager": False, "otherContactFirstName": "Ana", "otherContactLastName": "Silva"},
            ["otherContactEmail"],
        ),
    ],
)
async def test_contact_person(client: Client, operator: Operator, contact: dict[str, Any], missing: list[str]) -> None:
    response = await file(client, operator, **contact)
    assert response.status_code == (422 if missing else 201), response.text
    if missing:
        assert fields_of(response) == missing


async def test_every_broken_rule_is_named_in_one_answer(client: Client, operator: Operator) -> None:
    response = await file(
        client,
        operator,
        declarationPostingCountry="PL",
        declarationEndDate="2099-01-01",
        declarationOperationType=["CABOTAGE_OPERATIONS", "CABOTAGE_OPERATIONS"],
        declarationVehiclePlateNumberHeavy=["ZZ999"],
        otherContactAsTransportManager=False,
    )
    assert response.status_code == 422
    assert set(fields_of(response)) >= {
        "declarationEndDate",
        "declarationPostingCountry",
        "declarationOperationType",
        "declarationVehiclePlateNumberHeavy[0]",
        "otherContactFirstName",
    }


async def test_vehicle_weight_matches_the_transport_type(client: Client, operator: Operator) -> None:
    goods_without_weight = vehicle_body(weight="", transportType="CARRIAGE_OF_GOODS")
    assert (await client.post("/plate-numbers", json=goods_without_weight, headers=operator.headers)).status_code == 422
    bus = vehicle_body(weight="", transportType="CARRIAGE_OF_PASSENGERS")
    assert (await client.post("/plate-numbers", json=bus, headers=operator.headers)).status_code == 201
    heavy_bus = vehicle_body(weight="HEAVY", transportType="CARRIAGE_OF_PASSENGERS")
    assert (await client.post("/plate-numbers", json=heavy_bus, headers=operator.headers)).status_code == 422
    iceland = vehicle_body(registrationCountry="IS")
    assert (await client.post("/plate-numbers", json=iceland, headers=operator.headers)).status_code == 201
    usa = vehicle_body(registrationCountry="US")
    assert (await client.post("/plate-numbers", json=usa, headers=operator.headers)).status_code == 422
