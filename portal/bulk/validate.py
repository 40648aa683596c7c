"""One bulk record through every rule that needs no database, into the rows it would store.

The rules are the single API's (``declarations.rules``, ``drivers.rules``) and so is the
storage mapping (``declarations.storage``); only what needs the database (the driver's identity,
overlaps with what is filed, references filed before, plates registered meanwhile) is decided
for a whole batch at once in ``portal.bulk.service``.
"""

import datetime
import uuid

import msgspec

from portal.declarations import rules, storage
from portal.declarations.storage import StoredDeclaration
from portal.errors import ApiError, Unprocessable
from portal.ids import new_id
from portal.operators.drivers import rules as driver_rules
from portal.operators.drivers.storage import StoredDriver, stored_driver
from portal.operators.vehicles.register import RegisteredVehicle
from portal.wire import decode_json
from schemas.bulk import BulkRecord
from schemas.errors import FieldError


class Upload(msgspec.Struct, frozen=True, kw_only=True):
    """What every record of one upload is checked against."""

    upload_id: uuid.UUID
    operator_id: uuid.UUID
    establishment_country: str
    today: datetime.date
    now: datetime.datetime
    submit_by_default: bool


class Register(msgspec.Struct):
    """The operator's vehicle register as this upload knows it: read once at its start, and
    grown by the plates its records bring, in the order they bring them (the first one wins)."""

    vehicles: dict[str, RegisteredVehicle]

    def seen_by(self, record: BulkRecord) -> dict[str, RegisteredVehicle]:
        """The register the record is checked against: a new plate joins as its list says."""
        view: dict[str, RegisteredVehicle] = {}
        for _, attribute, listed_as in rules.PLATE_LISTS:
            for plate in getattr(record, attribute):
                view.setdefault(plate, self.vehicles.get(plate) or listed_as)
        return view

    def admit(self, record: BulkRecord, country: str) -> list[tuple[str, str, str, str]]:
        """Add an accepted record's new plates; return them as (plate, country, transport type,
        weight) for the vehicles table."""
        new = []
        for plate, vehicle in self.seen_by(record).items():
            if plate not in self.vehicles:
                self.vehicles[plate] = vehicle
                new.append(
                    (
                        plate,
                        record.vehicle_registration_country or country,
                        vehicle.transport_type,
                        vehicle.vehicle_weight,
                    )
                )
        return new


class Filing(msgspec.Struct, gc=False):
    """An accepted record on its way into a batch: the rows it would store, less what only the
    batch can tell (its driver's id and version, filled in by the batch)."""

    position: int
    record: BulkRecord
    submit: bool
    driver: StoredDriver
    declaration: StoredDeclaration
    # (plate, country, transport type, weight) of the plates it adds to the register.
    new_plates: list[tuple[str, str, str, str]]


class Refusal(msgspec.Struct, frozen=True, gc=False):
    position: int
    client_reference: str | None
    errors: list[FieldError]


_NO_DRIVER = uuid.UUID(int=0)


def check(raw: bytes, upload: Upload, register: Register) -> tuple[BulkRecord | None, list[FieldError]]:
    """The decoded, normalised record and every rule it breaks (the record is None when undecodable)."""
    try:
        record = decode_json(raw, BulkRecord)
    except Unprocessable as refusal:
        return None, refusal.errors
    except ApiError as refusal:
        return None, refusal.errors
    errors = driver_rules.check(record, upload.today) + rules.check(
        record,
        establishment_country=upload.establishment_country,
        driver_born=record.driver_date_of_birth,
        register=register.seen_by(record),
        today=upload.today,
        submitting_on=upload.today if submits(record, upload) else None,
    )
    return record, errors


def submits(record: BulkRecord, upload: Upload) -> bool:
    return record.submit if record.submit is not None else upload.submit_by_default


def filing(position: int, record: BulkRecord, upload: Upload, register: Register) -> Filing:
    """An accepted record's rows; its new plates join the upload's register."""
    submit = submits(record, upload)
    declaration = storage.stored(
        record,
        declaration_id=new_id(),
        operator_id=upload.operator_id,
        driver_id=_NO_DRIVER,
        driver_version=0,
        version=1,
        status="SUBMITTED" if submit else "DRAFT",
        submitted_at=upload.now if submit else None,
        updated_at=upload.now,
        client_reference=record.client_reference,
    )
    new_plates = register.admit(record, upload.establishment_country)
    return Filing(position, record, submit, stored_driver(record), declaration, new_plates)
