"""The yardstick of single requests: litestar + asyncpg inserting one row, nothing else.

``portal bench`` serves it with granian, as the portal is served, and drives both with the
same locust users, so that the ratio says what the portal's own work costs.
"""

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
from litestar import Litestar, Request, post

TABLE = "bench_minimal_rows"


class Row(msgspec.Struct):
    name: str


@post("/rows", status_code=201)
async def insert_row(request: Request) -> dict[str, int]:  # type: ignore[type-arg]
    row = msgspec.json.decode(await request.body(), type=Row)
    row_id = await request.app.state.pool.fetchval(f"INSERT INTO {TABLE} (name) VALUES ($1) RETURNING id", row.name)
    return {"id": row_id}


def create_app() -> Litestar:
    @asynccontextmanager
    async def pool(app: Litestar) -> AsyncGenerator[None, None]:
        # The benchmark runner hands the database over in the environment, as a server would get it.
        app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar([insert_row], lifespan=[pool])
