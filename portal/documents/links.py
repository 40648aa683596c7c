"""Signed links: a download of one PDF that works for a while, without an API key."""

import uuid

import itsdangerous

from portal import i18n


class DocumentLinks:
    def __init__(self, secret_key: str, base_url: str, minutes: int) -> None:
        self._signer = itsdangerous.URLSafeTimedSerializer(secret_key, salt="declaration-pdf")
        self._base_url = base_url.rstrip("/")
        self.seconds = minutes * 60

    def url(self, declaration_id: uuid.UUID, version: int, language: i18n.Language) -> str:
        token = self._signer.dumps([str(declaration_id), version, language])
        return f"{self._base_url}/documents/{token}"

    def opened(self, token: str) -> tuple[uuid.UUID, int, i18n.Language] | None:
        """What a link names, or None if it is forged, garbled or past its time."""
        try:
            declaration_id, version, language = self._signer.loads(token, max_age=self.seconds)
            return uuid.UUID(declaration_id), int(version), language
        except (itsdangerous.BadData, ValueError, TypeError):
            return None
