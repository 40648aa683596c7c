"""PDFs of declaration versions: rendered once per (version, language), stored, found again.

Both the worker (after a submission or an update) and a print request that comes first call
``ensure``; whichever stores a PDF first records it, and a rendering is deterministic, so the
other writes the same bytes to the same name.
"""

import base64
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from portal import db as database
from portal import i18n
from portal.declarations import repository as declarations
from portal.declarations import storage
from portal.declarations.service import not_found
from portal.documents import content, repository
from portal.documents.render import Renderer
from portal.documents.repository import DocumentKey, StoredDocument
from portal.documents.store import DocumentStore, Store
from portal.errors import Conflict, Unprocessable
from portal.identity import repository as identity
from portal.identity.auth import OperatorPrincipal
from portal.links import SignedLinks
from portal.secrets import secret_key
from portal.settings import Settings
from portal.signing.service import Signer, claims_of


class Rendering(NamedTuple):
    """What rendering needs in a process: its pool of renderers, the store, the portal's address,
    the signer of the QR codes' payloads."""

    renderer: Renderer
    store: Store
    base_url: str
    signer: Signer

    @classmethod
    def of(cls, settings: Settings) -> "Rendering":
        """A worker's, or a server's for a print asked for before the worker rendered it."""
        documents = settings.documents
        return cls(
            Renderer(documents.render_processes, documents.jobs_per_process),
            store_of(settings),
            settings.base_url,
            Signer.of(settings),
        )


def store_of(settings: Settings, kind: str = "", suffix: str = ".pdf") -> Store:
    """Where the settings keep PDFs (``kind`` "archives": ZIPs of them, beside them)."""
    documents = settings.documents
    if documents.s3_bucket:
        from portal.documents.bucket import BucketStore

        prefix = documents.s3_prefix + (f"{kind}/" if kind else "")
        return BucketStore(documents.s3_bucket, prefix, suffix, documents.s3_endpoint_url)
    return DocumentStore(settings.document_store / kind if kind else settings.document_store, suffix)


def archive_store(settings: Settings) -> Store:
    """Where ZIPs of many PDFs are kept, beside the PDFs."""
    return store_of(settings, "archives", ".zip")


def archive_links(settings: Settings) -> SignedLinks:
    return SignedLinks(
        secret_key(settings), settings.base_url, settings.documents.link_minutes, salt="pdf-archive", path="/archives"
    )


def verification_url(base_url: str, token: bytes) -> str:
    return f"{base_url.rstrip('/')}/verify/{base64.urlsafe_b64encode(token).rstrip(b'=').decode()}"


async def page_of(db: database.Transaction, key: DocumentKey, base_url: str, signer: Signer) -> content.Page | None:
    """What the PDF of ``key`` says, or None if the version is gone (deleted since)."""
    version = await declarations.fetch_version(db, key.declaration_id, key.version)
    if version is None:
        return None  # deleted since (a draft, or past retention)
    driver = await declarations.fetch_driver_version(db, version.driver_id, version.driver_version)
    operator = await identity.fetch_operator(db, version.operator_id)
    assert operator is not None
    token = await repository.verification_token(db, key.declaration_id, key.version)
    # The status as the version was recorded, not as of today: the same version prints the same.
    declaration = storage.declaration_of(version, driver, version.updated_at.date())
    # The code opens the verification page, and carries the version's key facts signed for offline checks.
    qr_text = await signer.qr_text(db, verification_url(base_url, token), claims_of(declaration))
    return content.page(declaration, operator, key.language, qr_text)


async def ensure(pool: asyncpg.Pool, rendering: Rendering, keys: Sequence[DocumentKey]) -> dict[DocumentKey, bytes]:
    """Render and store those of ``keys`` that are not stored yet; return the SHA-256 of every
    one that exists (a version deleted meanwhile has none)."""
    found = await repository.stored(pool, keys)
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    if not missing:
        return found
    async with database.transaction(pool) as db:
        pages = [(key, await page_of(db, key, rendering.base_url, rendering.signer)) for key in missing]
    present = [(key, page) for key, page in pages if page is not None]
    if not present:
        return found
    pdfs = await rendering.renderer.render([page for _, page in present])
    made = [StoredDocument(key, await rendering.store.put(pdf)) for (key, _), pdf in zip(present, pdfs, strict=True)]
    async with database.transaction(pool) as db:
        await repository.record(db, made, [len(pdf) for pdf in pdfs])
    # Another renderer may have recorded its own first: the recorded one is the one.
    return found | await repository.stored(pool, [document.key for document in made])


async def printable(
    db: database.Transaction,
    operator: OperatorPrincipal,
    declaration_id: uuid.UUID,
    language: i18n.Language,
    language_field: str,
) -> DocumentKey:
    """The document of the declaration's current version in ``language``, refused for another
    operator's declaration (404), a draft (409) or a language without its catalogue (422)."""
    current = await repository.printable(db, declaration_id, operator.operator_id)
    if current is None:
        raise not_found()
    if current["status"] == "DRAFT":
        raise Conflict.of("declarationStatus", "wrong_state", required="SUBMITTED", action="printed", status="DRAFT")
    require_catalogue(language, language_field)
    return DocumentKey(declaration_id, current["version"], language)


def require_catalogue(language: i18n.Language, language_field: str) -> None:
    """Refuse a language whose catalogue is not compiled yet (422 on ``language_field``)."""
    if language not in i18n.available():
        raise Unprocessable.of(
            language_field, "language_unavailable", language=language, available=", ".join(i18n.available())
        )


def language_of(value: str) -> i18n.Language:
    return value if value in i18n.LANGUAGES else i18n.DEFAULT


async def pdf_of(pool: asyncpg.Pool, rendering: Rendering, key: DocumentKey) -> bytes | None:
    """The PDF of ``key``, rendered first if it is not stored; None if the version is gone."""
    found = await ensure(pool, rendering, [key])
    return await rendering.store.get(found[key]) if key in found else None


def filename(key: DocumentKey) -> str:
    return f"declaration-{key.declaration_id}-v{key.version}-{key.language}.pdf"
