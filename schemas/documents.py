"""The bodies of the declaration PDF's endpoints (print, e-mail)."""

from schemas.base import Language, RequestBody


class PrintRequest(RequestBody, kw_only=True):
    """The body of ``POST /declarations/{id}/print``."""

    declaration_language: Language
