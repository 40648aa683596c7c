"""Liveness (``/ping``), readiness (``/health``: database and Redis answer) and ``/metrics``."""

from typing import Any

import msgspec
from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.plugins.prometheus import PrometheusController

from schemas.base import ResponseBody


class Ping(ResponseBody):
    status: str


class Health(ResponseBody):
    status: str
    database: str
    redis: str


@get("/ping", operation_id="Ping", tags=["Service"], summary="Liveness: answers without touching anything")
async def ping() -> Ping:
    return Ping(status="ok")


async def _check(probe: Any) -> str:
    try:
        await probe
    except Exception as problem:
        return f"unavailable: {type(problem).__name__}"
    return "ok"


@get("/health", operation_id="Health", tags=["Service"], summary="Readiness: the database and Redis answer")
async def health(state: State) -> Response[bytes]:
    result = Health(
        status="ok",
        database=await _check(state.db_pool.fetchval("SELECT 1")),
        redis=await _check(state.redis.ping()),
    )
    if result.database != "ok" or result.redis != "ok":
        result.status = "unavailable"
    status_code = 200 if result.status == "ok" else 503
    return Response(msgspec.json.encode(result), status_code=status_code, media_type=MediaType.JSON)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
