"""Asking for an archive, reading how far it is, and building it (in the worker)."""

import asyncio
import uuid
import zipfile

import asyncpg

from portal import clock
from portal.archives import repository
from portal.archives.repository import Archive
from portal.db import Transaction
from portal.declarations import repository as declarations
from portal.documents import service as rendering_service
from portal.documents.repository import DocumentKey
from portal.documents.service import Rendering
from portal.documents.store import Store
from portal.errors import NotFound, Unprocessable
from portal.identity.auth import OperatorPrincipal
from portal.links import SignedLinks
from portal.refusals import refusal
from schemas.documents import ARCHIVE_MAX, ArchiveRequest, ArchiveStatus

_FILTERS = ("posting_country", "status", "driver_id", "end_date_from", "end_date_to")
_FILTER_NAMES = "the list's filters (postingCountry, status, driverId, endDateFrom, endDateTo)"


async def _selection(db: Transaction, operator: OperatorPrincipal, asked: ArchiveRequest) -> dict[uuid.UUID, int]:
    """The versions the archive will hold: of the ids named (each one the operator's, with a
    PDF), or of what the filters select."""
    filters = {name: getattr(asked, name) for name in _FILTERS}
    if isinstance(asked.declaration_ids, list):
        if any(value is not None for value in filters.values()):
            raise Unprocessable([refusal("", "fields_mixed", oneWay="declarationIds", otherWay=_FILTER_NAMES)])
        found = await repository.selected(db, operator.operator_id, asked.declaration_ids)
        unknown = [
            refusal(f"declarationIds[{index}]", "not_found", kind="declaration with a PDF of this operator")
            for index, declaration_id in enumerate(asked.declaration_ids)
            if declaration_id not in found
        ]
        if unknown:
            raise Unprocessable(unknown)
        return {declaration_id: found[declaration_id] for declaration_id in dict.fromkeys(asked.declaration_ids)}
    where = declarations.DeclarationFilter(**filters)
    found = await declarations.printed_versions(db, operator.operator_id, clock.today(), where, ARCHIVE_MAX + 1)
    if len(found) > ARCHIVE_MAX:
        raise Unprocessable([refusal("", "archive_too_large", count=f"more than {ARCHIVE_MAX}", maximum=ARCHIVE_MAX)])
    return found


async def ask(db: Transaction, operator: OperatorPrincipal, asked: ArchiveRequest, links: SignedLinks) -> ArchiveStatus:
    rendering_service.require_catalogue(asked.declaration_language, "declarationLanguage")
    versions = await _selection(db, operator, asked)
    if not versions:
        raise Unprocessable.of("", "archive_empty")
    archive_id = uuid.uuid4()
    await repository.insert(db, archive_id, operator.operator_id, asked.declaration_language, versions)
    return await status(db, operator, archive_id, links)


async def status(
    db: asyncpg.Connection, operator: OperatorPrincipal, archive_id: uuid.UUID, links: SignedLinks
) -> ArchiveStatus:
    archive = await repository.fetch(db, archive_id)
    if archive is None or archive.operator_id != operator.operator_id:
        raise NotFound.of("", "not_found", kind="archive")
    return ArchiveStatus(
        archive_id=archive.id,
        declaration_language=archive.language,  # type: ignore[arg-type]  # one of ours: checked when asked
        state=archive.state,  # type: ignore[arg-type]
        done=archive.done,
        total=len(archive.declaration_ids),
        download_url=links.url(str(archive.id)) if archive.state == "READY" else None,
        created_at=archive.created_at,
        finished_at=archive.finished_at,
    )


def entry_name(key: DocumentKey) -> str:
    return rendering_service.filename(key)


def _add(archive: zipfile.ZipFile, name: str, pdf: bytes) -> None:
    archive.writestr(name, pdf)


async def build(pool: asyncpg.Pool, rendering: Rendering, archives: Store, archive: Archive, batch: int) -> None:
    """Render what is missing, counting as it goes, then write the ZIP and say it is ready."""
    language = rendering_service.language_of(archive.language)
    keys = [
        DocumentKey(declaration_id, version, language)
        for declaration_id, version in zip(archive.declaration_ids, archive.versions, strict=True)
    ]
    found: dict[DocumentKey, bytes] = {}
    for start in range(0, len(keys), batch):
        found |= await rendering_service.ensure(pool, rendering, keys[start : start + batch])
        await repository.progress(pool, archive.id, min(start + batch, len(keys)))
    scratch = archives.scratch()
    try:
        # PDFs are compressed already: stored, not deflated again. One PDF in memory at a time.
        with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_STORED) as zipped:
            for key in keys:
                if key in found:  # a version deleted since it was asked for (past retention) is left out
                    await asyncio.to_thread(_add, zipped, entry_name(key), await rendering.store.get(found[key]))
        size = scratch.stat().st_size
        digest = await archives.adopt(scratch)
    finally:
        scratch.unlink(missing_ok=True)
    await repository.ready(pool, archive.id, digest, size)
