"""SQL of renewals: the operator's submitted declarations that end in a window and that no
later declaration of the same driver and host country follows yet."""

import datetime
import uuid

import asyncpg

# The most declarations one renewal files: a fleet of this many drivers renews in one go, a
# larger one in several (each leaves out what the previous one renewed).
MAX_RENEWALS = 2_000


async def renewable(
    db: asyncpg.Connection, operator_id: uuid.UUID, first: datetime.date, last: datetime.date
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await db.fetch(
        """
        SELECT d.id, d.driver_id, d.posting_country, d.start_date, d.end_date,
               v.latin_first_name, v.latin_last_name
        FROM declarations d
        JOIN driver_versions v ON v.driver_id = d.driver_id AND v.version = d.driver_version
        WHERE d.operator_id = $1 AND d.status = 'SUBMITTED' AND d.end_date BETWEEN $2 AND $3
          AND NOT EXISTS (
              SELECT 1 FROM declarations n
              WHERE n.driver_id = d.driver_id AND n.posting_country = d.posting_country
                AND n.status IN ('DRAFT', 'SUBMITTED') AND n.end_date > d.end_date
                AND n.start_date > d.end_date
          )
        ORDER BY d.end_date, v.latin_last_name, v.latin_first_name, d.id
        LIMIT $4
        """,
        operator_id,
        first,
        last,
        MAX_RENEWALS,
    )
    return rows
