"""The rules a declaration must pass (domain.md), as one pure function that names every failure."""

import calendar
import datetime
from collections.abc import Mapping, Sequence
from typing import Protocol

import msgspec

from portal.clock import years_between
from schemas.errors import FieldError

MAX_MONTHS = 6
# The most days six calendar months can span: two declarations that overlap end at most this
# far apart, which lets overlap checks skip the months that cannot hold one.
MAX_PERIOD_DAYS = 184
# The filing window. Declarations are stored by the month they end in (partitions made two
# years ahead, see portal.retention): a posting is declared at most a year before it starts,
# and a draft of one that ended over a month ago could never be submitted.
MAX_DAYS_AHEAD = 365
MAX_DAYS_ENDED = 31
ADULT_YEARS = 18
PASSENGERS, GOODS = "CARRIAGE_OF_PASSENGERS", "CARRIAGE_OF_GOODS"

# Which register entries each plate list may name: (transport type, weight class).
PLATE_LISTS = {
    "declarationVehiclePlateNumber": ("declaration_vehicle_plate_number", PASSENGERS, ""),
    "declarationVehiclePlateNumberLight": ("declaration_vehicle_plate_number_light", GOODS, "LIGHT"),
    "declarationVehiclePlateNumberHeavy": ("declaration_vehicle_plate_number_heavy", GOODS, "HEAVY"),
}


class Posting(Protocol):
    """What the rules read of a declaration: the single API's body and a bulk record both have it."""

    declaration_posting_country: str
    declaration_start_date: datetime.date
    declaration_end_date: datetime.date

    # Read-only, so that lists of narrower types (Literal values) fit too.
    @property
    def declaration_operation_type(self) -> Sequence[str]: ...
    @property
    def declaration_transport_type(self) -> Sequence[str]: ...

    declaration_vehicle_plate_number: list[str]
    declaration_vehicle_plate_number_light: list[str]
    declaration_vehicle_plate_number_heavy: list[str]
    other_contact_as_transport_manager: bool
    other_contact_first_name: str | None
    other_contact_last_name: str | None
    other_contact_email: str | None
    other_contact_phone: str | None


class RegisteredVehicle(msgspec.Struct, frozen=True):
    transport_type: str
    vehicle_weight: str

    @property
    def kind(self) -> tuple[str, str]:
        return self.transport_type, self.vehicle_weight


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def last_allowed_end(start: datetime.date) -> datetime.date:
    """Six calendar months minus one day: a start on 2026-01-15 may end on 2026-07-14 at the latest."""
    return add_months(start, MAX_MONTHS) - datetime.timedelta(days=1)


def all_plates(fields: Posting) -> list[str]:
    return [plate for _, (attribute, _, _) in PLATE_LISTS.items() for plate in getattr(fields, attribute)]


def _period(fields: Posting, today: datetime.date, submitting_on: datetime.date | None) -> list[FieldError]:
    start, end = fields.declaration_start_date, fields.declaration_end_date
    errors = []
    if start > (latest := today + datetime.timedelta(days=MAX_DAYS_AHEAD)):
        errors.append(
            FieldError(
                field="declarationStartDate",
                message=f"a posting is declared at most a year ahead: the start date must not be after {latest}",
            )
        )
    if end < (earliest := today - datetime.timedelta(days=MAX_DAYS_ENDED)):
        errors.append(
            FieldError(
                field="declarationEndDate",
                message=f"the posting ended more than {MAX_DAYS_ENDED} days ago: the end date must not be before "
                f"{earliest}",
            )
        )
    if end < start:
        errors.append(FieldError(field="declarationEndDate", message="must not be before the start date"))
    elif end > last_allowed_end(start):
        errors.append(
            FieldError(
                field="declarationEndDate",
                message="the period may cover at most six months: the last allowed end date is "
                f"{last_allowed_end(start)}",
            )
        )
    if submitting_on is not None and start < submitting_on:
        errors.append(
            FieldError(
                field="declarationStartDate",
                message="a posting is declared before it starts: the start date must not be before today "
                f"({submitting_on}, UTC)",
            )
        )
    return errors


def _types(fields: Posting) -> list[FieldError]:
    errors = []
    for wire_name, values in (
        ("declarationOperationType", fields.declaration_operation_type),
        ("declarationTransportType", fields.declaration_transport_type),
    ):
        if len(set(values)) != len(values):
            errors.append(FieldError(field=wire_name, message="must not name the same value twice"))
    return errors


def _plates(fields: Posting, register: Mapping[str, RegisteredVehicle]) -> list[FieldError]:
    errors = []
    seen: set[str] = set()
    for wire_name, (attribute, transport_type, weight) in PLATE_LISTS.items():
        plates: list[str] = getattr(fields, attribute)
        if plates and transport_type not in fields.declaration_transport_type:
            errors.append(
                FieldError(field=wire_name, message=f"these plates need {transport_type} in declarationTransportType")
            )
        for index, plate in enumerate(plates):
            path = f"{wire_name}[{index}]"
            if plate in seen:
                errors.append(FieldError(field=path, message=f"{plate} is named twice in this declaration"))
            seen.add(plate)
            vehicle = register.get(plate)
            if vehicle is None:
                errors.append(FieldError(field=path, message=f"{plate} is not in the operator's vehicle register"))
            elif (vehicle.transport_type, vehicle.vehicle_weight) != (transport_type, weight):
                registered = " ".join(filter(None, (vehicle.transport_type, vehicle.vehicle_weight)))
                errors.append(
                    FieldError(field=path, message=f"{plate} is registered as {registered}, not for this list")
                )
    if not seen:
        errors.append(
            FieldError(
                field="declarationVehiclePlateNumber",
                message="at least one plate is required (passengers, light or heavy goods)",
            )
        )
    return errors


def _contact(fields: Posting) -> list[FieldError]:
    if fields.other_contact_as_transport_manager:
        return []
    why = "is required when otherContactAsTransportManager is false"
    errors = [
        FieldError(field=wire_name, message=why)
        for wire_name, value in (
            ("otherContactFirstName", fields.other_contact_first_name),
            ("otherContactLastName", fields.other_contact_last_name),
        )
        if not value
    ]
    if not (fields.other_contact_email or fields.other_contact_phone):
        errors.append(
            FieldError(field="otherContactEmail", message="an e-mail or a phone number of the contact person " + why)
        )
    return errors


def check(
    fields: Posting,
    *,
    establishment_country: str,
    driver_born: datetime.date | None,
    register: Mapping[str, RegisteredVehicle],
    today: datetime.date,
    submitting_on: datetime.date | None = None,
) -> list[FieldError]:
    """Every rule the declaration breaks on ``today``; ``submitting_on`` (today) adds the rules of
    submission.

    ``driver_born`` is None when ``driverId`` names no driver of this operator.
    """
    errors = _period(fields, today, submitting_on)
    if fields.declaration_posting_country == establishment_country:
        errors.append(
            FieldError(
                field="declarationPostingCountry",
                message=f"must differ from the operator's establishment country ({establishment_country})",
            )
        )
    errors += _types(fields) + _plates(fields, register) + _contact(fields)
    if driver_born is None:
        errors.append(FieldError(field="driverId", message="names no driver of this operator"))
    elif years_between(driver_born, fields.declaration_start_date) < ADULT_YEARS:
        errors.append(FieldError(field="driverId", message="the driver is under 18 on the start date"))
    return errors
