"""``POST /declarations/pdf-archive``, its progress, and the signed download of the ZIP."""

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter

from portal.archives import repository, service
from portal.dependencies import InTransaction
from portal.documents.store import Store
from portal.errors import NotFound
from portal.identity.auth import CurrentOperator
from portal.links import SignedLinks
from portal.openapi import AUTHENTICATED, WITH_BODY, errors
from portal.wire import StrictJSON
from schemas.documents import ArchiveRequest, ArchiveStatus


class ArchiveController(Controller):
    path = "/declarations/pdf-archive"
    tags = ["Declarations"]

    @post(
        operation_id="AskPdfArchive",
        status_code=202,
        dto=StrictJSON[ArchiveRequest],
        return_dto=None,
        summary="A ZIP of the PDFs of the declarations named, or selected by the list's filters, built by the worker",
        description="Answers at once with the archive's progress; read it again (GET) until `state` is READY"
        " and `downloadUrl` is given. Drafts have no PDF: they are never selected, and naming one is refused.",
        responses=errors(*AUTHENTICATED, *WITH_BODY),
    )
    async def ask_archive(
        self, db: InTransaction, operator: CurrentOperator, state: State, data: JSONBody[ArchiveRequest]
    ) -> ArchiveStatus:
        return await service.ask(db, operator, data, state.archive_links)

    @get(
        "/{archive_id:uuid}",
        operation_id="GetPdfArchive",
        summary="How far the archive is built; once READY, its download link (valid an hour)",
        responses=errors(*AUTHENTICATED, 404),
    )
    async def archive_status(
        self,
        db: InTransaction,
        operator: CurrentOperator,
        state: State,
        archive_id: Annotated[uuid.UUID, PathParameter(description="archiveId")],
    ) -> ArchiveStatus:
        return await service.status(db, operator, archive_id, state.archive_links)


@get(
    "/archives/{token:str}",
    operation_id="DownloadPdfArchive",
    tags=["Declarations"],
    summary="The ZIP an archive's link names (no API key: the link is signed and expires)",
    media_type="application/zip",
    responses=errors(400, 404),
)
async def download_archive(
    state: State, token: Annotated[str, PathParameter(description="the signed link", min_length=16, max_length=1000)]
) -> Response[bytes]:
    links: SignedLinks = state.archive_links
    named = links.opened(token)
    try:
        archive_id = uuid.UUID(named[0]) if named else None
    except (ValueError, TypeError, AttributeError):
        archive_id = None
    archive = await repository.fetch(state.db_pool, archive_id) if archive_id else None
    if archive is None or archive.sha256 is None:
        raise NotFound.of("", "link_invalid")
    store: Store = state.archive_store
    return Response(
        await store.get(archive.sha256),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="declarations-{archive.id}.zip"',
            "cache-control": "private, max-age=3600",
        },
    )
