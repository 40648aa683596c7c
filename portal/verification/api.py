"""``GET /verify/{token}``: the page a declaration's QR code opens, or its JSON for an app."""

from typing import Annotated

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.params import PathParameter

from portal import i18n, ratelimit
from portal.errors import NotFound, TooManyRequests
from portal.openapi import errors
from portal.settings import Settings
from portal.verification import page, service
from schemas.verification import Verification


@get(
    "/verify/{token:str}",
    operation_id="VerifyDeclaration",
    tags=["Verification"],
    summary="Is the declaration a QR code names valid today? (public: the token is the key)",
    description="HTML for a browser (in the language it asks for, English by default), JSON for"
    " `Accept: application/json` or any other client. Rate-limited per client address (429).",
    media_type=MediaType.JSON,
    responses=errors(400, 404, 429),
    # Never cached by a proxy: the verdict changes with the day and with a withdrawal.
    cache_control=None,
)
async def verify_declaration(
    request: Request[object, object, State],
    state: State,
    token: Annotated[str, PathParameter(description="the token the QR code carries", min_length=16, max_length=64)],
) -> Response[Verification] | Response[str]:
    settings: Settings = state.settings
    client = request.client.host if request.client else "unknown"
    wait = await ratelimit.wait_seconds(state.redis, "verify", client, settings.verification.per_minute)
    if wait is not None:
        raise TooManyRequests(wait)
    found = service.token_of(token)
    verification = await service.verify(state.db_pool, found) if found is not None else None
    if verification is None:
        raise NotFound.of("", "not_found", kind="declaration for this code")
    headers = {"cache-control": "no-store", "vary": "accept, accept-language"}
    # A browser says it wants HTML; a client that asks for anything (or JSON) gets JSON.
    if request.accept.best_match([MediaType.JSON, MediaType.HTML], MediaType.JSON) == MediaType.HTML:
        language = i18n.negotiate(request.headers.get("accept-language"))
        return Response(page.html(verification, language), media_type=MediaType.HTML, headers=headers)
    return Response(msgspec.json.encode(verification).decode(), media_type=MediaType.JSON, headers=headers)
