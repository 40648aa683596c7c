"""The answer of ``GET /verify/{token}`` as JSON: what an inspector's app reads from a QR code."""

import datetime
import uuid
from typing import Literal

from schemas.base import ResponseBody

# Why a declaration is not valid today.
NotValidBecause = Literal["NOT_STARTED", "EXPIRED", "WITHDRAWN", "SUPERSEDED"]


class Verification(ResponseBody, kw_only=True):
    """Whether the declaration the code names is valid today, and what it declares."""

    valid: bool
    # null when valid; SUPERSEDED: a later version replaces the document the code is printed on.
    reason: NotValidBecause | None
    checked_on: datetime.date
    declaration_id: uuid.UUID
    declaration_version: int
    current_version: int
    declaration_posting_country: str
    declaration_start_date: datetime.date
    declaration_end_date: datetime.date
    vehicle_plates: list[str]
    operator_name: str
    driver_latin_first_name: str
    driver_latin_last_name: str
    driver_date_of_birth: datetime.date
