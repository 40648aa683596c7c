"""Liveness (``/ping``, ``/health/live``), readiness (``/health/ready``) and ``/metrics``.

Ready means the portal can file: PostgreSQL answers. Redis is reported but does not make the
portal unready: filing never needs it (the workers catch up on what waited meanwhile).
"""

import asyncio
from collections.abc import Awaitable
from typing import Literal

from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.prometheus import PrometheusController

from schemas.base import ResponseBody

Availability = Literal["ok", "unavailable"]
PROBE_SECONDS = 2.0


class Ping(ResponseBody):
    status: Literal["ok"]


class Readiness(ResponseBody):
    """``status`` is ``ok`` while the database answers; ``redis`` says whether the queue of
    background work is reachable (filing goes on without it)."""

    status: Availability
    database: Availability
    redis: Availability


@get("/ping", operation_id="Ping", tags=["Service"], summary="Liveness: answers without touching anything")
async def ping() -> Ping:
    return Ping(status="ok")


@get("/health/live", operation_id="Liveness", tags=["Service"], summary="Liveness: the process answers")
async def live() -> Ping:
    return Ping(status="ok")


async def _available(probe: Awaitable[object]) -> Availability:
    try:
        await asyncio.wait_for(probe, PROBE_SECONDS)
    except Exception:
        return "unavailable"
    return "ok"


_READINESS_RESPONSES = {
    503: ResponseSpec(data_container=Readiness, description="The database does not answer", generate_examples=False)
}


async def _readiness(state: State) -> Response[Readiness]:
    database = await _available(state.db_pool.fetchval("SELECT 1"))
    redis = await _available(state.redis.ping())
    result = Readiness(status=database, database=database, redis=redis)
    return Response(result, status_code=200 if database == "ok" else 503, media_type=MediaType.JSON)


@get(
    "/health/ready",
    operation_id="Readiness",
    tags=["Service"],
    summary="Readiness: the database answers (Redis is reported, not required)",
    responses=_READINESS_RESPONSES,
)
async def ready(state: State) -> Response[Readiness]:
    return await _readiness(state)


@get(
    "/health",
    operation_id="Health",
    tags=["Service"],
    summary="Readiness, as /health/ready",
    responses=_READINESS_RESPONSES,
)
async def health(state: State) -> Response[Readiness]:
    return await _readiness(state)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
