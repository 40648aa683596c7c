"""How a driver is stored: the columns of drivers and driver_versions, by name, written once.

A declaration version shows its driver as a row of driver_versions (driver_id, version):
drivers change rarely, and the declarations of one driver share their versions.
"""

import datetime
import uuid
from typing import Protocol

import msgspec

from schemas.drivers import Driver, DriverFields


class DriverStatement(Protocol):
    """A driver's details as the single API's driver body and a bulk record both state them."""

    driver_latin_first_name: str
    driver_latin_last_name: str
    driver_date_of_birth: datetime.date
    driver_license_number: str

    # Read-only, so that a narrower type (the Literal of the wire) fits too.
    @property
    def driver_document_type(self) -> str: ...

    driver_document_number: str
    driver_document_issuing_country: str
    driver_address_street: str
    driver_address_post_code: str
    driver_address_city: str
    driver_address_country: str
    driver_contract_start_date: datetime.date
    driver_applicable_law: str


class StoredDriver(msgspec.Struct, gc=False):
    """A driver as one version of them was stated: the details of a row of driver_versions."""

    latin_first_name: str
    latin_last_name: str
    date_of_birth: datetime.date
    license_number: str
    document_type: str
    document_number: str
    document_issuing_country: str
    address_street: str
    address_post_code: str
    address_city: str
    address_country: str
    contract_start_date: datetime.date
    applicable_law: str


DRIVER_COLUMNS: tuple[str, ...] = StoredDriver.__struct_fields__


def stored_driver(driver: DriverStatement) -> StoredDriver:
    return StoredDriver(
        latin_first_name=driver.driver_latin_first_name,
        latin_last_name=driver.driver_latin_last_name,
        date_of_birth=driver.driver_date_of_birth,
        license_number=driver.driver_license_number,
        document_type=driver.driver_document_type,
        document_number=driver.driver_document_number,
        document_issuing_country=driver.driver_document_issuing_country,
        address_street=driver.driver_address_street,
        address_post_code=driver.driver_address_post_code,
        address_city=driver.driver_address_city,
        address_country=driver.driver_address_country,
        contract_start_date=driver.driver_contract_start_date,
        applicable_law=driver.driver_applicable_law,
    )


def fields_of(driver: StoredDriver) -> DriverFields:
    return DriverFields(
        driver_latin_first_name=driver.latin_first_name,
        driver_latin_last_name=driver.latin_last_name,
        driver_date_of_birth=driver.date_of_birth,
        driver_license_number=driver.license_number,
        driver_document_type=driver.document_type,  # type: ignore[arg-type]
        driver_document_number=driver.document_number,
        driver_document_issuing_country=driver.document_issuing_country,
        driver_address_street=driver.address_street,
        driver_address_post_code=driver.address_post_code,
        driver_address_city=driver.address_city,
        driver_address_country=driver.address_country,
        driver_contract_start_date=driver.contract_start_date,
        driver_applicable_law=driver.applicable_law,
    )


def driver_of(
    driver_id: uuid.UUID,
    operator_id: uuid.UUID,
    driver: StoredDriver,
    *,
    updated_at: datetime.datetime,
    has_declarations: bool,
    active_declarations: int,
    language: str | None = None,
) -> Driver:
    """The wire record of a driver as they are now."""
    return Driver(
        driver_id=driver_id,
        driver_operator_id=operator_id,
        driver_full_name=f"{driver.latin_first_name} {driver.latin_last_name}",
        driver_has_declarations=has_declarations,
        driver_count_active_declarations=active_declarations,
        driver_last_update=updated_at,
        driver_latin_first_name=driver.latin_first_name,
        driver_latin_last_name=driver.latin_last_name,
        driver_date_of_birth=driver.date_of_birth,
        driver_license_number=driver.license_number,
        driver_document_type=driver.document_type,  # type: ignore[arg-type]
        driver_document_number=driver.document_number,
        driver_document_issuing_country=driver.document_issuing_country,
        driver_address_street=driver.address_street,
        driver_address_post_code=driver.address_post_code,
        driver_address_city=driver.address_city,
        driver_address_country=driver.address_country,
        driver_contract_start_date=driver.contract_start_date,
        driver_applicable_law=driver.applicable_law,
        driver_language=language,  # type: ignore[arg-type]  # one of ours: only those are stored
    )
