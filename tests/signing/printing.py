"""A declaration printed as an operator would, and its QR code read from the PDF."""

from typing import Any

from tests.documents.reading import qr_codes
from tests.factories import Operator
from tests.helpers import Client, submitted

PORTAL = "http://127.0.0.1:8000"


async def printed(client: Client, operator: Operator, declaration_id: str, language: str = "en") -> bytes:
    answer = await client.post(
        f"/declarations/{declaration_id}/print", json={"declarationLanguage": language}, headers=operator.headers
    )
    assert answer.status_code == 200, answer.text
    download = await client.get(answer.text.removeprefix(PORTAL))
    assert download.status_code == 200, download.text
    return download.content


async def printed_code(client: Client, operator: Operator, **overrides: Any) -> tuple[dict[str, Any], bytes, str]:
    """A declaration submitted and printed: its record, its PDF, the text of its QR code."""
    declaration = await submitted(client, operator, **overrides)
    pdf = await printed(client, operator, declaration["declarationId"])
    [code] = qr_codes(pdf)
    return declaration, pdf, code
