"""The signed download link of one PDF: a version of a declaration in a language."""

import uuid

from portal import i18n
from portal.links import SignedLinks


class DocumentLinks:
    def __init__(self, secret_key: str, base_url: str, minutes: int) -> None:
        self._links = SignedLinks(secret_key, base_url, minutes, salt="declaration-pdf", path="/documents")

    @property
    def seconds(self) -> int:
        """How long a link works."""
        return self._links.seconds

    @seconds.setter
    def seconds(self, value: int) -> None:
        self._links.seconds = value

    def url(self, declaration_id: uuid.UUID, version: int, language: i18n.Language) -> str:
        return self._links.url(str(declaration_id), version, language)

    def opened(self, token: str) -> tuple[uuid.UUID, int, i18n.Language] | None:
        """What a link names, or None if it is forged, garbled or past its time."""
        values = self._links.opened(token)
        if values is None or len(values) != 3:
            return None
        declaration_id, version, language = values
        try:
            return uuid.UUID(declaration_id), int(version), language
        except (ValueError, TypeError):
            return None
