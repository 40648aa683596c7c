"""The pure rules (``portal.declarations.rules.check``), unit by unit and as properties.

Dates are drawn around the portal's clock (``clock.today()``), so the properties hold whatever
day, or shifted clock, they run on. Expectations are computed here from the calendar, never
from the function under test.
"""

import calendar
import datetime
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from portal import clock
from portal.declarations import rules
from portal.operators.vehicles.register import RegisteredVehicle
from schemas.declarations import DeclarationFields

HEAVY = RegisteredVehicle("CARRIAGE_OF_GOODS", "HEAVY")
LIGHT = RegisteredVehicle("CARRIAGE_OF_GOODS", "LIGHT")
BUS = RegisteredVehicle("CARRIAGE_OF_PASSENGERS", "")
ADULT = datetime.date(1980, 5, 17)


def posting(**overrides: Any) -> DeclarationFields:
    today = clock.today()
    fields: dict[str, Any] = {
        "driver_id": uuid.UUID(int=1),
        "declaration_posting_country": "FR",
        "declaration_start_date": today + datetime.timedelta(days=1),
        "declaration_end_date": today + datetime.timedelta(days=10),
        "declaration_operation_type": ["CABOTAGE_OPERATIONS"],
        "declaration_transport_type": ["CARRIAGE_OF_GOODS"],
        "declaration_vehicle_plate_number_heavy": ["WX1234A"],
        "other_contact_as_transport_manager": True,
    }
    return DeclarationFields(**(fields | overrides))


def codes(
    posting: DeclarationFields, register: dict[str, RegisteredVehicle] | None = None, **options: Any
) -> list[tuple[str, str]]:
    errors = rules.check(
        posting,
        establishment_country=options.get("establishment_country", "PL"),
        driver_born=options.get("driver_born", ADULT),
        register={"WX1234A": HEAVY} if register is None else register,
        today=clock.today(),
        submitting_on=options.get("submitting_on"),
    )
    return [(error.field, error.code) for error in errors]


def last_end(start: datetime.date) -> datetime.date:
    """Six calendar months minus a day, by the calendar: the day is clamped to the month's last."""
    month_index = start.month - 1 + 6
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day) - datetime.timedelta(days=1)


starts = st.integers(min_value=0, max_value=rules.MAX_DAYS_AHEAD).map(
    lambda offset: clock.today() + datetime.timedelta(days=offset)
)


def test_a_valid_declaration_breaks_no_rule() -> None:
    assert codes(posting()) == []
    assert codes(posting(), submitting_on=clock.today()) == []


@given(starts)
def test_the_last_allowed_end_is_six_months_minus_a_day(start: datetime.date) -> None:
    last = last_end(start)
    assert codes(posting(declaration_start_date=start, declaration_end_date=last)) == []
    too_long = codes(posting(declaration_start_date=start, declaration_end_date=last + datetime.timedelta(days=1)))
    assert too_long == [("declarationEndDate", "period_too_long")]


@given(starts, st.integers(min_value=1, max_value=400))
def test_an_end_before_the_start_is_refused(start: datetime.date, before: int) -> None:
    end = start - datetime.timedelta(days=before)
    found = codes(posting(declaration_start_date=start, declaration_end_date=end))
    assert ("declarationEndDate", "end_before_start") in found
    assert ("declarationEndDate", "period_too_long") not in found


def test_month_ends_and_leap_days() -> None:
    # The last day of a month, six months on, in a month that is shorter: clamp, then a day less.
    for year in range(clock.today().year, clock.today().year + 8):
        assert rules.last_allowed_end(datetime.date(year, 8, 31)) == datetime.date(
            year + 1, 2, 29 if calendar.isleap(year + 1) else 28
        ) - datetime.timedelta(days=1)
        assert rules.last_allowed_end(datetime.date(year, 1, 15)) == datetime.date(year, 7, 14)
        if calendar.isleap(year):
            assert rules.last_allowed_end(datetime.date(year, 2, 29)) == datetime.date(year, 8, 28)


@given(st.integers(min_value=1, max_value=60))
def test_submission_is_never_backdated(days_ago: int) -> None:
    today = clock.today()
    start = today - datetime.timedelta(days=days_ago)
    draft = posting(declaration_start_date=start, declaration_end_date=start + datetime.timedelta(days=30))
    assert ("declarationStartDate", "start_in_past") not in codes(draft)
    assert ("declarationStartDate", "start_in_past") in codes(draft, submitting_on=today)


@given(st.integers(min_value=1, max_value=1000))
def test_the_filing_window(beyond: int) -> None:
    today = clock.today()
    far = today + datetime.timedelta(days=rules.MAX_DAYS_AHEAD + beyond)
    assert ("declarationStartDate", "start_too_far_ahead") in codes(
        posting(declaration_start_date=far, declaration_end_date=far)
    )
    ended = today - datetime.timedelta(days=rules.MAX_DAYS_ENDED + beyond)
    assert ("declarationEndDate", "ended_too_long_ago") in codes(
        posting(declaration_start_date=ended, declaration_end_date=ended)
    )


