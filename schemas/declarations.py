"""Declarations as the official interface names them, plus copy, print and e-mail bodies."""

import uuid
from typing import Annotated

import msgspec

from schemas.base import (
    CountryCode,
    Date,
    DeclarationStatus,
    DocumentType,
    Email,
    Name,
    OperationType,
    OptionalText,
    Phone,
    PlateInput,
    PostingCountry,
    RequestBody,
    ResponseBody,
    Timestamp,
    TransportType,
)

Plates = Annotated[list[PlateInput], msgspec.Meta(max_length=20)]
OperationTypes = Annotated[list[OperationType], msgspec.Meta(min_length=1, max_length=2)]
TransportTypes = Annotated[list[TransportType], msgspec.Meta(min_length=1, max_length=2)]
Language = Annotated[str, msgspec.Meta(min_length=2, max_length=2, examples=["bg"])]


class Declared(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """What an operator declares (shared by the body of create and replace and by the record read back)."""

    driver_id: uuid.UUID
    declaration_posting_country: PostingCountry
    declaration_start_date: Date
    declaration_end_date: Date
    declaration_operation_type: OperationTypes
    declaration_transport_type: TransportTypes
    declaration_vehicle_plate_number: Plates = msgspec.field(default_factory=list)
    declaration_vehicle_plate_number_light: Plates = msgspec.field(default_factory=list)
    declaration_vehicle_plate_number_heavy: Plates = msgspec.field(default_factory=list)
    # When false, the contact person in the establishment country is named below.
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


class SubmittedUpdate(RequestBody, kw_only=True):
    """The body of ``PUT /declarations/{id}/submit``: a whole declaration or only what changes.

    Host country, start date and driver are frozen once submitted; they may be repeated
    unchanged (fleet software often sends the whole object), any other value is refused.
    """

    driver_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    declaration_posting_country: PostingCountry | msgspec.UnsetType = msgspec.UNSET
    declaration_start_date: Date | msgspec.UnsetType = msgspec.UNSET
    declaration_end_date: Date | msgspec.UnsetType = msgspec.UNSET
    declaration_operation_type: OperationTypes | msgspec.UnsetType = msgspec.UNSET
    declaration_transport_type: TransportTypes | msgspec.UnsetType = msgspec.UNSET
    declaration_vehicle_plate_number: Plates | msgspec.UnsetType = msgspec.UNSET
    declaration_vehicle_plate_number_light: Plates | msgspec.UnsetType = msgspec.UNSET
    declaration_vehicle_plate_number_heavy: Plates | msgspec.UnsetType = msgspec.UNSET
    other_contact_as_transport_manager: bool | msgspec.UnsetType = msgspec.UNSET
    other_contact_first_name: Name | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_last_name: Name | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_email: Email | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_phone: Phone | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_address_street: OptionalText | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_address_city: OptionalText | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_address_country: CountryCode | None | msgspec.UnsetType = msgspec.UNSET
    other_contact_address_post_code: OptionalText | None | msgspec.UnsetType = msgspec.UNSET
    driver_email: Email | None | msgspec.UnsetType = msgspec.UNSET


FROZEN_ONCE_SUBMITTED = ("driver_id", "declaration_posting_country", "declaration_start_date")


class DeclarationFields(Declared, RequestBody, kw_only=True):
    """What an operator declares: the body of create and replace."""


class RecordedDeclaration(Declared, ResponseBody, kw_only=True):
    """A declaration version as recorded: what was declared, the server's fields, and the driver
    as declared. What is forwarded to authorities: nothing in it changes once the version is."""

    declaration_id: uuid.UUID
    operator_id: uuid.UUID
    declaration_status: DeclarationStatus
    declaration_version: int
    declaration_submission_date: Timestamp | None
    declaration_last_update: Timestamp
    # The driver as they were at this version: later driver edits make a new version.
    driver_latin_first_name: str
    driver_latin_last_name: str
    driver_latin_full_name: str
    driver_date_of_birth: Date
    driver_license_number: str
    driver_document_type: DocumentType
    driver_document_number: str
    driver_document_issuing_country: str
    driver_address_street: str
    driver_address_post_code: str
    driver_address_city: str
    driver_address_country: str
    driver_contract_start_date: Date
    driver_applicable_law: str


class Declaration(RecordedDeclaration, kw_only=True):
    """A declaration as read back: as recorded, and whether its e-mail to the driver was sent."""

    declaration_email_status: str


class DeclarationListItem(ResponseBody, kw_only=True):
    declaration_id: uuid.UUID
    driver_id: uuid.UUID
    driver_latin_full_name: str
    declaration_posting_country: str
    declaration_start_date: Date
    declaration_end_date: Date
    declaration_status: DeclarationStatus
    declaration_last_update: Timestamp


class DeclarationPage(ResponseBody, kw_only=True):
    count: int
    items: list[DeclarationListItem]
    last_evaluated_key: str | None


class CopyRequest(RequestBody, kw_only=True):
    declaration_start_date: Date
    declaration_end_date: Date


class Deleted(ResponseBody, kw_only=True):
    message: str
