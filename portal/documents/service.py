"""PDFs of declaration versions: rendered once per (version, language), stored, found again.

Both the worker (after a submission or an update) and a print request that comes first call
``ensure``; whichever stores a PDF first records it, and a rendering is deterministic, so the
other writes the same bytes to the same name.
"""

import base64
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal import db as database
from portal import i18n
from portal.declarations import repository as declarations
from portal.declarations import storage
from portal.documents import content, repository
from portal.documents.render import Renderer
from portal.documents.repository import DocumentKey, StoredDocument
from portal.documents.store import DocumentStore
from portal.identity import repository as identity
from portal.settings import Settings


class Rendering(NamedTuple):
    """What rendering needs in a process: its pool of renderers, the store, the portal's address."""

    renderer: Renderer
    store: DocumentStore
    base_url: str

    @classmethod
    def of(cls, settings: Settings) -> "Rendering":
        """A worker's, or a server's for a print asked for before the worker rendered it."""
        documents = settings.documents
        return cls(
            Renderer(documents.render_processes, documents.jobs_per_process),
            DocumentStore(settings.document_store),
            settings.base_url,
        )


def verification_url(base_url: str, token: bytes) -> str:
    return f"{base_url.rstrip('/')}/verify/{base64.urlsafe_b64encode(token).rstrip(b'=').decode()}"


async def _page(db: database.Transaction, key: DocumentKey, base_url: str) -> content.Page | None:
    version = await declarations.fetch_version(db, key.declaration_id, key.version)
    if version is None:
        return None  # deleted since (a draft, or past retention)
    driver = await declarations.fetch_driver_version(db, version.driver_id, version.driver_version)
    operator = await identity.fetch_operator(db, version.operator_id)
    assert operator is not None
    token = await repository.verification_token(db, key.declaration_id, key.version)
    # The status as the version was recorded, not as of today: the same version prints the same.
    declaration = storage.declaration_of(version, driver, version.updated_at.date())
    return content.page(declaration, operator, key.language, verification_url(base_url, token))


async def ensure(pool: asyncpg.Pool, rendering: Rendering, keys: Sequence[DocumentKey]) -> dict[DocumentKey, bytes]:
    """Render and store those of ``keys`` that are not stored yet; return the SHA-256 of every
    one that exists (a version deleted meanwhile has none)."""
    found = await repository.stored(pool, keys)
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    if not missing:
        return found
    async with database.transaction(pool) as db:
        pages = [(key, await _page(db, key, rendering.base_url)) for key in missing]
    present = [(key, page) for key, page in pages if page is not None]
    if not present:
        return found
    pdfs = await rendering.renderer.render([page for _, page in present])
    made = [StoredDocument(key, await rendering.store.put(pdf)) for (key, _), pdf in zip(present, pdfs, strict=True)]
    async with database.transaction(pool) as db:
        await repository.record(db, made, [len(pdf) for pdf in pdfs])
    # Another renderer may have recorded its own first: the recorded one is the one.
    return found | await repository.stored(pool, [document.key for document in made])


def language_of(value: str) -> i18n.Language:
    return value if value in i18n.LANGUAGES else i18n.DEFAULT
