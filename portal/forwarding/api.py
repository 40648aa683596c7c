"""``/authority/endpoints`` (where the authority's country's events are pushed) and
``/authority/feed`` (the same events, pulled)."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from portal.dependencies import InTransaction, OneStatement, provide_transaction
from portal.forwarding import service
from portal.identity.auth import CurrentAuthority
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.wire import StrictJSON
from schemas.forwarding import (
    Endpoint,
    EndpointList,
    EndpointSecret,
    Feed,
    NewEndpoint,
    Redrive,
    Redriven,
    SecretOverlap,
)

EndpointId = Annotated[uuid.UUID, PathParameter(description="endpointId")]


class EndpointController(Controller):
    path = "/authority/endpoints"
    tags = ["Forwarding"]
    dependencies = {"db": Provide(provide_transaction)}

    @post(
        operation_id="RegisterEndpoint",
        dto=StrictJSON[NewEndpoint],
        return_dto=None,
        summary="Register an endpoint your country's events are posted to; its secret is shown once",
        description="The URL must be https:// and resolve to public addresses only (checked now and at every"
        " send; redirects are not followed). The endpoint is sent every submission, update and withdrawal"
        " filed from now on, in batches signed as Standard Webhooks v1 says (webhook-id, webhook-timestamp,"
        " webhook-signature with the secret answered here). The events before are in GET /authority/feed.",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 409),
    )
    async def register_endpoint(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        authority: CurrentAuthority,
        data: JSONBody[NewEndpoint],
    ) -> EndpointSecret:
        return await service.register(db, request.app.state.settings, authority.authority_id, data.url)

    @get(
        operation_id="ListEndpoints",
        summary="Your authority's endpoints and how delivery to each stands",
        responses=errors(*AUTHENTICATED),
    )
    async def list_endpoints(self, db: InTransaction, authority: CurrentAuthority) -> EndpointList:
        return await service.listed(db, authority.authority_id)

    @post(
        "/{endpoint_id:uuid}/disable",
        operation_id="DisableEndpoint",
        status_code=200,
        summary="Stop posting to an endpoint (what it has not taken waits for it to be enabled)",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def disable_endpoint(
        self, db: InTransaction, authority: CurrentAuthority, endpoint_id: EndpointId
    ) -> Endpoint:
        return await service.set_active(db, endpoint_id, authority.authority_id, active=False)

    @post(
        "/{endpoint_id:uuid}/enable",
        operation_id="EnableEndpoint",
        status_code=200,
        summary="Post to a disabled endpoint again, from where it stopped",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def enable_endpoint(
        self, db: InTransaction, authority: CurrentAuthority, endpoint_id: EndpointId
    ) -> Endpoint:
        return await service.set_active(db, endpoint_id, authority.authority_id, active=True)

    @post(
        "/{endpoint_id:uuid}/rotate-secret",
        operation_id="RotateEndpointSecret",
        dto=StrictJSON[SecretOverlap],
        return_dto=None,
        status_code=200,
        summary="A new secret for an endpoint (shown once); the one before signs beside it for overlapHours",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404),
    )
    async def rotate_secret(
        self,
        request: Request[Any, Any, Any],
        db: InTransaction,
        authority: CurrentAuthority,
        endpoint_id: EndpointId,
        data: JSONBody[SecretOverlap],
    ) -> EndpointSecret:
        settings = request.app.state.settings
        return await service.rotate(db, settings, endpoint_id, authority.authority_id, data.overlap_hours)

    @post(
        "/{endpoint_id:uuid}/redrive",
        operation_id="RedriveEndpoint",
        dto=StrictJSON[Redrive],
        return_dto=None,
        status_code=200,
        summary="Deliver again the dead events (parked after a long outage) filed in [since, until)",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404),
    )
    async def redrive(
        self, db: InTransaction, authority: CurrentAuthority, endpoint_id: EndpointId, data: JSONBody[Redrive]
    ) -> Redriven:
        return await service.redrive(db, endpoint_id, authority.authority_id, data.since, data.until)


class FeedController(Controller):
    path = "/authority/feed"
    tags = ["Forwarding"]

    @get(
        operation_id="ReadFeed",
        summary="Your country's submissions, updates and withdrawals in commit order, from a cursor",
        description="The events pushed to endpoints, for authorities that pull. Start without `after`; pass"
        " each page's `next` to read on (also from the last page: later events follow it). An event"
        " committed late is never skipped: events enter the feed once every transaction before them has ended.",
        responses=errors(*AUTHENTICATED),
    )
    async def read_feed(
        self,
        db: OneStatement,
        authority: CurrentAuthority,
        after: Annotated[str | None, QueryParameter(description="the next of the page before")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="at most this many events")] = 100,
    ) -> Feed:
        return await service.feed(db, authority.country, after, limit)
