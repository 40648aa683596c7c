"""Drivers as the official interface names them."""

import uuid

import msgspec

from schemas.base import CountryCode, Date, DocumentType, Language, Name, RequestBody, ResponseBody, Text, Timestamp


class DriverDetails(msgspec.Struct, rename="camel", kw_only=True, gc=False):
    """What an operator states about a driver (all required, as in the official interface)."""

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


class DriverFields(DriverDetails, RequestBody, kw_only=True):
    """The body of create and replace."""

    # Ours, beside the official fields: the language of the driver's PDFs and e-mails (not a
    # declared detail); none: their operator's, else English.
    driver_language: Language | None = None


class Driver(DriverDetails, ResponseBody, kw_only=True):
    driver_language: Language | None = None
    driver_id: uuid.UUID
    driver_operator_id: uuid.UUID
    driver_full_name: str
    driver_has_declarations: bool
    driver_count_active_declarations: int
    driver_last_update: Timestamp


class DriverPage(ResponseBody, kw_only=True):
    items: list[Driver]
    last_evaluated_key: str | None
    count: int
