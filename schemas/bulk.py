"""Bulk filing: one self-contained record per declaration, and the outcome of an upload."""

import uuid
from typing import Annotated, Literal

import msgspec

from schemas.base import (
    CountryCode,
    Date,
    DocumentType,
    Email,
    Name,
    OptionalText,
    Phone,
    PostingCountry,
    RegistrationCountry,
    RequestBody,
    ResponseBody,
    Text,
    Timestamp,
)
from schemas.declarations import OperationTypes, Plates, TransportTypes
from schemas.errors import FieldError

ClientReference = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="unique per operator")]


class BulkRecord(RequestBody, kw_only=True):
    """A driver and a declaration for them, matched on licence number and date of birth.

    The plates are added to the operator's register as the list they stand in says: passengers,
    light or heavy goods, registered in ``vehicleRegistrationCountry`` (default: the operator's
    establishment country).
    """

    client_reference: ClientReference
    # Absent: the upload's ``submit`` query parameter decides.
    submit: bool | None = None
    driver_latin_first_name: Name
    driver_latin_last_name: Name
    driver_date_of_birth: Date
    driver_license_number: Text
    driver_document_type: DocumentType
    driver_document_number: Text
    driver_document_issuing_country: CountryCode
    driver_address_street: Text
    driver_address_post_code: Text
    driver_address_city: Text
    driver_address_country: CountryCode
    driver_contract_start_date: Date
    driver_applicable_law: CountryCode
    declaration_posting_country: PostingCountry
    declaration_start_date: Date
    declaration_end_date: Date
    declaration_operation_type: OperationTypes
    declaration_transport_type: TransportTypes
    declaration_vehicle_plate_number: Plates = msgspec.field(default_factory=list)
    declaration_vehicle_plate_number_light: Plates = msgspec.field(default_factory=list)
    declaration_vehicle_plate_number_heavy: Plates = msgspec.field(default_factory=list)
    vehicle_registration_country: RegistrationCountry | None = None
    other_contact_as_transport_manager: bool
    other_contact_first_name: Name | None = None
    other_contact_last_name: Name | None = None
    other_contact_email: Email | None = None
    other_contact_phone: Phone | None = None
    other_contact_address_street: OptionalText | None = None
    other_contact_address_city: OptionalText | None = None
    other_contact_address_country: CountryCode | None = None
    other_contact_address_post_code: OptionalText | None = None
    driver_email: Email | None = None


UploadState = Literal["RUNNING", "DONE", "FAILED", "INTERRUPTED"]


class BulkUpload(ResponseBody, kw_only=True):
    """Where an upload stands: readable while it runs and afterwards."""

    bulk_upload_id: uuid.UUID
    state: UploadState
    submit: bool
    received: int
    accepted: int
    rejected: int
    submitted: int
    records_per_second: float
    message: str
    started_at: Timestamp
    finished_at: Timestamp | None
    results_url: str


class BulkResult(ResponseBody, kw_only=True):
    """One record's outcome, by its position in the upload (from 0)."""

    position: int
    client_reference: str | None
    declaration_id: uuid.UUID | None
    errors: list[FieldError]
