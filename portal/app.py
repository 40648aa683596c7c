"""The ASGI application: ``create_app(settings)`` wires routes, the database, Redis and error handling.

Everything the application needs comes from the settings it is given, kept in its state
(``app.state.settings``); nothing reads the environment here.
"""

import asyncio
import gc
import signal
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager

import redis.asyncio as redis
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.plugins.prometheus import PrometheusConfig

from portal import idempotency, logs, openapi
from portal.accounts.tokens import Tokens
from portal.archives.api import ArchiveController, download_archive
from portal.authorities.api import AccessLogController, AuditLogController, RoadsideController
from portal.bulk.api import BulkController
from portal.bulk.service import Uploads
from portal.db import close_pool, create_pool
from portal.declarations.api import DeclarationController
from portal.declarations.driver_change import DeclarationsOfDriver
from portal.dependencies import provide_single_statement, provide_transaction
from portal.documents.api import PrintController, download_document
from portal.documents.links import DocumentLinks
from portal.documents.service import Rendering, archive_links, archive_store
from portal.errors import EXCEPTION_HANDLERS
from portal.forwarding.api import EndpointController, FeedController
from portal.forwarding.service import Standing
from portal.health import MetricsController, health, live, ping, ready
from portal.identity.auth import (
    KeyCache,
    authenticate_authority,
    authenticate_operator,
    provide_authority,
    provide_operator,
)
from portal.mail.api import EmailController
from portal.operators.drivers.api import DriverController
from portal.operators.profile.api import ProfileController
from portal.operators.vehicles.api import VehicleController
from portal.renewals.api import RenewalController
from portal.secrets import secret_key
from portal.settings import Settings, read_settings
from portal.signing.api import verification_keys
from portal.verification.api import verify_declaration
from portal.web.routes import web_router

API_DESCRIPTION = """
Posting declarations for road transport drivers (Directive (EU) 2020/1057).

The operator endpoints are those of the official public interface: same paths, field
names, status codes and pagination. Authenticate with the headers `x-api-key` and
`x-operator-id`. Every POST accepts an `Idempotency-Key` header.

The `/authority` endpoints serve enforcement authorities (headers `x-api-key` and
`x-authority-id`): they see the declarations posted to their own country only, and every
search and every record read is written to an audit log with its stated purpose.
"""

# One for every process: a change of a driver reaches their declarations.
_DRIVER_DEPENDENTS = DeclarationsOfDriver()
# How a declaration stands with the authorities it is forwarded to.
_FORWARDED = Standing()


# Young objects are collected once this many have been made, not every 700: a bulk upload makes
# millions, and collecting that often cost it a fifth of its rate (measured, 100,000 records).
GC_YOUNG_THRESHOLD = 100_000


def _tune_garbage_collector() -> None:
    """Everything made while starting lives as long as the process: the collector need not look
    at it again (``gc.freeze``), and collects the young less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


# What `portal serve` sends its server processes before it stops them (see portal.cli).
STOP_SIGNAL = signal.SIGUSR1


def _listen_for_stop(uploads: Uploads) -> Callable[[], None]:
    """On STOP_SIGNAL, bulk uploads stop reading and end at a batch boundary: a server stopped
    for a deploy waits for its requests, and an upload can run for longer than it would wait.
    Returns what stops listening (where no signal can be listened for, there is nothing to stop)."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(STOP_SIGNAL, uploads.stopping.set)
    except (NotImplementedError, RuntimeError, ValueError):
        return lambda: None

    def stop_listening() -> None:
        loop.remove_signal_handler(STOP_SIGNAL)

    return stop_listening


def create_app(settings: Settings) -> Litestar:
    if not settings.database.url or not settings.redis.url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set: `portal serve` sets them for its embedded servers")
    logs.configure(settings.log.level, as_json=settings.log.json)

    @asynccontextmanager
    async def connections(app: Litestar) -> AsyncGenerator[None, None]:
        database = settings.database
        app.state.db_pool = await create_pool(database.url, min_size=database.pool_min, max_size=database.pool_max)
        app.state.lookup_pool = await create_pool(database.url, min_size=1, max_size=database.lookup_pool_max)
        # Short timeouts: readiness reports a Redis that is gone instead of waiting for it.
        app.state.redis = redis.Redis.from_url(settings.redis.url, socket_connect_timeout=1, socket_timeout=1)
        _tune_garbage_collector()
        stopping = _listen_for_stop(app.state.uploads)
        try:
            yield
        finally:
            stopping()
            # A server stopping lets each bulk upload finish its batch and say it was interrupted.
            await app.state.uploads.stop(settings.bulk.stop_seconds)
            app.state.rendering.renderer.close()
            await app.state.redis.aclose()
            await close_pool(app.state.lookup_pool)
            await close_pool(app.state.db_pool)

    # What the services need that the application provides: the operator API's handlers and
    # the pages call the same services.
    services = {
        "driver_dependents": Provide(lambda: _DRIVER_DEPENDENTS, sync_to_thread=False, use_cache=True),
        "forwarded": Provide(lambda: _FORWARDED, sync_to_thread=False, use_cache=True),
    }
    operator_api = Router(
        path="/",
        route_handlers=[
            DriverController,
            VehicleController,
            DeclarationController,
            PrintController,
            EmailController,
            ArchiveController,
            ProfileController,
            AccessLogController,
            BulkController,
            RenewalController,
        ],
        guards=[authenticate_operator],
        dependencies={
            "db": Provide(provide_transaction),
            "operator": Provide(provide_operator, sync_to_thread=False),
            **services,
        },
        security=[{"apiKey": [], "operatorId": []}],
    )
    authority_api = Router(
        path="/",
        route_handlers=[RoadsideController, AuditLogController, EndpointController, FeedController],
        guards=[authenticate_authority],
        dependencies={
            "db": Provide(provide_single_statement),
            "authority": Provide(provide_authority, sync_to_thread=False),
        },
        security=[{"apiKey": [], "authorityId": []}],
    )
    app = Litestar(
        route_handlers=[
            operator_api,
            authority_api,
            web_router(services),
            download_document,
            download_archive,
            verification_keys,
            verify_declaration,
            ping,
            live,
            ready,
            health,
            MetricsController,
        ],
        lifespan=[connections],
        exception_handlers={**EXCEPTION_HANDLERS, idempotency.Replay: idempotency.replay_handler},
        before_request=idempotency.before_request,
        after_request=idempotency.after_request,
        middleware=[
            *([logs.access_log] if settings.log.access else []),
            PrometheusConfig(app_name="portal", group_path=True).middleware,
        ],
        openapi_config=openapi.config(API_DESCRIPTION, version="1"),
        request_max_body_size=settings.http.max_body_bytes,
        debug=False,
    )
    app.state.settings = settings
    app.state.key_cache = KeyCache(settings.auth.cache_seconds)
    app.state.uploads = Uploads()
    # Started when a print first needs it: most prints find the worker's PDF stored.
    app.state.rendering = Rendering.of(settings)
    app.state.document_links = DocumentLinks(secret_key(settings), settings.base_url, settings.documents.link_minutes)
    app.state.web_secret = secret_key(settings)
    app.state.account_tokens = Tokens(secret_key(settings))
    app.state.archive_links = archive_links(settings)
    app.state.archive_store = archive_store(settings)
    return app


def from_environment() -> Litestar:
    """The factory ``portal serve`` hands granian: each server process reads the settings that
    its parent put in its environment."""
    return create_app(read_settings())
