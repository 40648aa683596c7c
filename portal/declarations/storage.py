"""How a declaration is stored, written once for every path that stores or reads one.

``StoredDeclaration`` is a row of ``declarations``: its fields are the table's columns, in their
order, and the keys of the documents that keep superseded versions (``to_jsonb`` of the row, see
``repository.record_version``); the driver it shows is a ``drivers.storage.StoredDriver``. It is a
read model, not a wire type: documents are decoded leniently (unknown keys ignored, later fields
defaulted), so that 24 months of history stay readable whatever the API becomes.

The single API and bulk filing build their rows here (``stored``), and every read turns a row
back into the wire record here (``declaration_of``), field by field, by name.
"""

import datetime
import uuid
from collections.abc import Sequence
from typing import Any, Literal, TypeVar, overload

import msgspec

from portal.declarations.posting import Posting
from portal.operators.drivers.storage import StoredDriver
from schemas.declarations import Declaration, DeclarationFields, RecordedDeclaration

# Types are stored as bit sets, and read back in the order the wire contract lists them.
OPERATION_BITS = {"CABOTAGE_OPERATIONS": 1, "INTERNATIONAL_CARRIAGE": 2}
TRANSPORT_BITS = {"CARRIAGE_OF_GOODS": 1, "CARRIAGE_OF_PASSENGERS": 2}
StoredStatus = Literal["DRAFT", "SUBMITTED", "WITHDRAWN"]
EventType = Literal["SUBMITTED", "UPDATED", "WITHDRAWN"]


class StoredDeclaration(msgspec.Struct, gc=False):
    """A declaration version as stored (see the module's docstring). Positional, so that a row
    whose columns were selected in this order becomes one without a dict in between.

    A column added later goes last, as ALTER TABLE puts it, with a default: the documents of
    versions superseded before it existed lack it.
    """

    id: uuid.UUID
    operator_id: uuid.UUID
    driver_id: uuid.UUID
    # The driver_versions row this version shows (driver_id, driver_version).
    driver_version: int
    version: int
    # EXPIRED is never stored: it is SUBMITTED with an end date in the past (effective_status).
    status: StoredStatus
    posting_country: str
    start_date: datetime.date
    end_date: datetime.date
    operation_types: int
    transport_types: int
    # None when the list is empty: a NULL costs a bit, an empty array 16 bytes.
    plates_passengers: list[str] | None
    plates_light: list[str] | None
    plates_heavy: list[str] | None
    contact_as_transport_manager: bool
    contact_first_name: str | None
    contact_last_name: str | None
    contact_email: str | None
    contact_phone: str | None
    contact_street: str | None
    contact_city: str | None
    contact_country: str | None
    contact_post_code: str | None
    driver_email: str | None
    email_status: str
    submitted_at: datetime.datetime | None
    updated_at: datetime.datetime
    # The operator's own reference of a bulk-filed declaration, unique per operator.
    client_reference: str | None = None


COLUMNS: tuple[str, ...] = StoredDeclaration.__struct_fields__


def _bits(values: Sequence[str], bits: dict[str, int]) -> int:
    mask = 0
    for value in values:
        mask |= bits[value]
    return mask


def _values(mask: int, bits: dict[str, int]) -> list[Any]:
    return [value for value, bit in bits.items() if mask & bit]


def stored(
    posting: Posting,
    *,
    declaration_id: uuid.UUID,
    operator_id: uuid.UUID,
    driver_id: uuid.UUID,
    driver_version: int,
    version: int,
    status: StoredStatus,
    submitted_at: datetime.datetime | None,
    updated_at: datetime.datetime,
    email_status: str = "NOT_SENT",
    client_reference: str | None = None,
) -> StoredDeclaration:
    """The row of a declaration version: what ``posting`` declares and the server's fields.

    A version submitted with a ``driverEmail`` is e-mailed to the driver by the worker: its
    e-mail status is QUEUED from the start, in the version's own row.
    """
    if status == "SUBMITTED" and posting.driver_email:
        email_status = "QUEUED"
    return StoredDeclaration(
        id=declaration_id,
        operator_id=operator_id,
        driver_id=driver_id,
        driver_version=driver_version,
        version=version,
        status=status,
        posting_country=posting.declaration_posting_country,
        start_date=posting.declaration_start_date,
        end_date=posting.declaration_end_date,
        operation_types=_bits(posting.declaration_operation_type, OPERATION_BITS),
        transport_types=_bits(posting.declaration_transport_type, TRANSPORT_BITS),
        plates_passengers=posting.declaration_vehicle_plate_number or None,
        plates_light=posting.declaration_vehicle_plate_number_light or None,
        plates_heavy=posting.declaration_vehicle_plate_number_heavy or None,
        contact_as_transport_manager=posting.other_contact_as_transport_manager,
        contact_first_name=posting.other_contact_first_name,
        contact_last_name=posting.other_contact_last_name,
        contact_email=posting.other_contact_email,
        contact_phone=posting.other_contact_phone,
        contact_street=posting.other_contact_address_street,
        contact_city=posting.other_contact_address_city,
        contact_country=posting.other_contact_address_country,
        contact_post_code=posting.other_contact_address_post_code,
        driver_email=posting.driver_email,
        email_status=email_status,
        submitted_at=submitted_at,
        updated_at=updated_at,
        client_reference=client_reference,
    )


