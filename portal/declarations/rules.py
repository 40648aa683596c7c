"""The rules a declaration must pass (domain.md), as one pure function that names every failure.

The single API and bulk filing both call ``check``; the one rule that needs every stored
declaration (overlaps) is the SQL predicate ``repository.OVERLAP``, and both paths use it.
"""

import datetime
import functools
from collections.abc import Mapping

from portal.dates import add_months, years_between
from portal.declarations.posting import Posting
from portal.operators.drivers.rules import ADULT_YEARS
from portal.operators.vehicles.register import RegisteredVehicle
from portal.refusals import refusal
from schemas.errors import FieldError

MAX_MONTHS = 6
# The filing window: a posting is declared at most a year before it starts, and a draft of one
# that ended over a month ago could never be submitted (nor is it worth keeping).
MAX_DAYS_AHEAD = 365
MAX_DAYS_ENDED = 31
PASSENGERS, GOODS = "CARRIAGE_OF_PASSENGERS", "CARRIAGE_OF_GOODS"

# Which register entries each plate list may name: wire name, attribute, and the vehicle.
PLATE_LISTS = (
    ("declarationVehiclePlateNumber", "declaration_vehicle_plate_number", RegisteredVehicle(PASSENGERS, "")),
    ("declarationVehiclePlateNumberLight", "declaration_vehicle_plate_number_light", RegisteredVehicle(GOODS, "LIGHT")),
    ("declarationVehiclePlateNumberHeavy", "declaration_vehicle_plate_number_heavy", RegisteredVehicle(GOODS, "HEAVY")),
)


# Cached: a bulk upload asks about a few hundred distinct days a million times.
@functools.lru_cache(maxsize=4096)
def last_allowed_end(start: datetime.date) -> datetime.date:
    """Six calendar months minus one day: a start on 2026-01-15 may end on 2026-07-14 at the latest."""
    return add_months(start, MAX_MONTHS) - datetime.timedelta(days=1)


@functools.lru_cache(maxsize=8)
def _window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The latest start and the earliest end a declaration may have on ``today``."""
    return today + datetime.timedelta(days=MAX_DAYS_AHEAD), today - datetime.timedelta(days=MAX_DAYS_ENDED)


def all_plates(posting: Posting) -> list[str]:
    return [plate for _, attribute, _ in PLATE_LISTS for plate in getattr(posting, attribute)]


def period(
    start: datetime.date, end: datetime.date, today: datetime.date, submitting_on: datetime.date | None
) -> list[FieldError]:
    errors = []
    latest, earliest = _window(today)
    if start > latest:
        errors.append(
            refusal("declarationStartDate", "start_too_far_ahead", maxDaysAhead=MAX_DAYS_AHEAD, latestStart=latest)
        )
    if end < earliest:
        errors.append(
            refusal("declarationEndDate", "ended_too_long_ago", maxDaysEnded=MAX_DAYS_ENDED, earliestEnd=earliest)
        )
    if end < start:
        errors.append(refusal("declarationEndDate", "end_before_start"))
    elif end > (last := last_allowed_end(start)):
        errors.append(refusal("declarationEndDate", "period_too_long", maxMonths=MAX_MONTHS, lastAllowedEnd=last))
    if submitting_on is not None and start < submitting_on:
        errors.append(refusal("declarationStartDate", "start_in_past", today=submitting_on))
    return errors


def _types(posting: Posting) -> list[FieldError]:
    return [
        refusal(wire_name, "repeated_value")
        for wire_name, values in (
            ("declarationOperationType", posting.declaration_operation_type),
            ("declarationTransportType", posting.declaration_transport_type),
        )
        if len(set(values)) != len(values)
    ]


def plates(posting: Posting, register: Mapping[str, RegisteredVehicle]) -> list[FieldError]:
    """The plate rules: at least one, none twice, each in the register as its list says."""
    errors = []
    seen: set[str] = set()
    for wire_name, attribute, listed_as in PLATE_LISTS:
        named: list[str] = getattr(posting, attribute)
        if named and listed_as.transport_type not in posting.declaration_transport_type:
            errors.append(refusal(wire_name, "plates_need_transport_type", transportType=listed_as.transport_type))
        for index, plate in enumerate(named):
            path = f"{wire_name}[{index}]"
            if plate in seen:
                errors.append(refusal(path, "plate_repeated", plate=plate))
            seen.add(plate)
            vehicle = register.get(plate)
            if vehicle is None:
                errors.append(refusal(path, "plate_not_registered", plate=plate))
            elif vehicle != listed_as:
                errors.append(refusal(path, "plate_registered_otherwise", plate=plate, registeredAs=vehicle.describe()))
    if not seen:
        errors.append(refusal("declarationVehiclePlateNumber", "plate_required"))
    return errors


def _contact(posting: Posting) -> list[FieldError]:
    if posting.other_contact_as_transport_manager:
        return []
    errors = [
        refusal(wire_name, "contact_required")
        for wire_name, value in (
            ("otherContactFirstName", posting.other_contact_first_name),
            ("otherContactLastName", posting.other_contact_last_name),
        )
        if not value
    ]
    if not (posting.other_contact_email or posting.other_contact_phone):
        errors.append(refusal("otherContactEmail", "contact_means_required"))
    return errors


def driver_age(born: datetime.date | None, start: datetime.date) -> list[FieldError]:
    """The driver exists (``born`` is None when ``driverId`` names no driver of the operator)
    and is an adult on the first day of the posting."""
    if born is None:
        return [refusal("driverId", "unknown_driver")]
    if years_between(born, start) < ADULT_YEARS:
        return [refusal("driverId", "driver_under_age", minimumAge=ADULT_YEARS)]
    return []


def check(
    posting: Posting,
    *,
    establishment_country: str,
    driver_born: datetime.date | None,
    register: Mapping[str, RegisteredVehicle],
    today: datetime.date,
    submitting_on: datetime.date | None = None,
) -> list[FieldError]:
    """Every rule the declaration breaks on ``today``; ``submitting_on`` (today) adds the rules of
    submission. ``driver_born`` is None when ``driverId`` names no driver of this operator."""
    errors = period(posting.declaration_start_date, posting.declaration_end_date, today, submitting_on)
    if posting.declaration_posting_country == establishment_country:
        errors.append(refusal("declarationPostingCountry", "same_as_establishment", country=establishment_country))
    errors += _types(posting) + plates(posting, register) + _contact(posting)
    errors += driver_age(driver_born, posting.declaration_start_date)
    return errors
