"""One bulk record through every rule that needs no database, into a row for the staging table.

The rules that need the database (the register's entries, overlaps with what is already filed,
references filed before) run set-based on a whole batch in ``portal.bulk.repository``.
"""

import datetime
import uuid
from typing import Any

import msgspec

from portal.declarations import rules
from portal.declarations.repository import DETAIL_FIELDS, DRIVER_FIELDS
from portal.errors import ApiError, Unprocessable
from portal.ids import new_id
from portal.operators.drivers.service import check as check_driver
from portal.wire import decode_json
from schemas.bulk import BulkRecord
from schemas.errors import FieldError

_WIRE = {field.name: field.encode_name for field in msgspec.structs.fields(BulkRecord)}
_encode = msgspec.json.Encoder().encode


class Upload(msgspec.Struct, frozen=True, kw_only=True):
    """What every record of one upload is checked against."""

    operator_id: uuid.UUID
    establishment_country: str
    today: datetime.date
    now: datetime.datetime
    submit_by_default: bool


class Register(msgspec.Struct):
    """The operator's vehicle register as this upload knows it: read once at its start, and
    grown by the plates its records bring, in the order they bring them (the first one wins)."""

    vehicles: dict[str, rules.RegisteredVehicle]

    def seen_by(self, record: BulkRecord) -> dict[str, rules.RegisteredVehicle]:
        """The register the record is checked against: a new plate joins as its list says."""
        view: dict[str, rules.RegisteredVehicle] = {}
        for _, (attribute, transport_type, weight) in rules.PLATE_LISTS.items():
            for plate in getattr(record, attribute):
                view.setdefault(plate, self.vehicles.get(plate) or rules.RegisteredVehicle(transport_type, weight))
        return view

    def admit(self, record: BulkRecord, country: str) -> list[tuple[str, str, str, str]]:
        """Add an accepted record's new plates; return them as rows for the vehicles table."""
        new = []
        for plate, vehicle in self.seen_by(record).items():
            if plate not in self.vehicles:
                self.vehicles[plate] = vehicle
                new.append((plate, record.vehicle_registration_country or country, *vehicle.kind))
        return new


def check(raw: bytes, upload: Upload, register: Register) -> tuple[BulkRecord | None, list[FieldError]]:
    """The decoded, normalised record and every rule it breaks (the record is None when undecodable)."""
    try:
        record = decode_json(raw, BulkRecord)
    except Unprocessable as refusal:
        return None, refusal.errors
    except ApiError as refusal:
        return None, [FieldError(field="", message=refusal.message)]
    submitting = record.submit if record.submit is not None else upload.submit_by_default
    errors = check_driver(record, upload.today) + rules.check(
        record,
        establishment_country=upload.establishment_country,
        driver_born=record.driver_date_of_birth,
        register=register.seen_by(record),
        today=upload.today,
        submitting_on=upload.today if submitting else None,
    )
    return record, errors


def staging_row(position: int, record: BulkRecord, upload: Upload) -> tuple[Any, ...]:
    """The record as a row of ``bulk_staging`` (see ``portal.bulk.repository.STAGING_COLUMNS``)."""
    submitting = record.submit if record.submit is not None else upload.submit_by_default
    declaration_id = new_id()
    details = {_WIRE[name]: getattr(record, name) for name in DETAIL_FIELDS}
    driver = {_WIRE[name]: getattr(record, name) for name in DRIVER_FIELDS}
    document = None
    if submitting:
        # The event's payload: the declaration as filed, but for the driver id, known only once
        # the batch has matched the driver (added in SQL).
        document = _encode(
            {
                **details,
                **driver,
                "driverLatinFullName": f"{record.driver_latin_first_name} {record.driver_latin_last_name}",
                "declarationId": declaration_id,
                "operatorId": upload.operator_id,
                "declarationStatus": "SUBMITTED",
                "declarationVersion": 1,
                "declarationPostingCountry": record.declaration_posting_country,
                "declarationStartDate": record.declaration_start_date,
                "declarationEndDate": record.declaration_end_date,
                "declarationVehiclePlateNumber": record.declaration_vehicle_plate_number,
                "declarationVehiclePlateNumberLight": record.declaration_vehicle_plate_number_light,
                "declarationVehiclePlateNumberHeavy": record.declaration_vehicle_plate_number_heavy,
                "declarationEmailStatus": "NOT_SENT",
                "declarationSubmissionDate": upload.now,
                "declarationLastUpdate": upload.now,
            }
        ).decode()
    return (
        position,
        record.client_reference,
        submitting,
        declaration_id,
        new_id(),
        *(getattr(record, name) for name in DRIVER_FIELDS),
        record.declaration_posting_country,
        record.declaration_start_date,
        record.declaration_end_date,
        record.declaration_vehicle_plate_number,
        record.declaration_vehicle_plate_number_light,
        record.declaration_vehicle_plate_number_heavy,
        record.vehicle_registration_country or upload.establishment_country,
        _encode(details).decode(),
        _encode(driver).decode(),
        document,
    )
