"""The ASGI application: ``create_app()`` wires routes, the database, Redis and error handling."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig

from portal import idempotency, logs
from portal.authorities.api import AccessLogController, AuditLogController, RoadsideController, provide_authority
from portal.authorities.auth import authenticate_authority
from portal.bulk.api import BulkController
from portal.db import close_pool, create_pool, provide_single_statement, provide_transaction
from portal.declarations.api import DeclarationController
from portal.errors import EXCEPTION_HANDLERS
from portal.health import MetricsController, health, ping
from portal.operators.auth import authenticate_operator, provide_operator
from portal.operators.drivers.api import DriverController
from portal.operators.vehicles.api import VehicleController
from portal.settings import Settings, get_settings

API_DESCRIPTION = """
Posting declarations for road transport drivers (Directive (EU) 2020/1057).

The operator endpoints are those of the official public interface: same paths, field
names, status codes and pagination. Authenticate with the headers `x-api-key` and
`x-operator-id`. Every POST accepts an `Idempotency-Key` header.

The `/authority` endpoints serve enforcement authorities (headers `x-api-key` and
`x-authority-id`): they see the declarations posted to their own country only, and every
search and every record read is written to an audit log with its stated purpose.
"""


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Posting declaration portal",
        version="1",
        description=API_DESCRIPTION,
        path="/schema",
        render_plugins=[RedocRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="apiKey", name="x-api-key", security_scheme_in="header"),
                "operatorId": SecurityScheme(type="apiKey", name="x-operator-id", security_scheme_in="header"),
                "authorityId": SecurityScheme(type="apiKey", name="x-authority-id", security_scheme_in="header"),
            }
        ),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set: `portal serve` sets them for its embedded servers")
    logs.configure(settings.log_level, as_json=settings.log_json)

    @asynccontextmanager
    async def connections(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.db_pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        app.state.lookup_pool = await create_pool(
            settings.database_url, min_size=1, max_size=settings.db_pool_max, generic_plans=True
        )
        app.state.redis = redis.Redis.from_url(settings.redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await close_pool(app.state.lookup_pool)
            await close_pool(app.state.db_pool)

    operator_api = Router(
        path="/",
        route_handlers=[
            DriverController,
            VehicleController,
            DeclarationController,
            AccessLogController,
            BulkController,
        ],
        guards=[authenticate_operator],
        dependencies={"operator": Provide(provide_operator, sync_to_thread=False)},
        security=[{"apiKey": [], "operatorId": []}],
    )
    authority_api = Router(
        path="/",
        route_handlers=[RoadsideController, AuditLogController],
        guards=[authenticate_authority],
        dependencies={
            "db": Provide(provide_single_statement),
            "authority": Provide(provide_authority, sync_to_thread=False),
        },
        security=[{"apiKey": [], "authorityId": []}],
    )
    return Litestar(
        route_handlers=[operator_api, authority_api, ping, health, MetricsController],
        dependencies={"db": Provide(provide_transaction)},
        lifespan=[connections],
        exception_handlers={**EXCEPTION_HANDLERS, idempotency.Replay: idempotency.replay_handler},
        before_request=idempotency.before_request,
        after_request=idempotency.after_request,
        middleware=[
            *([logs.access_log] if settings.access_log else []),
            PrometheusConfig(app_name="portal", group_path=True).middleware,
        ],
        openapi_config=_openapi(),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
