"""Signed links: a download that works for a while without an API key (a PDF, an archive)."""

from typing import Any

import itsdangerous


class SignedLinks:
    """Links under ``{base_url}{path}/`` whose token signs a small JSON list, for ``minutes``."""

    def __init__(self, secret_key: str, base_url: str, minutes: int, *, salt: str, path: str) -> None:
        self._signer = itsdangerous.URLSafeTimedSerializer(secret_key, salt=salt)
        self._prefix = f"{base_url.rstrip('/')}{path}/"
        self.seconds = minutes * 60

    def url(self, *values: Any) -> str:
        return self._prefix + self._signer.dumps(list(values))

    def opened(self, token: str) -> list[Any] | None:
        """What a link names, or None if it is forged, garbled or past its time."""
        try:
            values = self._signer.loads(token, max_age=self.seconds)
        except itsdangerous.BadData:
            return None
        return values if isinstance(values, list) else None
