"""Bulk upload as a page: a JSON or NDJSON file filed by the bulk service, its progress read
while it runs, its outcomes downloaded as a file.

The page's script sends the file as the request's body, as fleet software sends it to
``/declarations/bulk``, and reads the progress meanwhile; without the script the form sends it
as multipart and the answer is the finished upload's page.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import MediaType
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Stream

from portal.bulk import outcomes
from portal.bulk import service as bulk
from portal.db import transaction
from portal.identity.auth import OperatorPrincipal
from portal.ids import new_id
from portal.web.guard import PageVisitor, operator_of
from portal.web.session import csrf_holds, visitor_of
from portal.web.views import page

CSRF_HEADER = "x-csrf-token"
_CHUNK = 1 << 16


def media_type_of(filename: str) -> str:
    """NDJSON for a file named so (one record a line), else a JSON array."""
    return bulk.NDJSON if filename.lower().endswith((".ndjson", ".jsonl")) else "application/json"


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(_CHUNK):
        yield chunk


async def _file(
    state: State,
    operator: OperatorPrincipal,
    upload_id: uuid.UUID,
    chunks: AsyncIterator[bytes],
    media_type: str,
    submit: bool,
) -> None:
    await bulk.file_upload(
        state.db_pool, state.settings.bulk, state.uploads, operator, upload_id, chunks, media_type, submit
    )


class UploadPages(Controller):
    path = "/web/uploads"
    include_in_schema = False

    @get()
    async def upload_form(self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor) -> Response[Any]:
        operator_of(request, visitor)
        # The upload's id is chosen here, so the page can read its progress while it runs.
        return page("uploads.html", visitor.language, visitor=visitor, upload_id=new_id(), upload=None)

    @post(request_max_body_size=None)
    async def upload_without_script(
        self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        form = await request.form()
        file, upload_id = form.get("file"), form.get("uploadId")
        try:
            chosen = uuid.UUID(upload_id if isinstance(upload_id, str) else "")
        except ValueError:
            return Redirect("/web/uploads", status_code=303)
        if not isinstance(file, UploadFile):
            return Redirect("/web/uploads", status_code=303)
        await _file(state, operator, chosen, _chunks(file), media_type_of(file.filename), form.get("submit") == "true")
        return Redirect(f"/web/uploads/{chosen}", status_code=303)

    @post("/{upload_id:uuid}", status_code=200, request_max_body_size=None, media_type=MediaType.JSON)
    async def upload(
        self, request: Request[Any, Any, Any], state: State, upload_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """The script's upload: the body is the file. The session is read on a connection of its
        own, given back before the upload, which manages its own transactions (see bulk)."""
        if not csrf_holds(request, state.web_secret, request.headers.get(CSRF_HEADER)):
            raise PermissionDeniedException("form_expired")
        async with transaction(state.db_pool) as db:
            visitor = await visitor_of(request, db, state.web_secret)
        operator = operator_of(request, visitor)
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        submit = request.query_params.get("submit") == "true"
        await _file(state, operator, upload_id, request.stream(), media_type or "application/json", submit)
        return Response(await bulk.read_upload(state.db_pool, upload_id, operator.operator_id))

    @get("/{upload_id:uuid}/progress", media_type=MediaType.JSON)
    async def progress(
        self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor, upload_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        return Response(
            await bulk.read_upload(state.db_pool, upload_id, operator.operator_id),
            headers={"cache-control": "no-store"},
        )

    @get("/{upload_id:uuid}")
    async def upload_page(
        self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor, upload_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        operator = operator_of(request, visitor)
        upload = await bulk.read_upload(state.db_pool, upload_id, operator.operator_id)
        return page("uploads.html", visitor.language, visitor=visitor, upload_id=upload_id, upload=upload)

    @get("/{upload_id:uuid}/results")
    async def results(
        self, request: Request[Any, Any, Any], state: State, visitor: PageVisitor, upload_id: FromPath[uuid.UUID]
    ) -> Stream:
        operator = operator_of(request, visitor)
        await bulk.read_upload(state.db_pool, upload_id, operator.operator_id)  # 404 for another's
        return Stream(
            outcomes.result_lines(state.db_pool, upload_id),
            media_type=bulk.NDJSON,
            headers={"content-disposition": f'attachment; filename="upload-{upload_id}-outcomes.ndjson"'},
        )
