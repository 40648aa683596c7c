"""``POST /declarations/{id}/print`` and the signed download it answers with."""

import uuid
from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter

from portal.dependencies import InTransaction
from portal.documents import repository, service
from portal.documents.links import DocumentLinks
from portal.documents.repository import DocumentKey
from portal.errors import NotFound
from portal.identity.auth import CurrentOperator
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.wire import StrictJSON
from schemas.documents import PrintRequest


class PrintController(Controller):
    path = "/declarations"
    tags = ["Declarations"]

    @post(
        "/{declaration_id:uuid}/print",
        operation_id="PrintDeclaration",
        status_code=200,
        media_type=MediaType.TEXT,
        dto=StrictJSON[PrintRequest],
        return_dto=None,
        summary="A link that downloads the declaration's PDF for an hour: the bare URL is the body",
        description="The PDF of the declaration's current version in the language asked for, rendered first"
        " if it is not stored yet. Drafts have no PDF (409).",
        responses=errors(*AUTHENTICATED, *WITH_BODY, 404, 409),
    )
    async def print_declaration(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        state: State,
        declaration_id: Annotated[uuid.UUID, PathParameter(description="declarationId")],
        data: JSONBody[PrintRequest],
    ) -> str:
        key = await service.printable(db, operator, declaration_id, data.declaration_language, "declarationLanguage")
        await service.ensure(state.db_pool, state.rendering, [key])
        links: DocumentLinks = state.document_links
        return links.url(*key)


@get(
    "/documents/{token:str}",
    operation_id="DownloadDeclarationPdf",
    tags=["Declarations"],
    summary="The PDF a print link names (no API key: the link is signed and expires)",
    media_type="application/pdf",
    responses=errors(400, 404),
)
async def download_document(
    state: State, token: Annotated[str, PathParameter(description="the signed link", min_length=16, max_length=1000)]
) -> Response[bytes]:
    links: DocumentLinks = state.document_links
    key = links.opened(token)
    if key is None:
        raise NotFound.of("", "link_invalid")
    found = await repository.stored(state.db_pool, [DocumentKey(*key)])
    if not found:
        raise NotFound.of("", "link_invalid")
    pdf = await state.rendering.store.get(next(iter(found.values())))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="{service.filename(DocumentKey(*key))}"',
            "cache-control": "private, max-age=3600",
        },
    )
