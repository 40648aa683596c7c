"""``POST /declarations/renewals``: every submitted declaration that ends soon filed again for
the period that follows it, or only listed (``dryRun``)."""

import uuid
from typing import Annotated, Literal

import msgspec

from schemas.base import Date, RequestBody, ResponseBody
from schemas.errors import FieldError

# A renewal looks this far ahead at most: the declarations of the next three months.
MAX_WITHIN_DAYS = 92

RenewalOutcome = Literal["RENEWED", "WOULD_RENEW", "REFUSED", "OPTED_OUT"]


class RenewalRequest(RequestBody, kw_only=True):
    within_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_WITHIN_DAYS)] = 30
    # Only list what would be filed, each with the refusals it would meet: nothing is stored.
    dry_run: bool = False
    # Drivers whose declarations are not renewed this time (they are listed, as OPTED_OUT).
    exclude_driver_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10_000)] = msgspec.field(
        default_factory=list
    )


class Renewal(ResponseBody, kw_only=True):
    """One declaration that ends soon and the one that follows it (the new period, same length)."""

    declaration_id: uuid.UUID
    driver_id: uuid.UUID
    driver_latin_full_name: str
    declaration_posting_country: str
    declaration_end_date: Date
    renewal_start_date: Date
    renewal_end_date: Date
    outcome: RenewalOutcome
    renewed_declaration_id: uuid.UUID | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)


class RenewalResult(ResponseBody, kw_only=True):
    dry_run: bool
    within_days: int
    count: int
    renewed: int
    refused: int
    items: list[Renewal]
