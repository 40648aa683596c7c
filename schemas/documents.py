"""The bodies of the declaration PDF's endpoints (print, e-mail, archives of many)."""

import datetime
import uuid
from typing import Annotated, Literal

import msgspec

from schemas.base import DeclarationStatus, Email, Language, PostingCountry, RequestBody, ResponseBody


class PrintRequest(RequestBody, kw_only=True):
    """The body of ``POST /declarations/{id}/print``."""

    declaration_language: Language


class EmailRequest(RequestBody, kw_only=True):
    """The body of ``POST /declarations/{id}/email``: ``declarationLanguage`` and ``emailAddress``,
    or ``language`` and ``email`` as some clients send them; a mix of the two pairs is refused."""

    declaration_language: Language | msgspec.UnsetType = msgspec.UNSET
    email_address: Email | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET


# At most this many declarations in one archive (a ZIP of ~40 kB PDFs: 400 MB at most).
ARCHIVE_MAX = 10_000


class ArchiveRequest(RequestBody, kw_only=True):
    """The body of ``POST /declarations/pdf-archive``: the declarations named by id, or those
    the list's filters select (as ``GET /declarations`` takes them), not both."""

    declaration_language: Language
    declaration_ids: (
        Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=ARCHIVE_MAX)] | msgspec.UnsetType
    ) = msgspec.UNSET
    posting_country: PostingCountry | None = None
    status: DeclarationStatus | None = None
    driver_id: uuid.UUID | None = None
    end_date_from: datetime.date | None = None
    end_date_to: datetime.date | None = None


ArchiveState = Literal["BUILDING", "READY", "FAILED"]


class ArchiveStatus(ResponseBody, kw_only=True):
    """An archive as it builds: ``done`` of ``total`` PDFs so far; once READY, a link that
    downloads the ZIP (valid an hour from this answer)."""

    archive_id: uuid.UUID
    declaration_language: Language
    state: ArchiveState
    done: int
    total: int
    download_url: str | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
