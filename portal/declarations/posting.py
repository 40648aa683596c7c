"""What a declaration's body is, whichever path it comes by: the single API's ``DeclarationFields``
and a bulk record both have these fields, and the rules and the storage mapping read only them."""

import datetime
from collections.abc import Sequence
from typing import Protocol


class Posting(Protocol):
    """A declaration as declared."""

    declaration_posting_country: str
    declaration_start_date: datetime.date
    declaration_end_date: datetime.date

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
    other_contact_address_street: str | None
    other_contact_address_city: str | None
    other_contact_address_country: str | None
    other_contact_address_post_code: str | None
    driver_email: str | None
