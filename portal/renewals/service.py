"""Renew: each submitted declaration that ends within the window is copied to the period that
follows it (as long as it was) and submitted, each in a savepoint of its own so that one
refused leaves the others filed. A dry run does the same and undoes it all: what it lists is
what a real run would file, refusals included, with no second copy of the rules."""

import datetime
import uuid

import asyncpg
import msgspec

from portal import clock
from portal.db import Transaction
from portal.declarations import lifecycle
from portal.declarations import service as declarations
from portal.errors import ApiError, attempted
from portal.identity.auth import OperatorPrincipal
from portal.renewals import repository
from schemas.declarations import CopyRequest, Declaration
from schemas.renewals import Renewal, RenewalRequest, RenewalResult


async def _filed(
    db: Transaction, operator: OperatorPrincipal, declaration_id: uuid.UUID, period: CopyRequest
) -> Declaration:
    draft = await declarations.copy(db, operator, declaration_id, period)
    return await lifecycle.submit(db, operator, draft.declaration_id)


def _period(row: asyncpg.Record) -> CopyRequest:
    start = row["end_date"] + datetime.timedelta(days=1)
    return CopyRequest(declaration_start_date=start, declaration_end_date=start + (row["end_date"] - row["start_date"]))


async def _renewal(
    db: Transaction, operator: OperatorPrincipal, row: asyncpg.Record, excluded: frozenset[uuid.UUID], dry_run: bool
) -> Renewal:
    period = _period(row)
    listed = Renewal(
        declaration_id=row["id"],
        driver_id=row["driver_id"],
        driver_latin_full_name=f"{row['latin_first_name']} {row['latin_last_name']}",
        declaration_posting_country=row["posting_country"],
        declaration_end_date=row["end_date"],
        renewal_start_date=period.declaration_start_date,
        renewal_end_date=period.declaration_end_date,
        outcome="OPTED_OUT",
    )
    if row["driver_id"] in excluded:
        return listed
    filed = await attempted(db, _filed(db, operator, row["id"], period))
    if isinstance(filed, ApiError):
        return msgspec.structs.replace(listed, outcome="REFUSED", errors=filed.errors)
    if dry_run:
        return msgspec.structs.replace(listed, outcome="WOULD_RENEW")
    return msgspec.structs.replace(listed, outcome="RENEWED", renewed_declaration_id=filed.declaration_id)


async def renew(db: Transaction, operator: OperatorPrincipal, asked: RenewalRequest) -> RenewalResult:
    today = clock.today()
    rows = await repository.renewable(
        db, operator.operator_id, today, today + datetime.timedelta(days=asked.within_days)
    )
    excluded = frozenset(asked.exclude_driver_ids)
    rehearsal = db.transaction()
    if asked.dry_run:
        await rehearsal.start()
    try:
        items = [await _renewal(db, operator, row, excluded, asked.dry_run) for row in rows]
    finally:
        if asked.dry_run:
            await rehearsal.rollback()
    return RenewalResult(
        dry_run=asked.dry_run,
        within_days=asked.within_days,
        count=len(items),
        renewed=sum(item.outcome in ("RENEWED", "WOULD_RENEW") for item in items),
        refused=sum(item.outcome == "REFUSED" for item in items),
        items=items,
    )