def fields_of(row: StoredDeclaration) -> DeclarationFields:
    """What the operator declared in this version, as the body that would declare it."""
    return DeclarationFields(
        driver_id=row.driver_id,
        declaration_posting_country=row.posting_country,
        declaration_start_date=row.start_date,
        declaration_end_date=row.end_date,
        declaration_operation_type=_values(row.operation_types, OPERATION_BITS),
        declaration_transport_type=_values(row.transport_types, TRANSPORT_BITS),
        declaration_vehicle_plate_number=row.plates_passengers or [],
        declaration_vehicle_plate_number_light=row.plates_light or [],
        declaration_vehicle_plate_number_heavy=row.plates_heavy or [],
        other_contact_as_transport_manager=row.contact_as_transport_manager,
        other_contact_first_name=row.contact_first_name,
        other_contact_last_name=row.contact_last_name,
        other_contact_email=row.contact_email,
        other_contact_phone=row.contact_phone,
        other_contact_address_street=row.contact_street,
        other_contact_address_city=row.contact_city,
        other_contact_address_country=row.contact_country,
        other_contact_address_post_code=row.contact_post_code,
        driver_email=row.driver_email,
    )


def effective_status(stored: str, end_date: datetime.date, today: datetime.date) -> str:
    """EXPIRED is a SUBMITTED declaration whose end date has passed, true at every read."""
    return "EXPIRED" if stored == "SUBMITTED" and end_date < today else stored


D = TypeVar("D", bound=Declaration)


@overload
def declaration_of(row: StoredDeclaration, driver: StoredDriver, today: datetime.date) -> Declaration: ...
@overload
def declaration_of(
    row: StoredDeclaration, driver: StoredDriver, today: datetime.date, record: type[D], **extra: Any
) -> D: ...
def declaration_of(
    row: StoredDeclaration,
    driver: StoredDriver,
    today: datetime.date,
    record: type[Declaration] = Declaration,
    **extra: Any,
) -> Declaration:
    """The wire record of a stored version and the driver it shows, with its status as of
    ``today``: a ``Declaration``, or a ``record`` that adds ``extra`` fields to one."""
    return record(
        **extra,
        **_recorded(row, driver),
        declaration_status=effective_status(row.status, row.end_date, today),  # type: ignore[arg-type]
        declaration_email_status=row.email_status,
    )


def recorded_of(row: StoredDeclaration, driver: StoredDriver) -> RecordedDeclaration:
    """A version as recorded, whatever day it is read on: its stored status (never EXPIRED) and
    nothing that changes after it (the e-mail status): what authorities are forwarded."""
    return RecordedDeclaration(**_recorded(row, driver), declaration_status=row.status)


def _recorded(row: StoredDeclaration, driver: StoredDriver) -> dict[str, Any]:
    return {
        "declaration_id": row.id,
        "operator_id": row.operator_id,
        "declaration_version": row.version,
        "declaration_submission_date": row.submitted_at,
        "declaration_last_update": row.updated_at,
        "driver_id": row.driver_id,
        "declaration_posting_country": row.posting_country,
        "declaration_start_date": row.start_date,
        "declaration_end_date": row.end_date,
        "declaration_operation_type": _values(row.operation_types, OPERATION_BITS),
        "declaration_transport_type": _values(row.transport_types, TRANSPORT_BITS),
        "declaration_vehicle_plate_number": row.plates_passengers or [],
        "declaration_vehicle_plate_number_light": row.plates_light or [],
        "declaration_vehicle_plate_number_heavy": row.plates_heavy or [],
        "other_contact_as_transport_manager": row.contact_as_transport_manager,
        "other_contact_first_name": row.contact_first_name,
        "other_contact_last_name": row.contact_last_name,
        "other_contact_email": row.contact_email,
        "other_contact_phone": row.contact_phone,
        "other_contact_address_street": row.contact_street,
        "other_contact_address_city": row.contact_city,
        "other_contact_address_country": row.contact_country,
        "other_contact_address_post_code": row.contact_post_code,
        "driver_email": row.driver_email,
        "driver_latin_first_name": driver.latin_first_name,
        "driver_latin_last_name": driver.latin_last_name,
        "driver_latin_full_name": f"{driver.latin_first_name} {driver.latin_last_name}",
        "driver_date_of_birth": driver.date_of_birth,
        "driver_license_number": driver.license_number,
        "driver_document_type": driver.document_type,
        "driver_document_number": driver.document_number,
        "driver_document_issuing_country": driver.document_issuing_country,
        "driver_address_street": driver.address_street,
        "driver_address_post_code": driver.address_post_code,
        "driver_address_city": driver.address_city,
        "driver_address_country": driver.address_country,
        "driver_contract_start_date": driver.contract_start_date,
        "driver_applicable_law": driver.applicable_law,
    }


def from_document(document: Any) -> StoredDeclaration:
    """A superseded version's document (decoded JSON, the row as it was) as a row: keys it does
    not know are ignored, keys it lacks take their defaults, values are parsed from their JSON form."""
    return msgspec.convert(document, StoredDeclaration, strict=False)