def test_the_host_country_differs_from_the_establishment() -> None:
    assert codes(posting(declaration_posting_country="PL")) == [("declarationPostingCountry", "same_as_establishment")]


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)))
def test_the_driver_is_an_adult_on_the_start_date(born: datetime.date) -> None:
    start = clock.today() + datetime.timedelta(days=1)
    adult = (start.year - born.year - ((start.month, start.day) < (born.month, born.day))) >= 18
    found = codes(posting(declaration_start_date=start), driver_born=born)
    assert (("driverId", "driver_under_age") not in found) == adult


def test_a_driver_of_another_operator_is_unknown() -> None:
    assert codes(posting(), driver_born=None) == [("driverId", "unknown_driver")]


plates = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=2, max_size=15)
kinds = st.sampled_from(
    [
        (HEAVY, "declaration_vehicle_plate_number_heavy"),
        (LIGHT, "declaration_vehicle_plate_number_light"),
        (BUS, "declaration_vehicle_plate_number"),
    ]
)


@given(st.lists(st.tuples(plates, kinds), min_size=1, max_size=6, unique_by=lambda pair: pair[0]))
def test_registered_plates_in_their_own_lists_pass(named: list[tuple[str, tuple[RegisteredVehicle, str]]]) -> None:
    lists: dict[str, list[str]] = {}
    for plate, (_, attribute) in named:
        lists.setdefault(attribute, []).append(plate)
    types = sorted({vehicle.transport_type for _, (vehicle, _) in named})
    register = {plate: vehicle for plate, (vehicle, _) in named}
    declared = posting(**({"declaration_vehicle_plate_number_heavy": []} | lists), declaration_transport_type=types)
    assert codes(declared, register) == []


@given(plates, kinds, kinds)
def test_a_plate_is_refused_in_a_list_that_is_not_its_kind(
    plate: str, registered: tuple[RegisteredVehicle, str], listed: tuple[RegisteredVehicle, str]
) -> None:
    (vehicle, _), (_, attribute) = registered, listed
    declared = posting(
        **({"declaration_vehicle_plate_number_heavy": []} | {attribute: [plate]}),
        declaration_transport_type=["CARRIAGE_OF_GOODS", "CARRIAGE_OF_PASSENGERS"],
    )
    found = [code for _, code in codes(declared, {plate: vehicle})]
    assert ("plate_registered_otherwise" in found) == (registered[1] != attribute)


@given(plates)
def test_a_plate_not_registered_or_named_twice_is_refused(plate: str) -> None:
    assert codes(posting(declaration_vehicle_plate_number_heavy=[plate]), {}) == [
        ("declarationVehiclePlateNumberHeavy[0]", "plate_not_registered")
    ]
    twice = codes(posting(declaration_vehicle_plate_number_heavy=[plate, plate]), {plate: HEAVY})
    assert twice == [("declarationVehiclePlateNumberHeavy[1]", "plate_repeated")]


def test_at_least_one_plate_and_the_transport_type_they_need() -> None:
    assert codes(posting(declaration_vehicle_plate_number_heavy=[])) == [
        ("declarationVehiclePlateNumber", "plate_required")
    ]
    buses = posting(declaration_vehicle_plate_number_heavy=[], declaration_vehicle_plate_number=["BUS1"])
    assert codes(buses, {"BUS1": BUS}) == [("declarationVehiclePlateNumber", "plates_need_transport_type")]


def test_types_are_named_once_and_the_contact_is_complete() -> None:
    assert codes(posting(declaration_operation_type=["CABOTAGE_OPERATIONS", "CABOTAGE_OPERATIONS"])) == [
        ("declarationOperationType", "repeated_value")
    ]
    assert codes(posting(other_contact_as_transport_manager=False)) == [
        ("otherContactFirstName", "contact_required"),
        ("otherContactLastName", "contact_required"),
        ("otherContactEmail", "contact_means_required"),
    ]
    named = posting(
        other_contact_as_transport_manager=False,
        other_contact_first_name="Anna",
        other_contact_last_name="Nowak",
        other_contact_phone="+48 22 123 45 67",
    )
    assert codes(named) == []


def test_every_refusal_of_the_rules_says_what_its_code_needs() -> None:
    errors = rules.check(
        posting(
            declaration_posting_country="PL",
            declaration_start_date=clock.today() + datetime.timedelta(days=900),
            declaration_end_date=clock.today() - datetime.timedelta(days=900),
            declaration_vehicle_plate_number_heavy=["WX1234A", "WX1234A", "ZZ1"],
        ),
        establishment_country="PL",
        driver_born=datetime.date(2020, 1, 1),
        register={"WX1234A": LIGHT},
        today=clock.today(),
        submitting_on=clock.today(),
    )
    assert len({error.code for error in errors}) >= 6
    for error in errors:
        assert error.message
        assert error.code
